package lmdb

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// skipBig skips, under go test -short, the databases of more than 20,000 records.
func skipBig(t *testing.T, n int) {
	t.Helper()
	if testing.Short() && n > 20000 {
		t.Skipf("-short: the full suite also checks a database of %d records, several branch levels deep", n)
	}
}

// roundTripCases are the databases every direction of the round trip is tested on.
var roundTripCases = []struct {
	name      string
	recs      func() []record
	minDepth  int
	overflows bool
}{
	{"empty", func() []record { return nil }, 0, false},
	{"one", func() []record { return seqRecords(1, func(int) int { return 10 }) }, 1, false},
	{"few", func() []record { return seqRecords(7, func(i int) int { return i * 100 }) }, 1, false},
	{"empty values", func() []record { return seqRecords(50, func(int) int { return 0 }) }, 1, false},
	// 2038 is the largest leaf node kept in a page: 8-byte header + 8-byte key + 2022.
	{"overflow boundary", func() []record { return seqRecords(40, func(i int) int { return 2018 + i%8 }) }, 2, true},
	{"mnist 1000", func() []record { return seqRecords(1000, func(int) int { return 794 }) }, 2, false},
	{"cifar 1000", func() []record { return seqRecords(1000, func(int) int { return 3083 }) }, 2, true},
	{"large values", func() []record { return seqRecords(30, func(i int) int { return 1 + i*i*997 }) }, 1, true},
	{"random binary keys", func() []record {
		return randomRecords(rand.New(rand.NewPCG(1, 2)), 3000, 64, []int{0, 1, 17, 300, 2022, 2023, 3083, 9000})
	}, 2, true},
	{"max keys", func() []record {
		return randomRecords(rand.New(rand.NewPCG(3, 4)), 500, maxKeySize, []int{5, 1500})
	}, 2, false},
	// Long keys make branch pages hold few children, so 100,000 records need several
	// branch levels.
	{"100k", func() []record {
		recs := make([]record, 100000)
		for i := range recs {
			recs[i] = record{[]byte(fmt.Sprintf("%0100d", i)), []byte(fmt.Sprintf("value %d", i))}
		}
		return recs
	}, 4, false},
}

func TestRoundTripOurs(t *testing.T) {
	for _, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			recs := tc.recs()
			skipBig(t, len(recs))
			path, wst := writeDB(t, recs)
			got, st := readAll(t, path)
			compareDigests(t, "read back", digestOf(got), digestOf(recs))
			if st != wst {
				t.Errorf("reader Stat %+v, writer Stat %+v", st, wst)
			}
			if st.Depth < tc.minDepth {
				t.Errorf("depth %d, want at least %d", st.Depth, tc.minDepth)
			}
			if (st.OverflowPages > 0) != tc.overflows {
				t.Errorf("%d overflow pages, want overflow pages: %v", st.OverflowPages, tc.overflows)
			}
			db, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if walked := walkStat(t, db); walked != st {
				t.Errorf("walking the tree gives %+v, the meta page says %+v", walked, st)
			}
			// Point look-ups of every record (a sample of the big ones) and of keys
			// just beside them.
			step := max(1, len(recs)/2000)
			for i := 0; i < len(recs); i += step {
				v, err := db.Get(recs[i].key)
				if err != nil || !bytes.Equal(v, recs[i].value) {
					t.Fatalf("Get(%q) = %d bytes, %v; want %d bytes", recs[i].key, len(v), err, len(recs[i].value))
				}
				missing := append(bytes.Clone(recs[i].key), 0)
				if i+1 < len(recs) && bytes.Equal(missing, recs[i+1].key) {
					continue
				}
				if _, err := db.Get(missing); !errors.Is(err, ErrNotFound) {
					t.Fatalf("Get(%q) error %v, want ErrNotFound", missing, err)
				}
			}
			if len(recs) > 0 && st.Depth > 0 {
				t.Logf("%d records: depth %d, %d branch, %d leaf, %d overflow pages", len(recs), st.Depth, st.BranchPages, st.LeafPages, st.OverflowPages)
			}
		})
	}
}

