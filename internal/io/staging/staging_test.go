package staging

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"testing"
	"time"
)

func names(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBareNameStagesInWorkingFolder: a target without a folder is staged in the
// working folder, not in $TMPDIR (which may be another file system, or missing).
func TestBareNameStagesInWorkingFolder(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("TMPDIR", filepath.Join(dir, "no-such-tmp"))
	if err := WriteFile("out.txt", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	d, err := MkdirTemp("out_db")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(d) != "." {
		t.Errorf("staging folder %s, want one in the working folder", d)
	}
	if got, _ := os.ReadFile("out.txt"); string(got) != "hello" {
		t.Errorf("out.txt holds %q", got)
	}
}

// TestWriteFileFailureKeepsOld: a failed write leaves the old content and no
// staging file.
func TestWriteFileFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "a.bin")
	write(t, target, "old")
	err := WriteFileFunc(target, func(w io.Writer) error {
		w.Write([]byte("half"))
		return errors.New("disk on fire")
	})
	if err == nil {
		t.Fatal("no error")
	}
	if got, _ := os.ReadFile(target); string(got) != "old" {
		t.Errorf("target holds %q, want the old content", got)
	}
	if n := names(t, dir); len(n) != 1 {
		t.Errorf("folder holds %v, want only a.bin", n)
	}
}

// TestCleanLeftovers: unlocked leftovers of a killed run go, a live writer's stay,
// and a database moved aside by an interrupted overwrite comes back.
func TestCleanLeftovers(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no flock here")
	}
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	dead := "2147483646" // no such process
	me := strconv.Itoa(os.Getpid())

	// Leftovers of a killed run.
	write(t, filepath.Join(dir, ".db.tmp-"+dead+"-111", "data.mdb"), "x")
	write(t, filepath.Join(dir, ".m.caffemodel.tmp"+dead+"-222"), "half a model")
	write(t, filepath.Join(dir, ".m.caffemodel.tmp333"), "an older version's name") // no pid
	emptyDead := filepath.Join(dir, ".m.caffemodel.tmp"+dead+"-444")
	write(t, emptyDead, "")
	// An empty young item of a live process: it may be about to lock it.
	emptyLive := filepath.Join(dir, ".m.caffemodel.tmp"+me+"-555")
	write(t, emptyLive, "")
	// A live writer: a locked file.
	live, err := CreateFile(filepath.Join(dir, "m.caffemodel"))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Abort()
	live.Write([]byte("being written"))
	// A live staged folder: locked file inside.
	liveDir, err := MkdirTemp(filepath.Join(dir, "db2"))
	if err != nil {
		t.Fatal(err)
	}
	lf, err := os.Create(filepath.Join(liveDir, "data.mdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if err := Lock(lf); err != nil {
		t.Fatal(err)
	}
	// An overwrite killed after moving the old database aside: restored.
	write(t, filepath.Join(dir, ".db3.tmp-"+dead+"-666.old", "data.mdb"), "the user's data")
	// ... and one killed after the new one arrived: the old one goes.
	write(t, filepath.Join(dir, "db4", "data.mdb"), "new")
	write(t, filepath.Join(dir, ".db4.tmp-"+dead+"-777.old", "data.mdb"), "old")
	// Files of the user's that only look similar.
	write(t, filepath.Join(dir, ".db.tmpfoo"), "mine")
	write(t, filepath.Join(dir, "db.tmp-123"), "mine")
	for _, n := range names(t, dir) {
		if n != filepath.Base(live.Name()) && n != filepath.Base(liveDir) && n != filepath.Base(emptyLive) {
			os.Chtimes(filepath.Join(dir, n), old, old)
		}
	}

	Clean(filepath.Join(dir, "db"))
	Clean(filepath.Join(dir, "db2"))
	Clean(filepath.Join(dir, "db3"))
	Clean(filepath.Join(dir, "db4"))
	CleanGlob(dir, "m.*")

	want := []string{
		".db.tmpfoo",
		filepath.Base(liveDir),
		filepath.Base(emptyLive),
		filepath.Base(live.Name()),
		"db.tmp-123",
		"db3",
		"db4",
	}
	sort.Strings(want)
	got := names(t, dir)
	if len(got) != len(want) {
		t.Fatalf("left %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("left %v, want %v", got, want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "db3", "data.mdb")); string(b) != "the user's data" {
		t.Errorf("db3 not restored: %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "db4", "data.mdb")); string(b) != "new" {
		t.Errorf("db4 holds %q", b)
	}
	// The live file commits as usual.
	if err := live.Commit(0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "m.caffemodel")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(live.Name()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("staging file still there: %v", err)
	}
}

// TestCommitMode: a new file gets 0644 and an existing one keeps its mode.
func TestCommitMode(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name     string
		existing fs.FileMode // 0: none
		want     fs.FileMode
	}{
		{"new", 0, 0o644},
		{"private", 0o600, 0o600},
		{"exec", 0o755, 0o755},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if tc.existing != 0 {
				if err := os.WriteFile(p, nil, tc.existing); err != nil {
					t.Fatal(err)
				}
				os.Chmod(p, tc.existing)
			}
			if err := WriteFile(p, []byte("x")); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != tc.want {
				t.Errorf("mode %v, want %v", fi.Mode().Perm(), tc.want)
			}
		})
	}
}
