package db

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// seedLevelDB is a small LevelDB: its files by name. With tables, its records sit
// in a table (.ldb) as well as in the write-ahead log.
func seedLevelDB(f *testing.F, tables bool) map[string][]byte {
	dir := filepath.Join(f.TempDir(), "seed")
	d, err := leveldb.OpenFile(dir, &opt.Options{WriteBuffer: 4 << 10})
	if err != nil {
		f.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		d.Put([]byte(fmt.Sprintf("%08d", i)), []byte(strings.Repeat(string(rune('a'+i%26)), 20+i)), nil)
		if tables && i == 30 {
			d.CompactRange(util.Range{})
		}
	}
	d.Close()
	files := map[string][]byte{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() == "LOCK" || e.Name() == "LOG" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

// FuzzLevelDB reads a LevelDB one of whose files — the write-ahead log,
// a table, the manifest — holds the fuzzed bytes: any bytes give records or an error
// (corruption names the file), never a panic or a hang.
func FuzzLevelDB(f *testing.F) {
	seeds := []map[string][]byte{seedLevelDB(f, false), seedLevelDB(f, true)}
	for si, files := range seeds {
		var names []string
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if n != "CURRENT" {
				f.Add(uint8(si), kindOfFile(n), files[n])
			}
		}
	}
	dir := filepath.Join(f.TempDir(), "db")
	f.Fuzz(func(t *testing.T, seed, kind uint8, data []byte) {
		files := seeds[int(seed)%len(seeds)]
		os.RemoveAll(dir)
		os.MkdirAll(dir, 0o755)
		replaced := false
		for name, b := range files {
			if !replaced && name != "CURRENT" && kindOfFile(name) == kind%3 {
				b, replaced = data, true
			}
			os.WriteFile(filepath.Join(dir, name), b, 0o644)
		}
		r, err := OpenReader(dir, LevelDB)
		if err != nil {
			return
		}
		defer r.Close()
		for n := 0; r.Valid(); n++ {
			if n > 1000 {
				t.Fatal("more records than any file of the seed holds")
			}
			if err := r.Next(); err != nil {
				return
			}
		}
	})
}

// kindOfFile numbers LevelDB's files: 0 a write-ahead log, 1 a table, 2 a manifest.
func kindOfFile(name string) uint8 {
	switch {
	case strings.HasSuffix(name, ".log"):
		return 0
	case strings.HasSuffix(name, ".ldb"), strings.HasSuffix(name, ".sst"):
		return 1
	}
	return 2
}
