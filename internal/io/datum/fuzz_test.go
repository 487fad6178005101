package datum

import (
	"bytes"
	"image"
	"image/color/palette"
	"image/gif"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// Fuzz targets of the dataset readers: MNIST idx files (plain and
// gzipped), CIFAR binary files and image lists. Any bytes give records or an error
// naming the file: no panic, no hang, no allocation the bytes do not pay for.

// fuzzFile writes data to the file name in dir (one per fuzzing process, reused:
// a folder per input would cost more than the reading).
func fuzzFile(t *testing.T, dir, name string, data []byte) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// FuzzMNIST reads bytes as an MNIST image file and as a label file, gzipped or
// not, to the end, as convert mnist does.
func FuzzMNIST(f *testing.F) {
	fix := testutil.Path("fixtures/nets/lenet_mnist")
	labels, err := os.ReadFile(filepath.Join(fix, "t10k-labels-1000-idx1-ubyte.gz"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(labels)
	pixels := make([]byte, 3*4*5)
	for i := range pixels {
		pixels[i] = byte(i * 7)
	}
	images := idx(MNISTImageMagic, []uint32{3, 4, 5}, pixels)
	f.Add(images)
	f.Add(gz(images))
	f.Add(idx(MNISTLabelMagic, []uint32{4}, []byte{1, 2, 3, 4}))
	f.Add(append(gz(images[:20]), gz(images[20:])...))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzFile(t, dir, "f.gz", data)
		if im, err := OpenMNISTImages(p); err == nil {
			if im.Rows > MaxMNISTSide || im.Cols > MaxMNISTSide {
				t.Fatalf("images of %d×%d accepted", im.Rows, im.Cols)
			}
			buf := make([]byte, im.Rows*im.Cols)
			for i := 0; i < im.Count; i++ {
				if err := im.Next(buf); err != nil {
					checkNamed(t, err, p)
					break
				}
			}
			if _, err := im.Finish(); err != nil {
				checkNamed(t, err, p)
			}
			im.Close()
		} else {
			checkNamed(t, err, p)
		}
		if lab, err := OpenMNISTLabels(p); err == nil {
			for i := 0; i < lab.Count; i++ {
				if _, err := lab.Next(); err != nil {
					checkNamed(t, err, p)
					break
				}
			}
			lab.Finish()
			lab.Close()
		}
	})
}

// checkNamed fails unless err names the file (a missing file's error names itself).
func checkNamed(t *testing.T, err error, path string) {
	t.Helper()
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("the error does not name %s: %v", path, err)
	}
}

// FuzzCIFAR reads bytes as a CIFAR-10 and as a CIFAR-100 binary file.
func FuzzCIFAR(f *testing.F) {
	b, err := os.ReadFile(testutil.Path("fixtures/nets/cifar10_synth/data_batch_1.bin"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:2*CIFAR10Record])
	f.Add(b[:CIFAR100Record])
	f.Add(b[:100])
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzFile(t, dir, "batch.bin", data)
		for _, open := range []func(string) (*CIFARFile, error){OpenCIFAR10, OpenCIFAR100} {
			c, err := open(p)
			if err != nil {
				checkNamed(t, err, p)
				continue
			}
			n := 0
			for {
				r, err := c.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("record %d: %v", n, err)
				}
				if len(r.Pixels) != CIFARImageBytes {
					t.Fatalf("record %d: %d pixel bytes", n, len(r.Pixels))
				}
				n++
			}
			if n != c.Count {
				t.Fatalf("%d records, Count %d", n, c.Count)
			}
			c.Close()
		}
	})
}

// FuzzImageList reads bytes as an image list (convert imageset, ImageData).
func FuzzImageList(f *testing.F) {
	f.Add([]byte("a.png 0\nb c.jpg 1\r\n\n  \nd.bmp -3\n"))
	f.Add([]byte("cat.jpg 281\ndog.jpg 207"))
	f.Add([]byte("no_label\n"))
	f.Add([]byte("x 99999999999999999999\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzFile(t, dir, "list.txt", data)
		lines, err := ReadImageList(p)
		if err != nil {
			checkNamed(t, err, p)
			return
		}
		for _, e := range lines {
			if e.Line < 1 || strings.ContainsAny(e.Path, "\n") {
				t.Fatalf("entry %+v", e)
			}
		}
	})
}

// FuzzDecode decodes bytes as an encoded image in each colour mode, as an encoded
// Datum is decoded: an image announcing more pixels than its bytes or the memory
// limit allow must be refused before it is allocated.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"png", "jpg", "bmp", "tiff"} {
		im := NewImg(3, 5, 3)
		for i := range im.Pix {
			im.Pix[i] = byte(i * 11)
		}
		data, err := Encode(im, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	var g bytes.Buffer
	gif.Encode(&g, image.NewPaletted(image.Rect(0, 0, 4, 2), palette.Plan9), nil)
	f.Add(g.Bytes())
	blob.SetMemoryLimit(testutil.HeapNow() + 256<<20)
	f.Cleanup(func() { blob.SetMemoryLimit(0) })
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mode := range []ColorMode{Native, Color, Gray} {
			im, err := Decode(data, mode)
			if err != nil {
				return
			}
			if len(im.Pix) != im.Height*im.Width*im.Channels {
				t.Fatalf("%d bytes for %d×%d×%d", len(im.Pix), im.Height, im.Width, im.Channels)
			}
		}
	})
}
