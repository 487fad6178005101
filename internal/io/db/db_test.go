package db

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func TestMain(m *testing.M) {
	glog.SetQuiet(true)
	os.Exit(m.Run())
}

type record struct{ key, value []byte }

func readAll(t *testing.T, path string, b Backend) []record {
	t.Helper()
	r, err := OpenReader(path, b)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var recs []record
	for ; r.Valid(); r.Next() {
		if r.Pos() != len(recs) {
			t.Fatalf("Pos() = %d at record %d", r.Pos(), len(recs))
		}
		recs = append(recs, record{bytes.Clone(r.Key()), bytes.Clone(r.Value())})
	}
	if err := r.Next(); err != nil {
		t.Fatal(err)
	}
	n, err := r.Len()
	if err != nil || n != len(recs) {
		t.Fatalf("Len() = %d, %v; the cursor saw %d records", n, err, len(recs))
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

// snapshot returns the names and contents of the files in a folder.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[strings.TrimPrefix(p, dir)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMNISTLevelDBEqualsLMDB: Caffe's converter wrote the same 1,000 MNIST test
// images into a LevelDB (only its write-ahead log) and an LMDB; both read the same,
// record for record, and reading leaves the LevelDB folder as it was.
func TestMNISTLevelDBEqualsLMDB(t *testing.T) {
	lmdbPath := testutil.CopyDir(t, "fixtures/nets/lenet_mnist/mnist_test_lmdb")
	levelPath := testutil.CopyDir(t, "fixtures/nets/lenet_mnist/mnist_test_leveldb")
	before := snapshot(t, levelPath)
	fromLMDB := readAll(t, lmdbPath, LMDB)
	fromLevel := readAll(t, levelPath, LevelDB)
	if len(fromLMDB) != 1000 {
		t.Fatalf("%d LMDB records, want 1000", len(fromLMDB))
	}
	sameRecords(t, "leveldb vs lmdb", fromLevel, fromLMDB)
	for i, r := range fromLMDB {
		if want := fmt.Sprintf("%08d", i); string(r.key) != want {
			t.Fatalf("record %d: key %q, want %q", i, r.key, want)
		}
	}
	after := snapshot(t, levelPath)
	if len(after) != len(before) {
		t.Errorf("reading changed the LevelDB folder: %d files before, %d after", len(before), len(after))
	}
	for name, b := range before {
		if after[name] != b {
			t.Errorf("reading changed %s", name)
		}
	}
}

func testRecords(n int) []record {
	recs := make([]record, n)
	for i := range recs {
		v := bytes.Repeat([]byte{byte(i), byte(i >> 8)}, (i*53)%2000) // 0 to ~4 KB: some on LMDB overflow pages
		recs[i] = record{[]byte(fmt.Sprintf("%08d", i)), v}
	}
	return recs
}

func write(t *testing.T, path string, b Backend, overwrite bool, recs []record) {
	t.Helper()
	w, err := Create(path, b, overwrite)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Put(r.key, r.value); err != nil {
			t.Fatal(err)
		}
	}
	if w.Len() != len(recs) {
		t.Fatalf("Writer.Len() = %d, want %d", w.Len(), len(recs))
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, b := range []Backend{LMDB, LevelDB} {
		for _, n := range []int{0, 1, 999, 1000, 1001, 5000} {
			t.Run(fmt.Sprintf("%v/%d", b, n), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "db")
				recs := testRecords(n)
				write(t, path, b, false, recs)
				sameRecords(t, "read back", readAll(t, path, b), recs)
			})
		}
	}
}

func TestSeekIndexAndWrap(t *testing.T) {
	const n = 2345
	recs := testRecords(n)
	for _, b := range []Backend{LMDB, LevelDB} {
		t.Run(b.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "db")
			write(t, path, b, false, recs)
			for _, k := range []int{0, 1, 299, 300, n - 1, n, n + 1, 7*n + 1234, 64 * 100000} {
				// A fresh Reader each time: for LevelDB the count is not known yet, so a
				// k past the end exercises the count-then-wrap path.
				r, err := OpenReader(path, b)
				if err != nil {
					t.Fatal(err)
				}
				if err := r.SeekIndex(k); err != nil {
					t.Fatal(err)
				}
				want := k % n
				if !r.Valid() || r.Pos() != want || !bytes.Equal(r.Key(), recs[want].key) || !bytes.Equal(r.Value(), recs[want].value) {
					t.Fatalf("SeekIndex(%d): valid %v pos %d key %q, want record %d", k, r.Valid(), r.Pos(), r.Key(), want)
				}
				// Read on across the end: exactly one wrap, at the right place.
				for i := 1; i <= n+2; i++ {
					wrapped, err := r.NextWrap()
					if err != nil {
						t.Fatal(err)
					}
					idx := (want + i) % n
					if wrapped != (idx == 0) || r.Pos() != idx || !bytes.Equal(r.Key(), recs[idx].key) {
						t.Fatalf("SeekIndex(%d) then %d NextWrap: wrapped %v pos %d key %q, want record %d", k, i, wrapped, r.Pos(), r.Key(), idx)
					}
				}
				r.Close()
			}
			if _, err := OpenReader(path, b); err != nil {
				t.Fatal(err)
			}
			r, _ := OpenReader(path, b)
			defer r.Close()
			if err := r.SeekIndex(-1); err == nil {
				t.Error("SeekIndex(-1) succeeded")
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	for _, b := range []Backend{LMDB, LevelDB} {
		t.Run(b.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "db")
			write(t, path, b, false, nil)
			r, err := OpenReader(path, b)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Valid() || r.Key() != nil || r.Value() != nil {
				t.Error("an empty database has a record")
			}
			if n, err := r.Len(); n != 0 || err != nil {
				t.Errorf("Len() = %d, %v", n, err)
			}
			if _, err := r.NextWrap(); !errors.Is(err, ErrEmpty) || !strings.Contains(err.Error(), path) {
				t.Errorf("NextWrap: %v, want ErrEmpty naming the path", err)
			}
			if err := r.SeekIndex(3); !errors.Is(err, ErrEmpty) {
				t.Errorf("SeekIndex: %v, want ErrEmpty", err)
			}
		})
	}
}

