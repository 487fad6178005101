package convert

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/internal/testutil/testdb"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// imageValue is the test images' pixel (R, G, B at c = 0, 1, 2): smooth, without
// wrapping around in the sizes used, so that JPEG (which Go writes with 4:2:0 chroma)
// stays close.
func imageValue(i, y, x, c int) uint8 { return uint8(20*i + 3*y + 2*x + 60*c) }

// writeTestImages writes n images of h×w (PNG, or JPEG at quality 100) and a list.
func writeTestImages(t *testing.T, n, h, w int, ext string) (root, list string) {
	t.Helper()
	root = t.TempDir() + "/"
	var lines []string
	for i := 0; i < n; i++ {
		im := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				im.SetRGBA(x, y, color.RGBA{imageValue(i, y, x, 0), imageValue(i, y, x, 1), imageValue(i, y, x, 2), 255})
			}
		}
		var b bytes.Buffer
		if ext == "png" {
			png.Encode(&b, im)
		} else {
			jpeg.Encode(&b, im, &jpeg.Options{Quality: 100})
		}
		name := fmt.Sprintf("im %d.%s", i, ext) // a space in the name, as lists allow
		os.WriteFile(root+name, b.Bytes(), 0o644)
		lines = append(lines, fmt.Sprintf("%s %d", name, 5*i))
	}
	list = filepath.Join(t.TempDir(), "list.txt")
	os.WriteFile(list, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	return root, list
}

