package lmdb

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os/exec"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

// TestFixtures reads the LMDBs that Caffe's converter (MNIST) and python3-lmdb (the
// synthetic CIFAR-10, byte-identical to Caffe's converter output) wrote, from copies.
func TestFixtures(t *testing.T) {
	for _, tc := range []struct {
		rel     string
		n       int
		keyFmt  string
		valueSz int    // 0: not checked
		sha256  string // of all keys and values concatenated, from lmdb_equality_first_records.txt
	}{
		{"fixtures/nets/lenet_mnist/mnist_train_lmdb", 2000, "%08d", 0, ""},
		{"fixtures/nets/lenet_mnist/mnist_test_lmdb", 1000, "%08d", 0, ""},
		{"fixtures/nets/cifar10_synth/cifar10_train_lmdb", 1000, "%05d", 3083, "da210a3643a707944e8fd13d37bf98db98b25a63ac66f8b5425ae5c555e18147"},
		{"fixtures/nets/cifar10_synth/cifar10_test_lmdb", 500, "%05d", 3083, "5bede22349728cb47ef92ce8e26f0fb75c8a8c4cdae35cd36e208ad4472ef154"},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			path := testutil.CopyDir(t, tc.rel)
			recs, st := readAll(t, path)
			if len(recs) != tc.n {
				t.Fatalf("%d records, want %d", len(recs), tc.n)
			}
			h := sha256.New()
			for i, r := range recs {
				if want := fmt.Sprintf(tc.keyFmt, i); string(r.key) != want {
					t.Fatalf("record %d: key %q, want %q", i, r.key, want)
				}
				if tc.valueSz != 0 && len(r.value) != tc.valueSz {
					t.Fatalf("record %d: value of %d bytes, want %d", i, len(r.value), tc.valueSz)
				}
				h.Write(r.key)
				h.Write(r.value)
			}
			if tc.sha256 != "" {
				if got := hex.EncodeToString(h.Sum(nil)); got != tc.sha256 {
					t.Errorf("sha256 of keys and values %s, want %s", got, tc.sha256)
				}
			}
			db, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if walked := walkStat(t, db); walked != st {
				t.Errorf("walking the tree gives %+v, the meta page says %+v", walked, st)
			}
			t.Logf("%+v", st)

			if exec.Command(python, "-c", "import lmdb").Run() == nil {
				compareDigests(t, "python3-lmdb", digestOf(recs), pythonDigests(t, path))
			} else {
				t.Log("python3-lmdb not installed: comparison with liblmdb skipped")
			}
			if _, err := exec.LookPath("mdb_stat"); err == nil {
				checkMdbStat(t, path, st)
			}
		})
	}
}
