package datum

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

// idx builds an idx file of unsigned bytes with the given magic and dimensions.
func idx(magic uint32, dims []uint32, body []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(body)
	return b.Bytes()
}

func gz(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMNIST(t *testing.T) {
	dir := t.TempDir()
	pixels := make([]byte, 3*2*4)
	for i := range pixels {
		pixels[i] = byte(i * 5)
	}
	images := idx(MNISTImageMagic, []uint32{3, 2, 4}, pixels)
	labels := idx(MNISTLabelMagic, []uint32{3}, []byte{7, 0, 9})
	for _, zipped := range []bool{false, true} {
		ib, lb := images, labels
		if zipped {
			ib, lb = gz(ib), gz(lb)
		}
		ip := write(t, dir, "images", ib)
		lp := write(t, dir, "labels", lb)
		im, err := OpenMNISTImages(ip)
		if err != nil {
			t.Fatal(err)
		}
		if im.Count != 3 || im.Rows != 2 || im.Cols != 4 {
			t.Fatalf("header %d×%d×%d", im.Count, im.Rows, im.Cols)
		}
		lab, err := OpenMNISTLabels(lp)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 8)
		for i := 0; i < 3; i++ {
			if err := im.Next(buf); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf, pixels[8*i:8*i+8]) {
				t.Errorf("gzip %v: image %d = %v", zipped, i, buf)
			}
			l, err := lab.Next()
			if err != nil || l != []byte{7, 0, 9}[i] {
				t.Errorf("gzip %v: label %d = %d, %v", zipped, i, l, err)
			}
		}
		if err := im.Next(buf); err != io.EOF {
			t.Errorf("after the last image: %v, want io.EOF", err)
		}
		if n, err := im.Finish(); n != 0 || err != nil {
			t.Errorf("images: %d trailing bytes, %v", n, err)
		}
		if n, err := lab.Finish(); n != 0 || err != nil {
			t.Errorf("labels: %d trailing bytes, %v", n, err)
		}
		im.Close()
		lab.Close()
	}
}

func TestMNISTErrors(t *testing.T) {
	dir := t.TempDir()
	images := idx(MNISTImageMagic, []uint32{2, 2, 2}, make([]byte, 8))
	labels := idx(MNISTLabelMagic, []uint32{2}, []byte{1, 2})
	ip := write(t, dir, "images", images)
	lp := write(t, dir, "labels", labels)
	short := write(t, dir, "short", images[:len(images)-3])
	shortGz := write(t, dir, "short.gz", gz(images[:len(images)-3]))
	header := write(t, dir, "header", images[:9])

	if _, err := OpenMNISTImages(lp); err == nil || !strings.Contains(err.Error(), "magic number 2049, want 2051") ||
		!strings.Contains(err.Error(), "label file") {
		t.Errorf("images from a label file: %v", err)
	}
	if _, err := OpenMNISTLabels(ip); err == nil || !strings.Contains(err.Error(), "magic number 2051, want 2049") {
		t.Errorf("labels from an image file: %v", err)
	}
	if _, err := OpenMNISTImages(header); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated header: %v", err)
	}
	if _, err := OpenMNISTImages(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// A plain file's size is known: its truncation is found before any record is read.
	if _, err := OpenMNISTImages(short); err == nil || !strings.Contains(err.Error(), "truncated") || !strings.Contains(err.Error(), short) {
		t.Errorf("truncated plain file: %v", err)
	}
	for _, p := range []string{shortGz} {
		im, err := OpenMNISTImages(p)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4)
		if err := im.Next(buf); err != nil {
			t.Fatal(err)
		}
		err = im.Next(buf)
		if err == nil || !strings.Contains(err.Error(), "image 1 of 2") || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: reading the cut image: %v", p, err)
		}
		im.Close()
	}
}