// TestImageset: PNG files without resizing give exactly the BGR planes; keys
// are %08d_<name>; --gray, --encoded, --shuffle, --check_size; JPEG and resizing
// within a grey level of the reference.
func TestImageset(t *testing.T) {
	testutil.CaptureLog(t)
	const n, h, w = 4, 6, 5
	root, list := writeTestImages(t, n, h, w, "png")
	out := t.TempDir()

	// Raw colour: the BGR planes.
	if err := Imageset(root, list, filepath.Join(out, "raw"), ImagesetOptions{}, lmdb); err != nil {
		t.Fatal(err)
	}
	recs := testdb.Read(t, filepath.Join(out, "raw"), db.LMDB)
	for i, d := range testdb.Datums(t, recs) {
		if want := fmt.Sprintf("%08d_im %d.png", i, i); string(recs[i].Key) != want {
			t.Errorf("key %q, want %q", recs[i].Key, want)
		}
		if d.GetChannels() != 3 || d.GetHeight() != h || d.GetWidth() != w || d.GetLabel() != int32(5*i) || d.Encoded == nil || d.GetEncoded() {
			t.Fatalf("record %d: %v", i, d)
		}
		for c := 0; c < 3; c++ {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					if got, want := d.Data[(c*h+y)*w+x], imageValue(i, y, x, 2-c); got != want {
						t.Fatalf("record %d (%d,%d,%d) = %d, want %d", i, c, y, x, got, want)
					}
				}
			}
		}
	}

	// Grey: OpenCV's weights, rounded.
	if err := Imageset(root, list, filepath.Join(out, "gray"), ImagesetOptions{Gray: true}, lmdb); err != nil {
		t.Fatal(err)
	}
	for i, d := range testdb.Datums(t, testdb.Read(t, filepath.Join(out, "gray"), db.LMDB)) {
		if d.GetChannels() != 1 {
			t.Fatalf("grey record %d has %d channels", i, d.GetChannels())
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, g, b := float64(imageValue(i, y, x, 0)), float64(imageValue(i, y, x, 1)), float64(imageValue(i, y, x, 2))
				want := math.Floor(0.299*r + 0.587*g + 0.114*b + 0.5)
				if got := float64(d.Data[y*w+x]); got != want {
					t.Fatalf("grey record %d (%d,%d) = %g, want %g", i, y, x, got, want)
				}
			}
		}
	}

	// Encoded without resizing: the files' own bytes.
	if err := Imageset(root, list, filepath.Join(out, "enc"), ImagesetOptions{Encoded: true}, lmdb); err != nil {
		t.Fatal(err)
	}
	for i, d := range testdb.Datums(t, testdb.Read(t, filepath.Join(out, "enc"), db.LMDB)) {
		file, _ := os.ReadFile(fmt.Sprintf("%sim %d.png", root, i))
		if !d.GetEncoded() || !bytes.Equal(d.Data, file) || d.GetLabel() != int32(5*i) || d.Channels != nil {
			t.Fatalf("encoded record %d differs from the file", i)
		}
	}

	// Encoded as another type, resized: decodes to the resized image.
	if err := Imageset(root, list, filepath.Join(out, "bmp"), ImagesetOptions{EncodeType: "bmp", ResizeHeight: 9, ResizeWidth: 7}, lmdb); err != nil {
		t.Fatal(err)
	}
	if err := Imageset(root, list, filepath.Join(out, "resized"), ImagesetOptions{ResizeHeight: 9, ResizeWidth: 7}, lmdb); err != nil {
		t.Fatal(err)
	}
	resized := testdb.Datums(t, testdb.Read(t, filepath.Join(out, "resized"), db.LMDB))
	for i, d := range testdb.Datums(t, testdb.Read(t, filepath.Join(out, "bmp"), db.LMDB)) {
		raw, err := datum.Decoded(d)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw.Data, resized[i].Data) || raw.GetHeight() != 9 || raw.GetWidth() != 7 {
			t.Fatalf("bmp record %d does not decode to the resized image", i)
		}
		// Bilinear on pixel centres: within a grey level of the exact value.
		checkResized(t, resized[i], i, h, w, 9, 7)
	}

	// Shuffled with a seed: the same records under keys in the new order.
	if err := Imageset(root, list, filepath.Join(out, "shuffled"), ImagesetOptions{Shuffle: true, Seed: 3}, lmdb); err != nil {
		t.Fatal(err)
	}
	shuffled := testdb.Read(t, filepath.Join(out, "shuffled"), db.LMDB)
	var names []string
	moved := false
	for i, r := range shuffled {
		name := string(r.Key[9:])
		names = append(names, name)
		if !strings.HasPrefix(string(r.Key), fmt.Sprintf("%08d_", i)) {
			t.Fatalf("key %q", r.Key)
		}
		j := int(name[3] - '0')
		moved = moved || j != i
		if !bytes.Equal(r.Value, recs[j].Value) {
			t.Fatalf("shuffled record %q differs from the unshuffled one", r.Key)
		}
	}
	sort.Strings(names)
	if len(shuffled) != n || names[0] != "im 0.png" || names[n-1] != fmt.Sprintf("im %d.png", n-1) || !moved {
		t.Errorf("shuffled keys %v", names)
	}

	// JPEG: within a grey level on average.
	jroot, jlist := writeTestImages(t, 2, 16, 16, "jpg")
	if err := Imageset(jroot, jlist, filepath.Join(out, "jpeg"), ImagesetOptions{}, lmdb); err != nil {
		t.Fatal(err)
	}
	for i, d := range testdb.Datums(t, testdb.Read(t, filepath.Join(out, "jpeg"), db.LMDB)) {
		sum := 0.0
		for c := 0; c < 3; c++ {
			for y := 0; y < 16; y++ {
				for x := 0; x < 16; x++ {
					sum += math.Abs(float64(d.Data[(c*16+y)*16+x]) - float64(imageValue(i, y, x, 2-c)))
				}
			}
		}
		if mad := sum / (3 * 16 * 16); mad > 1 {
			t.Errorf("JPEG record %d: mean absolute difference %.3f, want ≤ 1", i, mad)
		}
	}
}