func TestCreateRules(t *testing.T) {
	for _, b := range []Backend{LMDB, LevelDB} {
		t.Run(b.String(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "db")
			old := testRecords(10)
			write(t, path, b, false, old)

			// Exists: refused without overwrite.
			if _, err := Create(path, b, false); !errors.Is(err, os.ErrExist) || !strings.Contains(err.Error(), path) {
				t.Errorf("Create over an existing database: %v", err)
			}
			// Keys out of order are refused, for LevelDB too.
			w, err := Create(path, b, true)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Put([]byte("b"), nil); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"a", "b"} {
				if err := w.Put([]byte(k), nil); err == nil || !strings.Contains(err.Error(), "increasing") {
					t.Errorf("Put(%q) after \"b\": %v", k, err)
				}
			}
			// Until Commit the old database is intact; Abort keeps it.
			sameRecords(t, "before Abort", readAll(t, path, b), old)
			if err := w.Abort(); err != nil {
				t.Fatal(err)
			}
			sameRecords(t, "after Abort", readAll(t, path, b), old)
			if err := w.Put([]byte("c"), nil); err == nil {
				t.Error("Put after Abort succeeded")
			}
			// Overwrite replaces it on Commit.
			fresh := testRecords(3)
			write(t, path, b, true, fresh)
			sameRecords(t, "after overwrite", readAll(t, path, b), fresh)
			// Nothing is left behind beside the target.
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				t.Errorf("folder holds %d entries, want only the database", len(entries))
			}
			// A folder of something else is not replaced.
			other := filepath.Join(dir, "other")
			os.Mkdir(other, 0o755)
			os.WriteFile(filepath.Join(other, "thesis.tex"), []byte("keep"), 0o644)
			if _, err := Create(other, b, true); err == nil || !strings.Contains(err.Error(), "thesis.tex") {
				t.Errorf("Create over a folder of other files: %v", err)
			}
			// The other backend's database is not replaced either.
			otherDB := filepath.Join(dir, "otherdb")
			otherBackend := map[Backend]Backend{LMDB: LevelDB, LevelDB: LMDB}[b]
			write(t, otherDB, otherBackend, false, old)
			if _, err := Create(otherDB, b, true); err == nil {
				t.Errorf("Create(%v) replaced a %v", b, otherBackend)
			}
		})
	}
}

func TestBadPaths(t *testing.T) {
	dir := t.TempDir()
	lmdbPath := filepath.Join(dir, "a_lmdb")
	levelPath := filepath.Join(dir, "a_leveldb")
	write(t, lmdbPath, LMDB, false, testRecords(2))
	write(t, levelPath, LevelDB, false, testRecords(2))
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("not a database"), 0o644)
	for _, tc := range []struct {
		path string
		b    Backend
		want string
	}{
		{filepath.Join(dir, "missing"), LMDB, "no such file"},
		{filepath.Join(dir, "missing"), LevelDB, "no such file"},
		{dir, LMDB, "no data.mdb"},
		{dir, LevelDB, "no CURRENT"},
		{file, LMDB, "too short"},
		{file, LevelDB, "not a directory"},
		{levelPath, LMDB, "set backend: LEVELDB"},
		{lmdbPath, LevelDB, "set backend: LMDB"},
	} {
		_, err := OpenReader(tc.path, tc.b)
		if err == nil || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("OpenReader(%s, %v): %v, want an error naming the path and saying %q", tc.path, tc.b, err, tc.want)
		}
	}
	if _, err := Create(filepath.Join(dir, "no", "db"), LMDB, false); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "no")) {
		t.Errorf("Create in a missing folder: %v", err)
	}
	if _, err := Create(filepath.Join(dir, "no", "db"), LevelDB, false); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "no")) {
		t.Errorf("Create in a missing folder: %v", err)
	}
}