// TestOursReadByLiblmdb: what we write, liblmdb reads: mdb_dump and python3-lmdb see the
// same records, and mdb_stat the same tree.
func TestOursReadByLiblmdb(t *testing.T) {
	needTool(t, "mdb_dump")
	needTool(t, "mdb_stat")
	needPythonLMDB(t)
	for _, tc := range roundTripCases {
		t.Run(tc.name, func(t *testing.T) {
			recs := tc.recs()
			skipBig(t, len(recs))
			path, st := writeDB(t, recs)
			want := digestOf(recs)
			checkMdbStat(t, path, st)
			if len(recs) <= 5000 {
				compareDigests(t, "mdb_dump", digestOf(mdbDump(t, path)), want)
			}
			compareDigests(t, "python3-lmdb", pythonDigests(t, path), want)
		})
	}
}

// TestMapSizesInLiblmdb: liblmdb opens what we write whatever map size the reader
// sets: liblmdb's default (1 MiB, smaller than the data), python-lmdb's (10 MiB),
// and the 1 TiB that older Caffe versions set before opening any LMDB.
func TestMapSizesInLiblmdb(t *testing.T) {
	needPythonLMDB(t)
	recs := seqRecords(5000, func(int) int { return 3083 }) // about 20 MiB
	path, st := writeDB(t, recs)
	for _, size := range []uint64{1 << 20, 10 << 20, 1 << 40} {
		script := fmt.Sprintf(`
import lmdb, sys
env = lmdb.open(sys.argv[1], readonly=True, map_size=%d)
with env.begin() as txn:
    n = sum(len(v) for _, v in txn.cursor())
print(env.stat()["entries"], n, env.info()["map_size"])
`, size)
		out, err := exec.Command(python, "-c", script, path).Output()
		if err != nil {
			t.Fatalf("map size %d: %v\n%s", size, err, stderrOf(err))
		}
		want := fmt.Sprintf("%d %d", len(recs), len(recs)*3083)
		if !strings.HasPrefix(string(out), want+" ") {
			t.Errorf("map size %d: python3-lmdb says %q, want %q (entries, value bytes)", size, out, want)
		}
	}
	t.Logf("map size recorded: %d", st.MapSize)
}

// TestLiblmdbReadByUs: what liblmdb writes, we read, both from mdb_load and from
// python3-lmdb (random insertion order, several transactions, deletions and
// overwrites, so the file holds free pages and a free-list tree that we must ignore).
func TestLiblmdbReadByUs(t *testing.T) {
	t.Run("mdb_load", func(t *testing.T) {
		needTool(t, "mdb_load")
		needTool(t, "mdb_stat")
		for _, tc := range roundTripCases {
			t.Run(tc.name, func(t *testing.T) {
				recs := tc.recs()
				skipBig(t, len(recs))
				if len(recs) > 5000 {
					t.Skip("covered by the python3-lmdb case")
				}
				path := mdbLoad(t, recs, "")
				got, st := readAll(t, path)
				compareDigests(t, "our reader", digestOf(got), digestOf(recs))
				checkMdbStat(t, path, st)
			})
		}
	})
	t.Run("python3-lmdb append", func(t *testing.T) {
		// MDB_APPEND's page splits leave one-key pages at the end of every level.
		needPythonLMDB(t)
		path := filepath.Join(t.TempDir(), "db")
		pythonWrite(t, path, `
import lmdb, sys
env = lmdb.open(sys.argv[1], map_size=1 << 30)
with env.begin(write=True) as txn:
    for i in range(20000):
        txn.put(b"%08d" % i, bytes([i % 251]) * (i % 300), append=True)
`)
		recs := seqRecords(20000, func(i int) int { return i % 300 })
		for i := range recs {
			for j := range recs[i].value {
				recs[i].value[j] = byte(i % 251)
			}
		}
		got, st := readAll(t, path)
		compareDigests(t, "our reader", digestOf(got), digestOf(recs))
		t.Logf("%+v", st)
	})
	t.Run("python3-lmdb", func(t *testing.T) {
		needPythonLMDB(t)
		for _, n := range []int{1, 10, 1000, 100000} {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				skipBig(t, n)
				path := filepath.Join(t.TempDir(), "db")
				pythonWrite(t, path, fmt.Sprintf(pythonRandomDB, n))
				want := pythonDigests(t, path)
				got, st := readAll(t, path)
				compareDigests(t, "our reader", digestOf(got), want)
				db, err := Open(path)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if walked := walkStat(t, db); walked != st {
					t.Errorf("walking the tree gives %+v, the meta page says %+v", walked, st)
				}
				if n == 100000 {
					if st.Depth <= 2 {
						t.Errorf("depth %d, want > 2", st.Depth)
					}
					t.Logf("python3-lmdb, %d records: %+v", n, st)
				}
			})
		}
	})
}