// checkResized compares a resized raw Datum of image i with bilinear interpolation on
// pixel centres computed here.
func checkResized(t *testing.T, d *caffepb.Datum, i, h, w, nh, nw int) {
	t.Helper()
	coord := func(o, src, dst int) (int, int, float64) {
		s := (float64(o)+0.5)*float64(src)/float64(dst) - 0.5
		if s <= 0 {
			return 0, 0, 0
		}
		k := int(s)
		if k >= src-1 {
			return src - 1, src - 1, 0
		}
		return k, k + 1, s - float64(k)
	}
	for c := 0; c < 3; c++ {
		for y := 0; y < nh; y++ {
			y0, y1, fy := coord(y, h, nh)
			for x := 0; x < nw; x++ {
				x0, x1, fx := coord(x, w, nw)
				v := func(yy, xx int) float64 { return float64(imageValue(i, yy, xx, 2-c)) }
				want := (1-fy)*((1-fx)*v(y0, x0)+fx*v(y0, x1)) + fy*((1-fx)*v(y1, x0)+fx*v(y1, x1))
				if got := float64(d.Data[(c*nh+y)*nw+x]); math.Abs(got-want) > 1 {
					t.Fatalf("resized record %d (%d,%d,%d) = %g, want %.2f ± 1", i, c, y, x, got, want)
				}
			}
		}
	}
}

func TestImagesetErrors(t *testing.T) {
	testutil.CaptureLog(t)
	root, list := writeTestImages(t, 2, 4, 4, "png")
	other, _ := writeTestImages(t, 1, 5, 5, "png")
	os.Rename(other+"im 0.png", root+"big.png")
	os.WriteFile(root+"broken.png", []byte("not a png"), 0o644)
	mixed := filepath.Join(t.TempDir(), "mixed.txt")
	os.WriteFile(mixed, []byte("im 0.png 0\nbig.png 1\n"), 0o644)
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("im 0.png 0\nmissing.png 1\nbroken.png 2\nim 1.png 3\n"), 0o644)
	empty := filepath.Join(t.TempDir(), "empty.txt")
	os.WriteFile(empty, nil, 0o644)
	out := t.TempDir()

	for _, tc := range []struct {
		name string
		list string
		opts ImagesetOptions
		err  string
	}{
		{"check_size", mixed, ImagesetOptions{CheckSize: true}, mixed + ":2: " + root + "big.png: image of 3×5×5"},
		{"missing", bad, ImagesetOptions{}, bad + ":2: " + root + "missing.png"},
		{"bad encode type", list, ImagesetOptions{EncodeType: "xyz", ResizeHeight: 2, ResizeWidth: 2}, "cannot encode images as \"xyz\""},
		{"empty list", empty, ImagesetOptions{}, "lists no images"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Imageset(root, tc.list, filepath.Join(out, "db"), tc.opts, lmdb)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want one containing %q", err, tc.err)
			}
			noEntries(t, out)
		})
	}
	// CheckSize accepts equal sizes; --skip_bad leaves the unreadable images out.
	if err := Imageset(root, list, filepath.Join(out, "ok"), ImagesetOptions{CheckSize: true}, lmdb); err != nil {
		t.Error(err)
	}
	if err := Imageset(root, bad, filepath.Join(out, "skipped"), ImagesetOptions{SkipBad: true}, lmdb); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range testdb.Read(t, filepath.Join(out, "skipped"), db.LMDB) {
		keys = append(keys, string(r.Key))
	}
	if fmt.Sprint(keys) != "[00000000_im 0.png 00000003_im 1.png]" {
		t.Errorf("SkipBad kept %q", keys)
	}
}

// TestMatchExt: Caffe's matchExt, which decides whether a file's own bytes are the
// encoding asked for: case-insensitive, jpeg counting as jpg.
func TestMatchExt(t *testing.T) {
	for _, tt := range []struct {
		path, enc string
		want      bool
	}{
		{"a.png", "png", true},
		{"dir.x/a.PNG", "png", true},
		{"a.jpeg", "jpg", true},
		{"a.jpg", "JPG", true},
		{"a.jpg", "jpeg", false},
		{"a.jpg", "png", false},
		{"a", "png", false},
	} {
		if got := matchExt(tt.path, tt.enc); got != tt.want {
			t.Errorf("matchExt(%q, %q) = %v, want %v", tt.path, tt.enc, got, tt.want)
		}
	}
}