// TestMNISTFixture reads the subset of real MNIST the Caffe fixtures were made from.
func TestMNISTFixture(t *testing.T) {
	im, err := OpenMNISTImages(testutil.Path("fixtures/nets/lenet_mnist/t10k-images-1000-idx3-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	if im.Count != 1000 || im.Rows != 28 || im.Cols != 28 {
		t.Fatalf("header %d×%d×%d", im.Count, im.Rows, im.Cols)
	}
	buf := make([]byte, 28*28)
	for i := 0; i < im.Count; i++ {
		if err := im.Next(buf); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := im.Finish(); n != 0 || err != nil {
		t.Errorf("%d trailing bytes after 1000 images, %v", n, err)
	}
}

// cifarRecord is a generated record: label bytes then R, G, B planes of a pattern.
func cifarRecord(labels []byte, seed int) []byte {
	r := append([]byte(nil), labels...)
	for i := 0; i < CIFARImageBytes; i++ {
		r = append(r, byte(i*7+seed*13))
	}
	return r
}

func TestCIFAR100(t *testing.T) {
	dir := t.TempDir()
	var file []byte
	for i := 0; i < 5; i++ {
		file = append(file, cifarRecord([]byte{byte(i % 20), byte(99 - i)}, i)...)
	}
	p := write(t, dir, "train.bin", file)
	f, err := OpenCIFAR100(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Count != 5 {
		t.Fatalf("Count = %d", f.Count)
	}
	for i := 0; i < 5; i++ {
		r, err := f.Next()
		if err != nil {
			t.Fatal(err)
		}
		if r.Coarse != byte(i%20) || r.Label != byte(99-i) {
			t.Errorf("record %d: coarse %d fine %d", i, r.Coarse, r.Label)
		}
		if !bytes.Equal(r.Pixels, cifarRecord(nil, i)) {
			t.Errorf("record %d: pixels differ", i)
		}
	}
	if _, err := f.Next(); err != io.EOF {
		t.Errorf("after the last record: %v", err)
	}
}

func TestCIFAR10(t *testing.T) {
	dir := t.TempDir()
	file := append(cifarRecord([]byte{3}, 0), cifarRecord([]byte{9}, 1)...)
	p := write(t, dir, "data_batch_1.bin", file)
	f, err := OpenCIFAR10(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, want := range []byte{3, 9} {
		r, err := f.Next()
		if err != nil || r.Label != want || !bytes.Equal(r.Pixels, cifarRecord(nil, i)) {
			t.Errorf("record %d: label %d, %v", i, r.Label, err)
		}
	}
	bad := write(t, dir, "bad.bin", file[:len(file)-1])
	if _, err := OpenCIFAR10(bad); err == nil || !strings.Contains(err.Error(), "not a whole number of CIFAR-10 records") {
		t.Errorf("cut file: %v", err)
	}
	// A CIFAR-10 file is not a whole number of CIFAR-100 records.
	if _, err := OpenCIFAR100(p); err == nil || !strings.Contains(err.Error(), "CIFAR-100") {
		t.Errorf("CIFAR-10 file as CIFAR-100: %v", err)
	}
}

func TestReadImageList(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "list.txt", []byte("a.png 0\r\n\nsub/b c.jpg 12 \n  \nd.png -1\n"))
	got, err := ReadImageList(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []ListEntry{{"a.png", 0, 1}, {"sub/b c.jpg", 12, 3}, {"d.png", -1, 5}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"a.png\n", "a.png x\n", "ok.png 1\nb.png 9999999999\n"} {
		p := write(t, dir, "bad.txt", []byte(bad))
		if _, err := ReadImageList(p); err == nil || !strings.Contains(err.Error(), p+":") {
			t.Errorf("%q: error %v, want one naming the file and line", bad, err)
		}
	}
}

// readAllMNIST reads every image of an idx file and then its end, as a conversion
// does, and returns the pixels, the trailing byte count and the first error.
func readAllMNIST(path string) ([]byte, int64, error) {
	im, err := OpenMNISTImages(path)
	if err != nil {
		return nil, 0, err
	}
	defer im.Close()
	var all []byte
	buf := make([]byte, im.Rows*im.Cols)
	for i := 0; i < im.Count; i++ {
		if err := im.Next(buf); err != nil {
			return nil, 0, err
		}
		all = append(all, buf...)
	}
	n, err := im.Finish()
	return all, n, err
}

// TestMNISTCorruptGzip: every flipped byte of a gzipped idx
// file's compressed data or trailer is an error naming the file, unless the data
// read are still right (a flip in the padding bits after the last deflate block).
// Before, the records were read without reaching the end of the stream, where gzip
// checks its checksum, and about half the flips gave wrong records silently.
func TestMNISTCorruptGzip(t *testing.T) {
	dir := t.TempDir()
	pixels := make([]byte, 4*28*28)
	for i := range pixels {
		pixels[i] = byte(i/5%40 + i/300)
	}
	good := gz(idx(MNISTImageMagic, []uint32{4, 28, 28}, pixels))
	p := write(t, dir, "images.gz", good)
	if _, n, err := readAllMNIST(p); n != 0 || err != nil {
		t.Fatalf("the good file: %d trailing bytes, %v", n, err)
	}
	const header = 10 // gzip's fixed header: magic, method, flags, mtime, xfl, os
	silent := 0
	for i := header; i < len(good); i++ {
		bad := bytes.Clone(good)
		bad[i] ^= 0x10
		os.WriteFile(p, bad, 0o644)
		got, _, err := readAllMNIST(p)
		switch {
		case err == nil && !bytes.Equal(got, pixels):
			silent++
			if silent < 5 {
				t.Errorf("byte %d of %d flipped: wrong pixels and no error", i, len(good))
			}
		case err != nil && !strings.Contains(err.Error(), p):
			t.Errorf("byte %d flipped: the error does not name the file: %v", i, err)
		}
	}
	if silent > 0 {
		t.Errorf("%d of %d flipped bytes gave wrong pixels without an error", silent, len(good)-header)
	}
}

// TestMNISTGzipMembers: concatenated gzip members are one stream, as gunzip reads
// them; bytes after the last member are counted as trailing, not taken as data.
func TestMNISTGzipMembers(t *testing.T) {
	dir := t.TempDir()
	pixels := make([]byte, 3*2*2)
	for i := range pixels {
		pixels[i] = byte(i)
	}
	file := idx(MNISTImageMagic, []uint32{3, 2, 2}, pixels)
	for _, tc := range []struct {
		name     string
		data     []byte
		trailing int64
	}{
		{"two members", append(gz(file[:13]), gz(file[13:])...), 0},
		{"zeros after", append(gz(file), 0, 0, 0, 0), 4},
		{"data after", gz(append(bytes.Clone(file), 1, 2, 3)), 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(t, dir, "f.gz", tc.data)
			_, n, err := readAllMNIST(p)
			if err != nil || n != tc.trailing {
				t.Errorf("%d trailing bytes, %v; want %d", n, err, tc.trailing)
			}
		})
	}
}