// pythonRandomDB writes %d records in random order over several transactions, then
// deletes every 7th and rewrites every 5th, leaving free pages behind.
const pythonRandomDB = `
import lmdb, random, sys
n = %d
rng = random.Random(7)
env = lmdb.open(sys.argv[1], map_size=1 << 30)
keys = [("%%08d" %% i).encode() + bytes(rng.randrange(256) for _ in range(rng.randrange(4))) for i in range(n)]
rng.shuffle(keys)
sizes = [0, 3, 100, 794, 2022, 2023, 3083, 7000]
for chunk in range(0, n, max(1, n // 4)):
    with env.begin(write=True) as txn:
        for k in keys[chunk:chunk + max(1, n // 4)]:
            txn.put(k, rng.randbytes(rng.choice(sizes)))
with env.begin(write=True) as txn:
    for i, k in enumerate(sorted(keys)):
        if i %% 7 == 3 and n > 1:
            txn.delete(k)
        elif i %% 5 == 1:
            txn.put(k, rng.randbytes(rng.choice(sizes)))
env.close()
`

func TestCursor(t *testing.T) {
	recs := seqRecords(5000, func(i int) int { return []int{10, 500, 3083}[i%3] })
	path, _ := writeDB(t, recs)
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys := make([][]byte, len(recs))
	for i, r := range recs {
		keys[i] = r.key
	}

	t.Run("seek", func(t *testing.T) {
		for _, tc := range []struct {
			seek string
			want int // index of the record found, -1 for none
		}{
			{"", 0},
			{"0", 0},
			{"00000000", 0},
			{"000000000", 1},
			{"00000999", 999},
			{"00000999\xff", 1000},
			{"00002500", 2500},
			{"00004999", 4999},
			{"00004999\x00", -1},
			{"1", -1},
			{"\xff", -1},
		} {
			c := db.Cursor()
			ok := c.Seek([]byte(tc.seek))
			if c.Err() != nil {
				t.Fatal(c.Err())
			}
			if tc.want < 0 {
				if ok || c.Valid() {
					t.Errorf("Seek(%q) found %q, want nothing", tc.seek, c.Key())
				}
				continue
			}
			if !ok || !bytes.Equal(c.Key(), keys[tc.want]) || !bytes.Equal(c.Value(), recs[tc.want].value) {
				t.Errorf("Seek(%q) = %v %q, want %q", tc.seek, ok, c.Key(), keys[tc.want])
				continue
			}
			// Iteration continues from a sought position.
			for i := tc.want + 1; i < min(tc.want+300, len(recs)); i++ {
				if !c.Next() || !bytes.Equal(c.Key(), keys[i]) {
					t.Fatalf("Next after Seek(%q) at %d = %q, want %q (err %v)", tc.seek, i, c.Key(), keys[i], c.Err())
				}
			}
		}
	})

	t.Run("skip", func(t *testing.T) {
		for _, tc := range []struct{ from, n int }{
			{0, 0}, {0, 1}, {0, 4999}, {0, 5000}, {0, 123456}, {17, 1}, {17, 1000}, {4998, 1}, {4998, 2}, {100, 4899}, {100, 4900},
		} {
			c := db.Cursor()
			c.Seek(keys[tc.from])
			ok := c.Skip(uint64(tc.n))
			if c.Err() != nil {
				t.Fatal(c.Err())
			}
			want := tc.from + tc.n
			if want >= len(recs) {
				if ok || c.Valid() {
					t.Errorf("Skip(%d) from %d found %q, want the end", tc.n, tc.from, c.Key())
				}
				continue
			}
			if !ok || !bytes.Equal(c.Key(), keys[want]) || !bytes.Equal(c.Value(), recs[want].value) {
				t.Errorf("Skip(%d) from %d at %q, want %q", tc.n, tc.from, c.Key(), keys[want])
			}
			if want+1 < len(recs) && (!c.Next() || !bytes.Equal(c.Key(), keys[want+1])) {
				t.Errorf("Next after Skip(%d) from %d at %q, want %q", tc.n, tc.from, c.Key(), keys[want+1])
			}
		}
	})

	t.Run("end", func(t *testing.T) {
		c := db.Cursor()
		if c.Valid() || c.Next() || c.Skip(1) {
			t.Fatal("an unpositioned cursor moved")
		}
		c.Seek(keys[len(keys)-1])
		if c.Next() || c.Valid() || c.Err() != nil || c.Key() != nil || c.Next() {
			t.Fatalf("Next after the last record: valid %v, key %q, err %v", c.Valid(), c.Key(), c.Err())
		}
		if !c.First() || !bytes.Equal(c.Key(), keys[0]) {
			t.Fatalf("First after the end = %q", c.Key())
		}
	})

	t.Run("empty", func(t *testing.T) {
		path, _ := writeDB(t, nil)
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		c := db.Cursor()
		if c.First() || c.Seek(nil) || c.Valid() || c.Err() != nil || db.Len() != 0 {
			t.Fatalf("empty database: cursor valid %v err %v Len %d", c.Valid(), c.Err(), db.Len())
		}
		if _, err := db.Get([]byte("x")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get on empty: %v", err)
		}
	})
}

