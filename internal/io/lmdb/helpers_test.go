package lmdb

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// record is one key/value pair as the tests compare them.
type record struct {
	key, value []byte
}

// seqRecords makes n records with Caffe's zero-padded decimal keys and values whose
// sizes come from size(i); value bytes depend on the index.
func seqRecords(n int, size func(i int) int) []record {
	recs := make([]record, n)
	for i := range recs {
		v := make([]byte, size(i))
		for j := range v {
			v[j] = byte(i*31 + j*7)
		}
		recs[i] = record{[]byte(fmt.Sprintf("%08d", i)), v}
	}
	return recs
}

// randomRecords makes n records with distinct random binary keys of 1 to maxKey bytes
// (zero and 0xff bytes included), sorted, and values of random size from sizes.
func randomRecords(rng *rand.Rand, n, maxKey int, sizes []int) []record {
	seen := make(map[string]bool, n)
	recs := make([]record, 0, n)
	for len(recs) < n {
		k := make([]byte, 1+rng.IntN(maxKey))
		for i := range k {
			k[i] = byte(rng.IntN(256))
		}
		if seen[string(k)] {
			continue
		}
		seen[string(k)] = true
		v := make([]byte, sizes[rng.IntN(len(sizes))])
		for i := range v {
			v[i] = byte(rng.IntN(256))
		}
		recs = append(recs, record{k, v})
	}
	slices.SortFunc(recs, func(a, b record) int { return bytes.Compare(a.key, b.key) })
	return recs
}

// writeDB writes recs with our Writer into a fresh directory and returns its path.
func writeDB(t testing.TB, recs []record, opts ...Option) (string, Stat) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "db")
	w, err := Create(path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Put(r.key, r.value); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return path, w.Stat()
}

// readAll reads every record of the database at path with our reader, copying them.
func readAll(t testing.TB, path string) ([]record, Stat) {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var recs []record
	c := db.Cursor()
	for ok := c.First(); ok; ok = c.Next() {
		recs = append(recs, record{bytes.Clone(c.Key()), bytes.Clone(c.Value())})
	}
	if err := c.Err(); err != nil {
		t.Fatal(err)
	}
	if db.Len() != len(recs) {
		t.Fatalf("%s: Len() = %d but the cursor saw %d records", path, db.Len(), len(recs))
	}
	return recs, db.Stat()
}

// digest is how records are compared with other readers: the key and a hash of the
// value, so that large databases need not pass through a pipe in full.
type digest struct {
	key  string // hex
	size int
	sum  string // sha256 of the value, hex
}

func digestOf(recs []record) []digest {
	out := make([]digest, len(recs))
	for i, r := range recs {
		s := sha256.Sum256(r.value)
		out[i] = digest{hex.EncodeToString(r.key), len(r.value), hex.EncodeToString(s[:])}
	}
	return out
}

// compareDigests reports the first difference between two record lists.
func compareDigests(t testing.TB, what string, got, want []digest) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("%s: record %d differs: got key %s (%d bytes, sha256 %.16s), want key %s (%d bytes, sha256 %.16s)",
				what, i, got[i].key, got[i].size, got[i].sum, want[i].key, want[i].size, want[i].sum)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d", what, len(got), len(want))
	}
}

const python = "/usr/bin/python3"

// needPythonLMDB skips the test when python3-lmdb is not installed: the lead installs
// it in CI (Debian package python3-lmdb), so a skip there shows up as a skip.
func needPythonLMDB(t testing.TB) {
	t.Helper()
	if err := exec.Command(python, "-c", "import lmdb").Run(); err != nil {
		t.Skip("python3-lmdb not installed (apt-get install python3-lmdb): ", err)
	}
}

// needTool skips the test when an lmdb-utils program is not installed.
func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed (apt-get install lmdb-utils)", name)
	}
}

// pythonDigests reads the database at path with python3-lmdb, read-only.
func pythonDigests(t testing.TB, path string) []digest {
	t.Helper()
	const script = `
import hashlib, lmdb, sys
env = lmdb.open(sys.argv[1], readonly=True, subdir=True)
out = sys.stdout
with env.begin() as txn:
    n = 0
    for k, v in txn.cursor():
        out.write("%s %d %s\n" % (k.hex(), len(v), hashlib.sha256(v).hexdigest()))
        n += 1
    assert n == env.stat()["entries"], (n, env.stat())
`
	out, err := exec.Command(python, "-c", script, path).Output()
	if err != nil {
		t.Fatalf("python3-lmdb reading %s: %v\n%s", path, err, stderrOf(err))
	}
	var ds []digest
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			t.Fatalf("python3-lmdb output line %q", sc.Text())
		}
		size, _ := strconv.Atoi(f[1])
		ds = append(ds, digest{f[0], size, f[2]})
	}
	return ds
}

