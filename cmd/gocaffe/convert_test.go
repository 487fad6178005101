package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// execute runs gocaffe with args and returns the command's error.
func execute(args ...string) error {
	rootCmd.SetArgs(normalizeArgs(args))
	return rootCmd.Execute()
}

type record struct{ key, value []byte }

// readDB reads every record of a database (from the path given; copy fixtures first).
func readDB(t *testing.T, path string, b db.Backend) []record {
	t.Helper()
	r, err := db.OpenReader(path, b)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var recs []record
	for r.Valid() {
		recs = append(recs, record{bytes.Clone(r.Key()), bytes.Clone(r.Value())})
		if err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	return recs
}

func sameRecords(t *testing.T, what string, got, want []record) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if !bytes.Equal(got[i].key, want[i].key) || !bytes.Equal(got[i].value, want[i].value) {
			t.Fatalf("%s: record %d: key %q (%d bytes), want %q (%d bytes)", what, i, got[i].key, len(got[i].value), want[i].key, len(want[i].value))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
}

const python = "/usr/bin/python3"

// pythonLMDB returns what Debian's python3-lmdb reads from an LMDB: one line per
// record, the key in hex and the sha256 of the value.
func pythonLMDB(t *testing.T, path string) string {
	t.Helper()
	if err := exec.Command(python, "-c", "import lmdb").Run(); err != nil {
		t.Fatalf("%s cannot import lmdb (install Debian's python3-lmdb): %v", python, err)
	}
	script := `
import hashlib, lmdb, sys
env = lmdb.open(sys.argv[1], readonly=True, lock=False)
with env.begin() as txn:
    for k, v in txn.cursor():
        print(k.hex(), hashlib.sha256(v).hexdigest())
`
	out, err := exec.Command(python, "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("python3-lmdb reading %s: %v\n%s", path, err, out)
	}
	return string(out)
}

func digest(recs []record) string {
	var b strings.Builder
	for _, r := range recs {
		h := sha256.Sum256(r.value)
		fmt.Fprintf(&b, "%s %s\n", hex.EncodeToString(r.key), hex.EncodeToString(h[:]))
	}
	return b.String()
}

// TestConvertMNIST converts the idx files the MNIST fixtures were made from and
// expects the records of Caffe's convert_mnist_data, in an LMDB that python3-lmdb
// reads and in a LevelDB.
func TestConvertMNIST(t *testing.T) {
	captureLog(t)
	dir := t.TempDir()
	fix := testutil.Path("fixtures/nets/lenet_mnist")
	for _, tc := range []struct{ images, labels, want string }{
		{"train-images-2000-idx3-ubyte.gz", "train-labels-2000-idx1-ubyte.gz", "mnist_train_lmdb"},
		{"t10k-images-1000-idx3-ubyte.gz", "t10k-labels-1000-idx1-ubyte.gz", "mnist_test_lmdb"},
	} {
		want := readDB(t, testutil.CopyDir(t, "fixtures/nets/lenet_mnist/"+tc.want), db.LMDB)
		out := filepath.Join(dir, tc.want)
		if err := execute("convert", "mnist", filepath.Join(fix, tc.images), filepath.Join(fix, tc.labels), out); err != nil {
			t.Fatal(err)
		}
		got := readDB(t, out, db.LMDB)
		sameRecords(t, tc.want, got, want)
		if py := pythonLMDB(t, out); py != digest(want) {
			t.Errorf("%s: python3-lmdb reads other records than Caffe's", tc.want)
		}

		out = filepath.Join(dir, strings.Replace(tc.want, "lmdb", "leveldb", 1))
		if err := execute("convert", "mnist", "-backend=leveldb", filepath.Join(fix, tc.images), filepath.Join(fix, tc.labels), out); err != nil {
			t.Fatal(err)
		}
		sameRecords(t, tc.want+" as LevelDB", readDB(t, out, db.LevelDB), want)
	}
	// Caffe's own LevelDB holds the same records.
	sameRecords(t, "Caffe's mnist_test_leveldb",
		readDB(t, testutil.CopyDir(t, "fixtures/nets/lenet_mnist/mnist_test_leveldb"), db.LevelDB),
		readDB(t, filepath.Join(dir, "mnist_test_leveldb"), db.LevelDB))
}

// TestConvertCIFAR10 converts the synthetic CIFAR-10 batches (only data_batch_1.bin
// and test_batch.bin; the missing batches are skipped) and expects the records of
// Caffe's convert_cifar_data.
func TestConvertCIFAR10(t *testing.T) {
	log := captureLog(t)
	in := t.TempDir()
	for _, f := range []string{"data_batch_1.bin", "test_batch.bin"} {
		b, err := os.ReadFile(testutil.Path("fixtures/nets/cifar10_synth/" + f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(in, f), b, 0o644)
	}
	out := filepath.Join(t.TempDir(), "cifar10")
	for _, backend := range []string{"lmdb", "leveldb"} {
		if err := execute("convert", "cifar10", "--backend="+backend, in, out); err != nil {
			t.Fatal(err)
		}
		b, _ := db.ParseBackend(backend)
		for _, split := range []string{"train", "test"} {
			want := readDB(t, testutil.CopyDir(t, "fixtures/nets/cifar10_synth/cifar10_"+split+"_lmdb"), db.LMDB)
			path := filepath.Join(out, "cifar10_"+split+"_"+backend)
			sameRecords(t, path, readDB(t, path, b), want)
			if backend == "lmdb" {
				if py := pythonLMDB(t, path); py != digest(want) {
					t.Errorf("%s: python3-lmdb reads other records than Caffe's", path)
				}
			}
		}
	}
	if !strings.Contains(log.String(), "data_batch_2.bin does not exist: skipped") {
		t.Errorf("no warning about the missing batches:\n%s", log)
	}
}

// cifar100Record is a generated record: coarse label, fine label, 3072 pixels.
func cifar100Record(i int) []byte {
	r := []byte{byte(i % 20), byte((7 * i) % 100)}
	for j := 0; j < datum.CIFARImageBytes; j++ {
		r = append(r, byte(j*i+j/1024))
	}
	return r
}

// TestConvertCIFAR100 converts generated CIFAR-100 files with fine and with coarse
// labels and checks every Datum by hand.
func TestConvertCIFAR100(t *testing.T) {
	captureLog(t)
	in := t.TempDir()
	sizes := map[string]int{"train": 12, "test": 5}
	for split, n := range sizes {
		var b []byte
		for i := 0; i < n; i++ {
			b = append(b, cifar100Record(i)...)
		}
		os.WriteFile(filepath.Join(in, split+".bin"), b, 0o644)
	}
	for _, label := range []string{"fine", "coarse"} {
		out := filepath.Join(t.TempDir(), "out")
		args := []string{"convert", "cifar100", in, out}
		if label == "coarse" {
			args = append(args, "--label=coarse")
		}
		if err := execute(args...); err != nil {
			t.Fatal(err)
		}
		for split, n := range sizes {
			recs := readDB(t, filepath.Join(out, "cifar100_"+split+"_lmdb"), db.LMDB)
			if len(recs) != n {
				t.Fatalf("%s %s: %d records, want %d", label, split, len(recs), n)
			}
			for i, r := range recs {
				raw := cifar100Record(i)
				want := int32(raw[1])
				if label == "coarse" {
					want = int32(raw[0])
				}
				d := &caffepb.Datum{}
				if err := datum.Unmarshal(r.value, d); err != nil {
					t.Fatal(err)
				}
				if string(r.key) != fmt.Sprintf("%05d", i) || d.GetChannels() != 3 || d.GetHeight() != 32 || d.GetWidth() != 32 ||
					d.GetLabel() != want || !bytes.Equal(d.Data, raw[2:]) || d.Encoded != nil {
					t.Fatalf("%s %s record %d: key %q, Datum %d×%d×%d label %d (want %d)", label, split, i, r.key,
						d.GetChannels(), d.GetHeight(), d.GetWidth(), d.GetLabel(), want)
				}
			}
		}
	}
	if err := execute("convert", "cifar100", "--label=medium", in, t.TempDir()); err == nil || !strings.Contains(err.Error(), "want fine or coarse") {
		t.Errorf("--label=medium: %v", err)
	}
}

// entries lists a folder's names, to show that a failed conversion leaves nothing.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestConvertErrors: bad input or an existing output gives an error and no database,
// half-written or other.
func TestConvertErrors(t *testing.T) {
	captureLog(t)
	fix := testutil.Path("fixtures/nets/lenet_mnist")
	images := filepath.Join(fix, "t10k-images-1000-idx3-ubyte.gz")
	labels := filepath.Join(fix, "t10k-labels-1000-idx1-ubyte.gz")
	in := t.TempDir()
	raw, _ := os.ReadFile(filepath.Join(fix, "train-labels-2000-idx1-ubyte.gz"))
	os.WriteFile(filepath.Join(in, "labels2000.gz"), raw, 0o644)
	img := testutil.Path("fixtures/nets/cifar10_synth/data_batch_1.bin")
	b, _ := os.ReadFile(img)
	os.WriteFile(filepath.Join(in, "data_batch_1.bin"), b[:len(b)-100], 0o644)
	// A truncated image file: the conversion fails after writing records.
	gzBytes, _ := os.ReadFile(images)
	os.WriteFile(filepath.Join(in, "short.gz"), gzBytes[:len(gzBytes)/2], 0o644)

	out := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"swapped files", []string{"convert", "mnist", labels, images, filepath.Join(out, "db")}, "magic number 2049, want 2051"},
		{"count mismatch", []string{"convert", "mnist", images, filepath.Join(in, "labels2000.gz"), filepath.Join(out, "db")}, "holds 1000 images but"},
		{"truncated", []string{"convert", "mnist", filepath.Join(in, "short.gz"), labels, filepath.Join(out, "db")}, "short.gz"},
		{"bad backend", []string{"convert", "mnist", "--backend=hdf5", images, labels, filepath.Join(out, "db")}, "unknown database backend"},
		{"cut cifar", []string{"convert", "cifar10", in, filepath.Join(out, "c")}, "not a whole number of CIFAR-10 records"},
		{"no cifar", []string{"convert", "cifar10", t.TempDir(), filepath.Join(out, "c")}, "holds none of the binary files"},
		{"no what", []string{"convert"}, "name what to convert"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := execute(tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
			if names := entries(t, out); len(names) != 0 {
				t.Fatalf("left behind: %v", names)
			}
		})
	}

	// An existing output is kept unless --overwrite is given.
	target := filepath.Join(out, "mnist")
	if err := execute("convert", "mnist", images, labels, target); err != nil {
		t.Fatal(err)
	}
	before := readDB(t, target, db.LMDB)
	err := execute("convert", "mnist", filepath.Join(fix, "train-images-2000-idx3-ubyte.gz"), filepath.Join(fix, "train-labels-2000-idx1-ubyte.gz"), target)
	if err == nil || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("existing output: %v", err)
	}
	sameRecords(t, "the kept database", readDB(t, target, db.LMDB), before)
	// A failed overwrite keeps the old database too.
	if err := execute("convert", "mnist", "--overwrite", filepath.Join(in, "short.gz"), labels, target); err == nil {
		t.Fatal("truncated input with --overwrite: no error")
	}
	sameRecords(t, "the database a failed overwrite kept", readDB(t, target, db.LMDB), before)
	if err := execute("convert", "mnist", "--overwrite", filepath.Join(fix, "train-images-2000-idx3-ubyte.gz"), filepath.Join(fix, "train-labels-2000-idx1-ubyte.gz"), target); err != nil {
		t.Fatal(err)
	}
	if n := len(readDB(t, target, db.LMDB)); n != 2000 {
		t.Errorf("after --overwrite: %d records, want 2000", n)
	}
	if names := entries(t, out); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
}

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