func TestOpenPaths(t *testing.T) {
	recs := seqRecords(3, func(int) int { return 4 })
	path, _ := writeDB(t, recs)
	// The data file itself, as with MDB_NOSUBDIR.
	got, _ := readAll(t, filepath.Join(path, DataFile))
	compareDigests(t, "data file", digestOf(got), digestOf(recs))

	missing := filepath.Join(t.TempDir(), "nope")
	if _, err := Open(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Open(missing) error %v, want one naming %s", err, missing)
	}
	empty := t.TempDir()
	if _, err := Open(empty); err == nil || !strings.Contains(err.Error(), empty) || !strings.Contains(err.Error(), DataFile) {
		t.Errorf("Open(empty dir) error %v, want one naming %s and %s", err, empty, DataFile)
	}
	// A closed database refuses to move its cursors instead of faulting.
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	c := db.Cursor()
	c2 := db.Cursor()
	c2.First()
	db.Close()
	if c.First() || c.Err() == nil {
		t.Errorf("cursor on a closed database: valid %v err %v", c.Valid(), c.Err())
	}
	if c2.Next() || c2.Err() == nil || c2.Skip(1) {
		t.Errorf("cursor moving on after Close: valid %v err %v", c2.Valid(), c2.Err())
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestWriterErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the target exists before Commit: %v", err)
	}
	for _, tc := range []struct {
		key, value string
		want       string // in the error; "" for success
	}{
		{"b", "1", ""},
		{"a", "1", "strictly increasing"},
		{"b", "1", "strictly increasing"},
		{"", "1", "1 to 511"},
		{strings.Repeat("k", 512), "1", "1 to 511"},
		{"c" + strings.Repeat("k", 510), "1", ""},
		{"d", "", ""},
	} {
		err := w.Put([]byte(tc.key), []byte(tc.value))
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path)) {
			t.Errorf("Put(%.10q) error %v, want %q", tc.key, err, tc.want)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := w.Put([]byte("e"), nil); err == nil {
		t.Error("Put after Commit succeeded")
	}
	if err := w.Commit(); err == nil {
		t.Error("second Commit succeeded")
	}
	got, _ := readAll(t, path)
	if len(got) != 3 {
		t.Fatalf("%d records after the failed Puts, want 3", len(got))
	}
	if fi, err := os.Stat(filepath.Join(path, LockFile)); err != nil || fi.Size() != 0 {
		t.Errorf("lock file: %v", err)
	}

	// The target exists: refused without Overwrite, and the old database survives.
	if _, err := Create(path); !errors.Is(err, os.ErrExist) || !strings.Contains(err.Error(), path) {
		t.Errorf("Create over an existing database: %v", err)
	}
	// Overwrite replaces it, but only at Commit.
	w, err = Create(path, Overwrite())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Put([]byte("new"), []byte("value")); err != nil {
		t.Fatal(err)
	}
	if got, _ := readAll(t, path); len(got) != 3 {
		t.Fatalf("the old database changed before Commit: %d records", len(got))
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, _ := readAll(t, path); len(got) != 1 || string(got[0].key) != "new" {
		t.Fatalf("after overwrite: %q", got)
	}
	// Abort leaves the old database and no temporary files.
	w, err = Create(path, Overwrite())
	if err != nil {
		t.Fatal(err)
	}
	w.Put([]byte("x"), []byte("y"))
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if got, _ := readAll(t, path); len(got) != 1 || string(got[0].key) != "new" {
		t.Fatalf("after Abort: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "db" {
		t.Errorf("folder holds %v after Abort, want only db", entries)
	}
	// A directory that is not an LMDB is never replaced.
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o755)
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("keep"), 0o644)
	if _, err := Create(other, Overwrite()); err == nil || !strings.Contains(err.Error(), "notes.txt") {
		t.Errorf("Create over a non-LMDB folder: %v", err)
	}
	// A missing parent folder is an error naming the path.
	deep := filepath.Join(dir, "no", "such", "db")
	if _, err := Create(deep); err == nil || !strings.Contains(err.Error(), deep) {
		t.Errorf("Create in a missing folder: %v", err)
	}
}