// pythonWrite runs a python3-lmdb script that writes a database at path.
func pythonWrite(t testing.TB, path, script string) {
	t.Helper()
	if out, err := exec.Command(python, "-c", script, path).CombinedOutput(); err != nil {
		t.Fatalf("python3-lmdb writing %s: %v\n%s", path, err, out)
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// mdbDump reads the database at path with liblmdb's mdb_dump.
func mdbDump(t testing.TB, path string) []record {
	t.Helper()
	out, err := exec.Command("mdb_dump", path).Output()
	if err != nil {
		t.Fatalf("mdb_dump %s: %v\n%s", path, err, stderrOf(err))
	}
	recs, err := parseDump(out)
	if err != nil {
		t.Fatalf("mdb_dump %s: %v", path, err)
	}
	return recs
}

// parseDump parses mdb_dump's bytevalue format: a header ending in HEADER=END, then
// alternating key and value lines, each a space and hex digits, then DATA=END.
func parseDump(out []byte) ([]record, error) {
	lines := strings.Split(string(out), "\n")
	i := slices.Index(lines, "HEADER=END")
	if i < 0 {
		return nil, fmt.Errorf("no HEADER=END in output")
	}
	var recs []record
	for i++; i < len(lines) && lines[i] != "DATA=END"; i += 2 {
		if i+1 >= len(lines) {
			return nil, fmt.Errorf("key line %d without a value", i)
		}
		k, err1 := hex.DecodeString(strings.TrimPrefix(lines[i], " "))
		v, err2 := hex.DecodeString(strings.TrimPrefix(lines[i+1], " "))
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("line %d: bad hex", i)
		}
		recs = append(recs, record{k, v})
	}
	if i >= len(lines) {
		return nil, fmt.Errorf("no DATA=END in output")
	}
	return recs, nil
}

// dumpText renders records in mdb_dump's bytevalue format, for mdb_load.
func dumpText(recs []record, mapSize int, extraHeader string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "VERSION=3\nformat=bytevalue\ntype=btree\nmapsize=%d\n%sHEADER=END\n", mapSize, extraHeader)
	for _, r := range recs {
		fmt.Fprintf(&b, " %x\n %x\n", r.key, r.value)
	}
	b.WriteString("DATA=END\n")
	return b.Bytes()
}

// mdbLoad makes a database with liblmdb's mdb_load from records.
func mdbLoad(t testing.TB, recs []record, extraHeader string, flags ...string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "db")
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "dump.txt")
	size := 1 << 20
	for _, r := range recs {
		size += 2 * (len(r.key) + len(r.value) + 64)
	}
	if err := os.WriteFile(text, dumpText(recs, size, extraHeader), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-f", text}, flags...)
	if out, err := exec.Command("mdb_load", append(args, path)...).CombinedOutput(); err != nil {
		t.Fatalf("mdb_load: %v\n%s", err, out)
	}
	return path
}

// mdbStat runs mdb_stat -e and returns its "Name: value" lines.
func mdbStat(t testing.TB, path string) map[string]string {
	t.Helper()
	out, err := exec.Command("mdb_stat", "-e", path).Output()
	if err != nil {
		t.Fatalf("mdb_stat %s: %v\n%s", path, err, stderrOf(err))
	}
	m := map[string]string{}
	for line := range strings.SplitSeq(string(out), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ": "); ok {
			m[k] = v
		}
	}
	return m
}

// checkMdbStat compares mdb_stat's view of a database with our Stat.
func checkMdbStat(t testing.TB, path string, st Stat) {
	t.Helper()
	m := mdbStat(t, path)
	want := map[string]uint64{
		"Tree depth":           uint64(st.Depth),
		"Branch pages":         st.BranchPages,
		"Leaf pages":           st.LeafPages,
		"Overflow pages":       st.OverflowPages,
		"Entries":              st.Entries,
		"Map size":             st.MapSize,
		"Page size":            uint64(st.PageSize),
		"Number of pages used": st.LastPage + 1,
		"Last transaction ID":  st.TxnID,
	}
	for k, w := range want {
		got, err := strconv.ParseUint(m[k], 10, 64)
		if err != nil || got != w {
			t.Errorf("mdb_stat %s: %q = %q, our Stat says %d", path, k, m[k], w)
		}
	}
}

// walkStat visits every page of the main tree through the cursor's checks and counts
// branch, leaf and overflow pages and entries, checking that no page is reached twice.
func walkStat(t testing.TB, db *DB) Stat {
	t.Helper()
	st := Stat{PageSize: db.psize, Depth: int(db.meta.main.depth), MapSize: db.meta.mapSize, LastPage: db.meta.lastPg, TxnID: db.meta.txnID}
	if st.Depth == 0 {
		return st
	}
	c := db.Cursor()
	seen := map[uint64]bool{}
	var walk func(level int, pgno uint64)
	walk = func(level int, pgno uint64) {
		if seen[pgno] {
			t.Fatalf("page %d reached twice", pgno)
		}
		seen[pgno] = true
		if !c.loadPage(level, pgno) {
			t.Fatal(c.Err())
		}
		f := c.stack[level]
		if level == st.Depth-1 {
			st.LeafPages++
			for i := range f.n {
				c.stack[level].idx = i
				if !c.load() {
					t.Fatal(c.Err())
				}
				st.Entries++
				if off, _, _ := c.node(&f, i); binaryFlags(f.page, off)&fBigData != 0 {
					n := overflowPages(len(c.Value()), db.psize)
					st.OverflowPages += uint64(n)
				}
			}
			return
		}
		st.BranchPages++
		for i := range f.n {
			f.idx = i
			child, ok := c.child(&f)
			if !ok {
				t.Fatal(c.Err())
			}
			walk(level+1, child)
		}
	}
	walk(0, db.meta.main.root)
	return st
}

func binaryFlags(p []byte, off int) uint16 { return uint16(p[off+4]) | uint16(p[off+5])<<8 }