func TestBackendNames(t *testing.T) {
	for _, tc := range []struct {
		proto caffepb.DataParameter_DB
		name  string
		want  Backend
	}{
		{caffepb.DataParameter_LMDB, "lmdb", LMDB},
		{caffepb.DataParameter_LEVELDB, "LevelDB", LevelDB},
	} {
		if b, err := FromProto(tc.proto); b != tc.want || err != nil {
			t.Errorf("FromProto(%v) = %v, %v", tc.proto, b, err)
		}
		if b, err := ParseBackend(tc.name); b != tc.want || err != nil {
			t.Errorf("ParseBackend(%q) = %v, %v", tc.name, b, err)
		}
		if !strings.EqualFold(tc.want.String(), tc.name) {
			t.Errorf("%v.String() = %q", tc.want, tc.want.String())
		}
	}
	if _, err := ParseBackend("hdf5"); err == nil {
		t.Error("ParseBackend(hdf5) succeeded")
	}
	if _, err := FromProto(7); err == nil {
		t.Error("FromProto(7) succeeded")
	}
}

// TestLevelDBWithLibleveldb checks our LevelDBs against C++ LevelDB, the library Caffe
// links, through python3-plyvel: it reads what we write, and once it has opened the
// database (replaying the log into a snappy-compressed table, as Caffe's read-write
// open does) we read its tables back.
func TestLevelDBWithLibleveldb(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import plyvel").Run(); err != nil {
		t.Skip("python3-plyvel not installed (apt-get install python3-plyvel): ", err)
	}
	path := filepath.Join(t.TempDir(), "db")
	recs := testRecords(3000)
	write(t, path, LevelDB, false, recs)

	const script = `
import hashlib, plyvel, sys
db = plyvel.DB(sys.argv[1], create_if_missing=False)
for k, v in db:
    sys.stdout.write("%s %s\n" % (k.hex(), hashlib.sha256(v).hexdigest()))
db.close()
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, path).Output()
	if err != nil {
		t.Fatalf("plyvel: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(recs) {
		t.Fatalf("libleveldb read %d records, want %d", len(lines), len(recs))
	}
	for i, r := range recs {
		if want := fmt.Sprintf("%x %x", r.key, sha256.Sum256(r.value)); lines[i] != want {
			t.Fatalf("libleveldb record %d: %q, want %q", i, lines[i], want)
		}
	}
	tables, _ := filepath.Glob(filepath.Join(path, "*.ldb"))
	if len(tables) == 0 {
		t.Fatalf("libleveldb left no table in %s", path)
	}
	sameRecords(t, "after libleveldb rewrote it", readAll(t, path, LevelDB), recs)
}

// tableLevelDB writes a LevelDB whose records sit in a table file (.ldb), as a
// database LevelDB has compacted holds them, not only in its write-ahead log.
func tableLevelDB(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tables")
	d, err := leveldb.OpenFile(dir, &opt.Options{WriteBuffer: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3000; i++ {
		d.Put([]byte(fmt.Sprintf("%08d", i)), bytes.Repeat([]byte{byte(i)}, 100+i%7), nil)
	}
	if err := d.CompactRange(util.Range{}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	return dir
}

// TestCorruptLevelDB: a damaged LevelDB — its write-ahead log,
// a table or its manifest — is reported as corrupt, naming the damaged file. Before,
// LevelDB's lenient defaults dropped the damaged log and the database read as
// "database ... is empty".
func TestCorruptLevelDB(t *testing.T) {
	fixture := testutil.Path("fixtures/nets/lenet_mnist/mnist_test_leveldb")
	tables := tableLevelDB(t)
	for _, tc := range []struct {
		name, src, file string
		at              float64
	}{
		{"log start", fixture, "*.log", 0},
		{"log middle", fixture, "*.log", 0.5},
		{"manifest", fixture, "MANIFEST-*", 0.5},
		{"table start", tables, "*.ldb", 0},
		{"table middle", tables, "*.ldb", 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "db")
			if err := os.CopyFS(dir, os.DirFS(tc.src)); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(dir, tc.file))
			if len(files) == 0 {
				t.Fatalf("no file %s", tc.file)
			}
			b, _ := os.ReadFile(files[0])
			b[int(float64(len(b))*tc.at)] ^= 0x55
			os.WriteFile(files[0], b, 0o644)
			err := func() error {
				r, err := OpenReader(dir, LevelDB)
				if err != nil {
					return err
				}
				defer r.Close()
				for r.Valid() {
					if err := r.Next(); err != nil {
						return err
					}
				}
				return fmt.Errorf("read %d records without an error", r.Pos())
			}()
			if err == nil || !strings.Contains(err.Error(), "corrupt") || !strings.Contains(err.Error(), filepath.Base(files[0])) ||
				!strings.Contains(err.Error(), dir) {
				t.Fatalf("error %v, want one saying the database %s is corrupt and naming %s", err, dir, filepath.Base(files[0]))
			}
		})
	}
}