func TestMapSize(t *testing.T) {
	for _, tc := range []struct {
		recs []record
		opts []Option
		want uint64
	}{
		{nil, nil, 1 << 20},
		{seqRecords(1000, func(int) int { return 3083 }), nil, 4 << 20}, // 1010 pages
		{seqRecords(1100, func(int) int { return 3083 }), nil, 8 << 20}, // 1111 pages
		{seqRecords(10, func(int) int { return 10 }), []Option{MapSize(1 << 40)}, 1 << 40},
		{seqRecords(10, func(int) int { return 10 }), []Option{MapSize(100)}, 3 * DefaultPageSize},
	} {
		_, st := writeDB(t, tc.recs, tc.opts...)
		if st.MapSize != tc.want {
			t.Errorf("%d records, options %d: map size %d, want %d", len(tc.recs), len(tc.opts), st.MapSize, tc.want)
		}
	}
}

// TestUnsupported: databases liblmdb can make but Caffe never does get a clear error.
func TestUnsupported(t *testing.T) {
	needTool(t, "mdb_load")
	recs := seqRecords(3, func(int) int { return 3 })
	for _, tc := range []struct {
		name, header string
		flags        []string
		want         string
	}{
		{"dupsort", "dupsort=1\n", nil, "MDB_DUPSORT"},
		{"integerkey", "integerkey=1\n", nil, "key order"},
		{"named", "", []string{"-s", "named"}, "sub-database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := mdbLoad(t, recs, tc.header, tc.flags...)
			db, err := Open(path)
			if err == nil {
				c := db.Cursor()
				c.First()
				err = c.Err()
				db.Close()
			}
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want ErrUnsupported mentioning %q and the path", err, tc.want)
			}
		})
	}
}