func decodeRecords(t *testing.T, recs []record) []*caffepb.Datum {
	t.Helper()
	var out []*caffepb.Datum
	for _, r := range recs {
		d := &caffepb.Datum{}
		if err := datum.Unmarshal(r.value, d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// TestConvertImageset: PNG files without resizing give exactly the BGR planes; keys
// are %08d_<name>; --gray, --encoded, --shuffle, --check_size; JPEG and resizing
// within a grey level of the reference.
func TestConvertImageset(t *testing.T) {
	captureLog(t)
	const n, h, w = 4, 6, 5
	root, list := writeTestImages(t, n, h, w, "png")
	out := t.TempDir()

	// Raw colour: the BGR planes.
	if err := execute("convert", "imageset", root, list, filepath.Join(out, "raw")); err != nil {
		t.Fatal(err)
	}
	recs := readDB(t, filepath.Join(out, "raw"), db.LMDB)
	for i, d := range decodeRecords(t, recs) {
		if want := fmt.Sprintf("%08d_im %d.png", i, i); string(recs[i].key) != want {
			t.Errorf("key %q, want %q", recs[i].key, want)
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
	if err := execute("convert", "imageset", "--gray", root, list, filepath.Join(out, "gray")); err != nil {
		t.Fatal(err)
	}
	for i, d := range decodeRecords(t, readDB(t, filepath.Join(out, "gray"), db.LMDB)) {
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
	if err := execute("convert", "imageset", "--encoded", root, list, filepath.Join(out, "enc")); err != nil {
		t.Fatal(err)
	}
	for i, d := range decodeRecords(t, readDB(t, filepath.Join(out, "enc"), db.LMDB)) {
		file, _ := os.ReadFile(fmt.Sprintf("%sim %d.png", root, i))
		if !d.GetEncoded() || !bytes.Equal(d.Data, file) || d.GetLabel() != int32(5*i) || d.Channels != nil {
			t.Fatalf("encoded record %d differs from the file", i)
		}
	}

	// Encoded as another type, resized: decodes to the resized image.
	if err := execute("convert", "imageset", "--encode_type=bmp", "--resize_height=9", "--resize_width=7", root, list, filepath.Join(out, "bmp")); err != nil {
		t.Fatal(err)
	}
	if err := execute("convert", "imageset", "--resize_height=9", "--resize_width=7", root, list, filepath.Join(out, "resized")); err != nil {
		t.Fatal(err)
	}
	resized := decodeRecords(t, readDB(t, filepath.Join(out, "resized"), db.LMDB))
	for i, d := range decodeRecords(t, readDB(t, filepath.Join(out, "bmp"), db.LMDB)) {
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
	if err := execute("convert", "imageset", "--shuffle", "--seed=3", root, list, filepath.Join(out, "shuffled")); err != nil {
		t.Fatal(err)
	}
	shuffled := readDB(t, filepath.Join(out, "shuffled"), db.LMDB)
	var names []string
	moved := false
	for i, r := range shuffled {
		name := string(r.key[9:])
		names = append(names, name)
		if !strings.HasPrefix(string(r.key), fmt.Sprintf("%08d_", i)) {
			t.Fatalf("key %q", r.key)
		}
		j := int(name[3] - '0')
		moved = moved || j != i
		if !bytes.Equal(r.value, recs[j].value) {
			t.Fatalf("shuffled record %q differs from the unshuffled one", r.key)
		}
	}
	sort.Strings(names)
	if len(shuffled) != n || names[0] != "im 0.png" || names[n-1] != fmt.Sprintf("im %d.png", n-1) || !moved {
		t.Errorf("shuffled keys %v", names)
	}

	// JPEG: within a grey level on average.
	jroot, jlist := writeTestImages(t, 2, 16, 16, "jpg")
	if err := execute("convert", "imageset", jroot, jlist, filepath.Join(out, "jpeg")); err != nil {
		t.Fatal(err)
	}
	for i, d := range decodeRecords(t, readDB(t, filepath.Join(out, "jpeg"), db.LMDB)) {
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

func TestConvertImagesetErrors(t *testing.T) {
	captureLog(t)
	root, list := writeTestImages(t, 2, 4, 4, "png")
	other, _ := writeTestImages(t, 1, 5, 5, "png")
	os.Rename(other+"im 0.png", root+"big.png")
	os.WriteFile(root+"broken.png", []byte("not a png"), 0o644)
	mixed := filepath.Join(t.TempDir(), "mixed.txt")
	os.WriteFile(mixed, []byte("im 0.png 0\nbig.png 1\n"), 0o644)
	bad := filepath.Join(t.TempDir(), "bad.txt")
	os.WriteFile(bad, []byte("im 0.png 0\nmissing.png 1\nbroken.png 2\nim 1.png 3\n"), 0o644)
	out := t.TempDir()

	for _, tc := range []struct {
		name string
		args []string
		err  string
	}{
		{"check_size", []string{"--check_size", root, mixed, filepath.Join(out, "db")}, mixed + ":2: " + root + "big.png: image of 3×5×5"},
		{"missing", []string{root, bad, filepath.Join(out, "db")}, bad + ":2: " + root + "missing.png"},
		{"bad encode type", []string{"--encode_type=xyz", "--resize_height=2", "--resize_width=2", root, list, filepath.Join(out, "db")}, "cannot encode images as \"xyz\""},
	} {
		err := execute(append([]string{"convert", "imageset"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
		if names := entries(t, out); len(names) != 0 {
			t.Fatalf("%s: left behind %v", tc.name, names)
		}
	}
	// --check_size accepts equal sizes; --skip_bad leaves the unreadable images out.
	if err := execute("convert", "imageset", "--check_size", root, list, filepath.Join(out, "ok")); err != nil {
		t.Error(err)
	}
	if err := execute("convert", "imageset", "--skip_bad", root, bad, filepath.Join(out, "skipped")); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range readDB(t, filepath.Join(out, "skipped"), db.LMDB) {
		keys = append(keys, string(r.key))
	}
	if fmt.Sprint(keys) != "[00000000_im 0.png 00000003_im 1.png]" {
		t.Errorf("--skip_bad kept %q", keys)
	}
}

// TestCIFAR100Models converts a small generated CIFAR-100 set where
// scripts/get_cifar.sh puts the real one, computes its mean, and builds and runs the
// TRAIN and TEST nets of both models/cifar100 solvers on it: 100 outputs, a loss near
// log(100) for the untrained nets.
func TestCIFAR100Models(t *testing.T) {
	captureLog(t)
	root := t.TempDir()
	in := t.TempDir()
	for split, n := range map[string]int{"train": 200, "test": 100} {
		var b []byte
		for i := 0; i < n; i++ {
			b = append(b, cifar100Record(i)...)
		}
		os.WriteFile(filepath.Join(in, split+".bin"), b, 0o644)
	}
	data := filepath.Join(root, "data", "cifar100")
	if err := execute("convert", "cifar100", in, data); err != nil {
		t.Fatal(err)
	}
	if err := execute("mean", filepath.Join(data, "cifar100_train_lmdb"), filepath.Join(data, "mean.binaryproto")); err != nil {
		t.Fatal(err)
	}
	models := filepath.Join(root, "models", "cifar100")
	os.MkdirAll(models, 0o755)
	files, _ := filepath.Glob(filepath.Join(testutil.Root(), "models", "cifar100", "*.prototxt"))
	if len(files) != 4 {
		t.Fatalf("models/cifar100 holds %d prototxt files, want 4", len(files))
	}
	for _, f := range files {
		os.WriteFile(filepath.Join(models, filepath.Base(f)), readFile(t, f), 0o644)
	}
	t.Chdir(root)
	for _, variant := range []string{"quick", "full"} {
		solver, err := protofile.ReadSolverText("models/cifar100/cifar100_" + variant + "_solver.prototxt")
		if err != nil {
			t.Fatal(err)
		}
		for _, phase := range []caffepb.Phase{caffepb.Phase_TRAIN, caffepb.Phase_TEST} {
			param, err := protofile.ReadNetText(solver.GetNet())
			if err != nil {
				t.Fatal(err)
			}
			param.State = &caffepb.NetState{Phase: phase.Enum()}
			n, err := network.New(param, network.Options{Quiet: true})
			if err != nil {
				t.Fatalf("%s %s: %v", variant, phase, err)
			}
			loss, err := n.Forward()
			n.Close()
			if err != nil {
				t.Fatalf("%s %s: %v", variant, phase, err)
			}
			classifier := map[string]string{"quick": "ip2", "full": "ip1"}[variant]
			if shape := n.Blob(classifier).Shape(); fmt.Sprint(shape) != "[100 100]" {
				t.Errorf("%s %s: the classifier's output is %v, want [100 100]", variant, phase, shape)
			}
			if math.Abs(float64(loss)-math.Log(100)) > 0.5 {
				t.Errorf("%s %s: initial loss %g, want about log(100) = 4.6", variant, phase, loss)
			}
		}
	}
}
