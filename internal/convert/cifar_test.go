package convert

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/internal/testutil/testdb"
)

// TestCIFAR10 converts the synthetic CIFAR-10 batches (only data_batch_1.bin and
// test_batch.bin; the missing batches are skipped) and expects the records of
// Caffe's convert_cifar_data.
func TestCIFAR10(t *testing.T) {
	log := testutil.CaptureLog(t)
	in := copyFiles(t, "fixtures/nets/cifar10_synth/data_batch_1.bin", "fixtures/nets/cifar10_synth/test_batch.bin")
	out := filepath.Join(t.TempDir(), "cifar10")
	for _, b := range []db.Backend{db.LMDB, db.LevelDB} {
		if err := CIFAR10(in, out, Options{Backend: b}); err != nil {
			t.Fatal(err)
		}
		for _, split := range []string{"train", "test"} {
			want := testdb.Read(t, testutil.CopyDir(t, "fixtures/nets/cifar10_synth/cifar10_"+split+"_lmdb"), db.LMDB)
			path := filepath.Join(out, "cifar10_"+split+"_"+b.String())
			testdb.Same(t, path, testdb.Read(t, path, b), want)
			if b == db.LMDB {
				testdb.Same(t, path+" read by python3-lmdb", testdb.PythonLMDB(t, path), want)
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

// TestCIFAR100 converts generated CIFAR-100 files with fine and with coarse labels
// and checks every Datum by hand.
func TestCIFAR100(t *testing.T) {
	testutil.CaptureLog(t)
	in := t.TempDir()
	sizes := map[string]int{"train": 12, "test": 5}
	for split, n := range sizes {
		var b []byte
		for i := 0; i < n; i++ {
			b = append(b, cifar100Record(i)...)
		}
		os.WriteFile(filepath.Join(in, split+".bin"), b, 0o644)
	}
	for _, coarse := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "out")
		if err := CIFAR100(in, out, coarse, lmdb); err != nil {
			t.Fatal(err)
		}
		for split, n := range sizes {
			recs := testdb.Read(t, filepath.Join(out, "cifar100_"+split+"_lmdb"), db.LMDB)
			if len(recs) != n {
				t.Fatalf("coarse %v %s: %d records, want %d", coarse, split, len(recs), n)
			}
			for i, d := range testdb.Datums(t, recs) {
				raw := cifar100Record(i)
				want := int32(raw[1])
				if coarse {
					want = int32(raw[0])
				}
				if string(recs[i].Key) != fmt.Sprintf("%05d", i) || d.GetChannels() != 3 || d.GetHeight() != 32 || d.GetWidth() != 32 ||
					d.GetLabel() != want || !bytes.Equal(d.Data, raw[2:]) || d.Encoded != nil {
					t.Fatalf("coarse %v %s record %d: key %q, Datum %d×%d×%d label %d (want %d)", coarse, split, i, recs[i].Key,
						d.GetChannels(), d.GetHeight(), d.GetWidth(), d.GetLabel(), want)
				}
			}
		}
	}
}

// TestCIFARErrors: a cut batch or a folder without the files gives an error and no
// database.
func TestCIFARErrors(t *testing.T) {
	testutil.CaptureLog(t)
	in := t.TempDir()
	b, err := os.ReadFile(testutil.Path("fixtures/nets/cifar10_synth/data_batch_1.bin"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(in, "data_batch_1.bin"), b[:len(b)-100], 0o644)
	out := t.TempDir()
	for _, tc := range []struct {
		name    string
		convert func(dir, out string) error
		dir     string
		err     string
	}{
		{"cut cifar10", func(dir, out string) error { return CIFAR10(dir, out, lmdb) }, in, "not a whole number of CIFAR-10 records"},
		{"no cifar10", func(dir, out string) error { return CIFAR10(dir, out, lmdb) }, t.TempDir(), "holds none of the binary files"},
		{"no cifar100", func(dir, out string) error { return CIFAR100(dir, out, false, lmdb) }, t.TempDir(), "holds none of the binary files"},
		{"no folder", func(dir, out string) error { return CIFAR10(dir, out, lmdb) }, filepath.Join(in, "missing"), "missing does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.convert(tc.dir, filepath.Join(out, "c"))
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
			noEntries(t, out)
		})
	}
}
