package convert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/internal/testutil/testdb"
)

// TestMNIST converts the idx files the MNIST fixtures were made from and expects the
// records of Caffe's convert_mnist_data, in an LMDB that python3-lmdb reads and in a
// LevelDB.
func TestMNIST(t *testing.T) {
	testutil.CaptureLog(t)
	dir := t.TempDir()
	fix := testutil.Path("fixtures/nets/lenet_mnist")
	for _, tc := range []struct{ images, labels, want string }{
		{"train-images-2000-idx3-ubyte.gz", "train-labels-2000-idx1-ubyte.gz", "mnist_train_lmdb"},
		{"t10k-images-1000-idx3-ubyte.gz", "t10k-labels-1000-idx1-ubyte.gz", "mnist_test_lmdb"},
	} {
		want := testdb.Read(t, testutil.CopyDir(t, "fixtures/nets/lenet_mnist/"+tc.want), db.LMDB)
		out := filepath.Join(dir, tc.want)
		if err := MNIST(filepath.Join(fix, tc.images), filepath.Join(fix, tc.labels), out, lmdb); err != nil {
			t.Fatal(err)
		}
		testdb.Same(t, tc.want, testdb.Read(t, out, db.LMDB), want)
		testdb.Same(t, tc.want+" read by python3-lmdb", testdb.PythonLMDB(t, out), want)

		out = filepath.Join(dir, strings.Replace(tc.want, "lmdb", "leveldb", 1))
		if err := MNIST(filepath.Join(fix, tc.images), filepath.Join(fix, tc.labels), out, Options{Backend: db.LevelDB}); err != nil {
			t.Fatal(err)
		}
		testdb.Same(t, tc.want+" as LevelDB", testdb.Read(t, out, db.LevelDB), want)
	}
	// Caffe's own LevelDB holds the same records.
	testdb.Same(t, "Caffe's mnist_test_leveldb",
		testdb.Read(t, testutil.CopyDir(t, "fixtures/nets/lenet_mnist/mnist_test_leveldb"), db.LevelDB),
		testdb.Read(t, filepath.Join(dir, "mnist_test_leveldb"), db.LevelDB))
}

// TestMNISTErrors: bad input gives an error and no database, half-written or other;
// an existing output is kept unless Overwrite is set, and a failed overwrite keeps
// it too.
func TestMNISTErrors(t *testing.T) {
	testutil.CaptureLog(t)
	fix := testutil.Path("fixtures/nets/lenet_mnist")
	images := filepath.Join(fix, "t10k-images-1000-idx3-ubyte.gz")
	labels := filepath.Join(fix, "t10k-labels-1000-idx1-ubyte.gz")
	in := copyFiles(t, "fixtures/nets/lenet_mnist/train-labels-2000-idx1-ubyte.gz")
	labels2000 := filepath.Join(in, "train-labels-2000-idx1-ubyte.gz")
	// A truncated image file: the conversion fails after writing records.
	gz, err := os.ReadFile(images)
	if err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(in, "short.gz")
	os.WriteFile(short, gz[:len(gz)/2], 0o644)

	out := t.TempDir()
	for _, tc := range []struct {
		name, images, labels, err string
	}{
		{"swapped files", labels, images, "magic number 2049, want 2051"},
		{"count mismatch", images, labels2000, "holds 1000 images but"},
		{"truncated", short, labels, "short.gz"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := MNIST(tc.images, tc.labels, filepath.Join(out, "db"), lmdb)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
			noEntries(t, out)
		})
	}

	target := filepath.Join(out, "mnist")
	if err := MNIST(images, labels, target, lmdb); err != nil {
		t.Fatal(err)
	}
	before := testdb.Read(t, target, db.LMDB)
	trainImages, trainLabels := filepath.Join(fix, "train-images-2000-idx3-ubyte.gz"), filepath.Join(fix, "train-labels-2000-idx1-ubyte.gz")
	err = MNIST(trainImages, trainLabels, target, lmdb)
	if err == nil || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("existing output: %v", err)
	}
	testdb.Same(t, "the kept database", testdb.Read(t, target, db.LMDB), before)
	overwrite := Options{Backend: db.LMDB, Overwrite: true}
	if err := MNIST(short, labels, target, overwrite); err == nil {
		t.Fatal("truncated input with Overwrite: no error")
	}
	testdb.Same(t, "the database a failed overwrite kept", testdb.Read(t, target, db.LMDB), before)
	if err := MNIST(trainImages, trainLabels, target, overwrite); err != nil {
		t.Fatal(err)
	}
	if n := len(testdb.Read(t, target, db.LMDB)); n != 2000 {
		t.Errorf("after Overwrite: %d records, want 2000", n)
	}
	if names := testdb.Entries(t, out); len(names) != 1 {
		t.Errorf("left behind: %v", names)
	}
}
