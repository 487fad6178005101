// Package testdb reads and writes the databases of Datum records tests compare:
// every record of an LMDB or a LevelDB as gocaffe reads it, and as Debian's
// python3-lmdb (a reader gocaffe did not write) reads it. It is a package of its own
// because internal/io/db's tests use internal/testutil, which therefore cannot use db.
package testdb

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Record is a database record.
type Record struct{ Key, Value []byte }

// Read reads every record of the database at path (give it a copy of a fixture:
// opening an LMDB may write its lock file).
func Read(t testing.TB, path string, b db.Backend) []Record {
	t.Helper()
	r, err := db.OpenReader(path, b)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var recs []Record
	for r.Valid() {
		recs = append(recs, Record{bytes.Clone(r.Key()), bytes.Clone(r.Value())})
		if err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	return recs
}

// Same fails the test at the first record of got that differs from want's, or when
// they do not hold as many records.
func Same(t testing.TB, what string, got, want []Record) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if !bytes.Equal(got[i].Key, want[i].Key) || !bytes.Equal(got[i].Value, want[i].Value) {
			t.Fatalf("%s: record %d: key %q (%d bytes), want %q (%d bytes)", what, i, got[i].Key, len(got[i].Value), want[i].Key, len(want[i].Value))
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
}

// Python is the interpreter that has Debian's python3-lmdb.
const Python = "/usr/bin/python3"

// PythonLMDB reads every record of an LMDB, in key order, with Debian's python3-lmdb.
func PythonLMDB(t testing.TB, path string) []Record {
	t.Helper()
	out, err := exec.Command(Python, "-c", `import sys, lmdb
env = lmdb.open(sys.argv[1], readonly=True, lock=False)
with env.begin() as txn:
    for k, v in txn.cursor():
        print(k.hex(), v.hex())`, path).CombinedOutput()
	if err != nil {
		t.Fatalf("python3-lmdb reading %s (install Debian's python3-lmdb): %v\n%s", path, err, out)
	}
	var recs []Record
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		key, err := hex.DecodeString(k)
		if err != nil {
			t.Fatal(err)
		}
		value, err := hex.DecodeString(v)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, Record{key, value})
	}
	return recs
}

// Write writes Datums under the keys %08d into a new database at path and returns
// path.
func Write(t testing.TB, path string, b db.Backend, ds ...*caffepb.Datum) string {
	t.Helper()
	w, err := db.Create(path, b, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range ds {
		v, err := datum.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Put([]byte(fmt.Sprintf("%08d", i)), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return path
}

// Datums decodes the values of records.
func Datums(t testing.TB, recs []Record) []*caffepb.Datum {
	t.Helper()
	var out []*caffepb.Datum
	for _, r := range recs {
		d := &caffepb.Datum{}
		if err := datum.Unmarshal(r.Value, d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// Entries lists the names in a folder: a failed conversion must leave none behind.
func Entries(t testing.TB, dir string) []string {
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