// TestCorrupt damages a valid database in the ways a disk, a copy or a wrong file can,
// and expects an ErrCorrupt error naming the file, never a panic or a hang.
func TestCorrupt(t *testing.T) {
	recs := seqRecords(600, func(i int) int { return []int{20, 3083}[i%2] })
	path, st := writeDB(t, recs)
	good, err := os.ReadFile(filepath.Join(path, DataFile))
	if err != nil {
		t.Fatal(err)
	}
	ps := DefaultPageSize
	root := int(mustOpenMeta(t, path).main.root)
	put16 := func(b []byte, off int, v uint16) { b[off], b[off+1] = byte(v), byte(v>>8) }
	put64 := func(b []byte, off int, v uint64) {
		for i := range 8 {
			b[off+i] = byte(v >> (8 * i))
		}
	}
	firstLeaf := 2 // the first page written is the first leaf or its first value's overflow
	for pageFlags(good[firstLeaf*ps:])&pLeaf == 0 {
		firstLeaf++
	}
	for _, tc := range []struct {
		name   string
		damage func(b []byte) []byte
		want   string
		kind   error
	}{
		{"empty file", func(b []byte) []byte { return nil }, "too short", ErrCorrupt},
		{"half a meta page", func(b []byte) []byte { return b[:100] }, "too short", ErrCorrupt},
		{"one page", func(b []byte) []byte { return b[:ps] }, "two meta pages", ErrCorrupt},
		{"truncated", func(b []byte) []byte { return b[:len(b)/2] }, "truncated", ErrCorrupt},
		{"last page cut", func(b []byte) []byte { return b[:len(b)-1] }, "truncated", ErrCorrupt},
		{"zeros", func(b []byte) []byte { return make([]byte, len(b)) }, "not a meta page", ErrCorrupt},
		{"text file", func(b []byte) []byte { return bytes.Repeat([]byte("hello, world\n"), 1000) }, "not an LMDB data file", ErrCorrupt},
		{"bad magic", func(b []byte) []byte { b[ps+metaMagic] ^= 1; return b }, "magic", ErrCorrupt},
		{"big endian", func(b []byte) []byte {
			copy(b[metaMagic:], []byte{0xbe, 0xef, 0xc0, 0xde})
			return b
		}, "big-endian", ErrUnsupported},
		{"version", func(b []byte) []byte { b[ps+metaVersion] = 2; return b }, "version 2", ErrUnsupported},
		{"page size", func(b []byte) []byte { put16(b, metaFreeDB, 1000); return b }, "page size 1000", ErrCorrupt},
		{"root outside", func(b []byte) []byte { put64(b, ps+metaMainDB+40, 1<<40); return b }, "root page", ErrCorrupt},
		{"root is meta", func(b []byte) []byte { put64(b, ps+metaMainDB+40, 0); return b }, "root page", ErrCorrupt},
		{"depth 0", func(b []byte) []byte { put16(b, ps+metaMainDB+6, 0); return b }, "depth", ErrCorrupt},
		{"depth 40", func(b []byte) []byte { put16(b, ps+metaMainDB+6, 40); return b }, "depth", ErrCorrupt},
		{"too deep", func(b []byte) []byte { put16(b, ps+metaMainDB+6, uint16(st.Depth+1)); return b }, "want a branch page", ErrCorrupt},
		{"too shallow", func(b []byte) []byte { put16(b, ps+metaMainDB+6, uint16(st.Depth-1)); return b }, "want a leaf page", ErrCorrupt},
		{"page number", func(b []byte) []byte { put64(b, root*ps, 99); return b }, "says it is page 99", ErrCorrupt},
		{"node bounds", func(b []byte) []byte { put16(b, firstLeaf*ps+14, 10); return b }, "bounds", ErrCorrupt},
		{"node offset", func(b []byte) []byte { put16(b, firstLeaf*ps+pageHeaderSize, 4095); return b }, "outside the node area", ErrCorrupt},
		{"key size", func(b []byte) []byte {
			off := int(b[firstLeaf*ps+pageHeaderSize]) | int(b[firstLeaf*ps+pageHeaderSize+1])<<8
			put16(b, firstLeaf*ps+off+6, 4000)
			return b
		}, "runs past the page end", ErrCorrupt},
		{"value size", func(b []byte) []byte {
			off := int(b[firstLeaf*ps+pageHeaderSize]) | int(b[firstLeaf*ps+pageHeaderSize+1])<<8
			put16(b, firstLeaf*ps+off, 4000)
			return b
		}, "runs past the page end", ErrCorrupt},
		{"node flags", func(b []byte) []byte {
			off := int(b[firstLeaf*ps+pageHeaderSize]) | int(b[firstLeaf*ps+pageHeaderSize+1])<<8
			put16(b, firstLeaf*ps+off+4, 0x80)
			return b
		}, "unknown node flags", ErrCorrupt},
		{"overflow pointer", func(b []byte) []byte {
			// The second record of the first leaf lives on an overflow page.
			off := int(b[firstLeaf*ps+pageHeaderSize+2]) | int(b[firstLeaf*ps+pageHeaderSize+3])<<8
			put64(b, firstLeaf*ps+off+nodeHeaderSize+8, uint64(root))
			return b
		}, "want an overflow page", ErrCorrupt},
		{"overflow size", func(b []byte) []byte {
			off := int(b[firstLeaf*ps+pageHeaderSize+2]) | int(b[firstLeaf*ps+pageHeaderSize+3])<<8
			put16(b, firstLeaf*ps+off+2, 1) // value size += 65536
			return b
		}, "does not fit", ErrCorrupt},
		{"cycle", func(b []byte) []byte {
			// Point every child of the root at the first child: the same leaves again.
			n := (pageLower(b[root*ps:]) - pageHeaderSize) / 2
			p := b[root*ps:]
			first := int(p[pageHeaderSize]) | int(p[pageHeaderSize+1])<<8
			for i := 1; i < n; i++ {
				off := int(p[pageHeaderSize+2*i]) | int(p[pageHeaderSize+2*i+1])<<8
				copy(p[off:off+6], p[first:first+6])
			}
			return b
		}, "out of order", ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, DataFile)
			if err := os.WriteFile(file, tc.damage(slices.Clone(good)), 0o644); err != nil {
				t.Fatal(err)
			}
			err := readEverything(dir)
			if err == nil {
				t.Fatal("damaged database read without error")
			}
			if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), file) {
				t.Errorf("error %q, want %v mentioning %q and %s", err, tc.kind, tc.want, file)
			}
		})
	}
}

