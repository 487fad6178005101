package convert

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/internal/testutil/testdb"
)

// lmdb are the options of a conversion into a new LMDB, without a progress bar.
var lmdb = Options{Backend: db.LMDB}

// countingBar is a Bar that remembers where it was set.
type countingBar struct {
	label        string
	total, count int
	finished     bool
}

// Set remembers count.
func (b *countingBar) Set(count int) { b.count = count }

// Finish remembers the bar was finished.
func (b *countingBar) Finish() { b.finished = true }

// TestProgress: with a bar, a conversion moves it to every record and finishes it,
// then logs the count; without one, the log has Caffe's "Processed N files." lines.
func TestProgress(t *testing.T) {
	log := testutil.CaptureLog(t)
	fix := testutil.Path("fixtures/nets/lenet_mnist")
	images := filepath.Join(fix, "t10k-images-1000-idx3-ubyte.gz")
	labels := filepath.Join(fix, "t10k-labels-1000-idx1-ubyte.gz")
	var bar *countingBar
	o := Options{Backend: db.LMDB, NewBar: func(label string, total int) Bar {
		bar = &countingBar{label: label, total: total}
		return bar
	}}
	if err := MNIST(images, labels, filepath.Join(t.TempDir(), "db"), o); err != nil {
		t.Fatal(err)
	}
	if bar == nil || bar.label != "mnist" || bar.total != 1000 || bar.count != 1000 || !bar.finished {
		t.Errorf("bar %+v", bar)
	}
	if n := bytes.Count(log.Bytes(), []byte("Processed 1000 files.")); n != 1 {
		t.Errorf("%d lines of the count, want 1:\n%s", n, log)
	}
	log.Reset()
	if err := MNIST(images, labels, filepath.Join(t.TempDir(), "db"), lmdb); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(log.Bytes(), []byte("Processed 1000 files.")); n != 1 {
		t.Errorf("without a bar: %d lines of the count, want 1:\n%s", n, log)
	}
}

// copyFiles copies files of the fixtures into a new folder and returns it.
func copyFiles(t *testing.T, rel ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, r := range rel {
		b, err := os.ReadFile(testutil.Path(r))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(r)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// noEntries fails the test when a failed conversion left something in dir.
func noEntries(t *testing.T, dir string) {
	t.Helper()
	if names := testdb.Entries(t, dir); len(names) != 0 {
		t.Fatalf("left behind: %v", names)
	}
}
