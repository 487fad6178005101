package lmdb

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func withPageSize(n int) Option { return func(o *writerOptions) { o.pageSize = n } }

// FuzzOpen feeds damaged data files to the parser behind Open and to every kind of read. Any outcome is
// fine except a panic, a hang, or an error that is not a FormatError naming the file.
// The seeds are small valid databases written by us and by liblmdb.
//
//	go test -fuzz=FuzzOpen -fuzztime=60s ./internal/io/lmdb/
func FuzzOpen(f *testing.F) {
	// Our seeds use 512-byte pages (liblmdb reads any page size the meta page gives):
	// small inputs keep the fuzzer fast, above all when it minimises a find.
	for _, recs := range [][]record{
		nil,
		seqRecords(1, func(int) int { return 5 }),
		seqRecords(5, func(i int) int { return i * 90 }), // overflow pages
		seqRecords(70, func(int) int { return 3 }),       // three levels
	} {
		path, _ := writeDB(f, recs, withPageSize(512))
		data, err := os.ReadFile(filepath.Join(path, DataFile))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// python3-lmdb, four transactions: free pages, a free-list tree, overflow pages.
	data, err := os.ReadFile(filepath.Join("testdata", "liblmdb_small", DataFile))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)

	// The target parses the bytes in memory, as Open does after mapping the file, so
	// that each run takes microseconds and the fuzzer can minimise its finds quickly.
	// TestCorrupt covers the same checks through Open and real files.
	const file = "fuzz/data.mdb"
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := newDB(file, data)
		if err == nil {
			err = readDB(db)
		}
		if err == nil || errors.Is(err, ErrNotFound) {
			// A tree whose separators disagree with its leaves can hide a key from
			// Get that iteration finds; that is damage, not a crash.
			return
		}
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), file) {
			t.Fatalf("error %q (%T) is not a FormatError naming %s", err, err, file)
		}
	})
}