// readEverything opens a database and reads it through every kind of access.
func readEverything(path string) error {
	db, err := Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	return readDB(db)
}

// readDB iterates over all records, looks each one up, and skips half-way.
func readDB(db *DB) error {
	c := db.Cursor()
	var keys [][]byte
	for ok := c.First(); ok; ok = c.Next() {
		keys = append(keys, c.Key())
		if len(keys) > 1<<24 {
			return errors.New("runaway iteration")
		}
	}
	if err := c.Err(); err != nil {
		return err
	}
	for _, k := range keys {
		if _, err := db.Get(k); err != nil {
			return err
		}
	}
	if c.First() {
		c.Skip(uint64(db.Len() / 2))
	}
	return c.Err()
}

func mustOpenMeta(t *testing.T, path string) meta {
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return db.meta
}

// TestSmallPages: the reader takes the page size from the meta page, and so does
// liblmdb; the fuzz seeds rely on it.
func TestSmallPages(t *testing.T) {
	for _, n := range []int{0, 1, 5, 70, 2000} {
		recs := seqRecords(n, func(i int) int { return i % 120 })
		path, st := writeDB(t, recs, withPageSize(512))
		got, _ := readAll(t, path)
		compareDigests(t, "read back", digestOf(got), digestOf(recs))
		if _, err := exec.LookPath("mdb_dump"); err == nil {
			compareDigests(t, "mdb_dump", digestOf(mdbDump(t, path)), digestOf(recs))
			checkMdbStat(t, path, st)
		}
		t.Logf("%d records, 512-byte pages: depth %d", n, st.Depth)
	}
}
