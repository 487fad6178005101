// Package staging is how gocaffe writes every file and folder a user keeps —
// databases, snapshots, mean files, upgraded prototxt, drawings, plots: into a
// staging name beside the target, renamed into place once complete, so that the
// target holds either what it held before or the whole new content, never a part.
//
// Staging happens in the target's own folder, never in $TMPDIR: a rename across file
// systems fails (/tmp is a RAM-backed tmpfs on most current Linux systems), and a large
// database does not belong in RAM.
//
// While a staging item is written, the process holds an exclusive flock(2) on it (a
// staged folder: on a file inside it). A process killed with SIGKILL loses its locks,
// so a later run can tell the leftovers of a crashed run (unlocked) from the work of
// a live one (locked): Clean and CleanGlob remove the former and never touch the
// latter. Staging names carry the writer's process id as well, for the one moment
// between creating an item and locking it.
//
// The names, for a target NAME in folder DIR:
//
//	DIR/.NAME.tmp<pid>-<random>       a staged file
//	DIR/.NAME.tmp-<pid>-<random>      a staged folder
//	DIR/.NAME.tmp-<pid>-<random>.old  the old folder, moved aside while a new one
//	                                  replaces it
package staging

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gocaffe/gocaffe/internal/glog"
)

// Folder returns the folder a target's staging goes in: the target's own ("." for a
// bare name).
func Folder(target string) string {
	dir := filepath.Dir(target)
	if dir == "" {
		return "."
	}
	return dir
}

// filePrefix and dirPrefix are the beginnings of the staging names of target's
// base name.
func filePrefix(base string) string { return "." + base + ".tmp" }
func dirPrefix(base string) string  { return "." + base + ".tmp-" }

// File is a staged file: written like an *os.File, then moved into place by Commit
// or removed by Abort.
type File struct {
	*os.File
	target string
	done   bool
}

// CreateFile removes the stale staging leftovers of target (see Clean) and creates
// a new staged file for it, locked.
func CreateFile(target string) (*File, error) {
	Clean(target)
	f, err := os.CreateTemp(Folder(target), filePrefix(filepath.Base(target))+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", target, err)
	}
	if err := Lock(f); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("writing %s: locking %s: %w", target, f.Name(), err)
	}
	return &File{File: f, target: target}, nil
}

// Commit gives the staged file mode perm, makes it durable, and renames it to its
// target, replacing what was there.
func (f *File) Commit(perm fs.FileMode) (err error) {
	if f.done {
		return fmt.Errorf("writing %s: committed or aborted already", f.target)
	}
	f.done = true
	defer func() {
		if err != nil {
			f.File.Close()
			os.Remove(f.Name())
		}
	}()
	wrap := func(err error) error { return fmt.Errorf("writing %s: %w", f.target, err) }
	if err := f.Chmod(perm); err != nil {
		return wrap(err)
	}
	if err := f.Sync(); err != nil {
		return wrap(err)
	}
	if err := os.Rename(f.Name(), f.target); err != nil {
		return wrap(err)
	}
	// Closing releases the lock; by now the staging name is gone.
	if err := f.File.Close(); err != nil {
		return wrap(err)
	}
	SyncDir(Folder(f.target))
	return nil
}

// Abort removes the staged file. It does nothing after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.Name())
}

// WriteFile writes data to target through a staged file. A new file gets mode 0644,
// an existing one keeps its mode.
func WriteFile(target string, data []byte) error {
	return WriteFileFunc(target, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFileFunc writes what write writes to target through a staged file, as
// WriteFile does. If write fails, target is left as it was.
func WriteFileFunc(target string, write func(io.Writer) error) error {
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(target); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("%s: is a directory", target)
		}
		mode = fi.Mode().Perm()
	}
	f, err := CreateFile(target)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %w", target, err)
	}
	return f.Commit(mode)
}

// MkdirTemp removes the stale staging leftovers of target (see Clean) and creates
// a staging folder for it, private to the user. The caller locks a file in it (Lock)
// as soon as it creates one, and renames the folder into place when it is complete.
func MkdirTemp(target string) (string, error) {
	Clean(target)
	return os.MkdirTemp(Folder(target), dirPrefix(filepath.Base(target))+strconv.Itoa(os.Getpid())+"-*")
}

// SyncDir makes renames in dir durable. Some systems cannot sync a folder; that is
// not worth failing finished work for, so errors are ignored.
func SyncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// Clean removes the staging leftovers of target that no live process holds: those of
// an earlier run of gocaffe that was killed. An old folder that an interrupted
// overwrite had moved aside is put back in place when the target is missing (the new
// one never arrived), and removed when the target is there.
func Clean(target string) {
	base := filepath.Base(target)
	cleanDir(Folder(target), func(name string) (string, bool) {
		return base, strings.HasPrefix(name, filePrefix(base))
	})
}

// CleanGlob cleans, as Clean does, the staging leftovers in dir of every target whose
// base name matches the filepath.Match pattern glob: how a solver removes the
// orphans of the snapshots of a killed run, whatever their iteration.
func CleanGlob(dir, glob string) {
	if dir == "" {
		dir = "."
	}
	cleanDir(dir, func(name string) (string, bool) {
		if !strings.HasPrefix(name, ".") {
			return "", false
		}
		i := strings.LastIndex(name, ".tmp")
		if i <= 1 {
			return "", false
		}
		base := name[1:i]
		ok, _ := filepath.Match(glob, base)
		return base, ok
	})
}

// leftover is a staging item found in a folder.
type leftover struct {
	name, base string
	old        bool // a folder moved aside during an overwrite
}

// cleanDir removes the stale leftovers among the entries of dir that match says are
// staging items (and of which target base name).
func cleanDir(dir string, match func(name string) (base string, ok bool)) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var found []leftover
	live := map[string]bool{} // base names with a live staging item
	for _, e := range entries {
		base, ok := match(e.Name())
		if !ok || !isStagingName(e.Name(), base) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		if strings.HasSuffix(e.Name(), ".old") && e.IsDir() {
			found = append(found, leftover{name: e.Name(), base: base, old: true})
			continue
		}
		if inUse(path, e.Name(), base) {
			live[base] = true
			continue
		}
		found = append(found, leftover{name: e.Name(), base: base})
	}
	for _, l := range found {
		path := filepath.Join(dir, l.name)
		if !l.old {
			glog.Warningf("Removing %s, left by an interrupted earlier run", path)
			if err := os.RemoveAll(path); err != nil {
				glog.Warningf("Could not remove %s: %v", path, err)
			}
			continue
		}
		if live[l.base] {
			continue // an overwrite in progress
		}
		target := filepath.Join(dir, l.base)
		if _, err := os.Lstat(target); errors.Is(err, fs.ErrNotExist) {
			glog.Warningf("Restoring %s from %s, which an interrupted overwrite had moved aside", target, path)
			if err := os.Rename(path, target); err != nil {
				glog.Warningf("Could not restore %s: %v", target, err)
			}
			continue
		}
		glog.Warningf("Removing %s, the old version of %s that an interrupted overwrite left", path, target)
		if err := os.RemoveAll(path); err != nil {
			glog.Warningf("Could not remove %s: %v", path, err)
		}
	}
}

// isStagingName reports whether name is a staging name of the target base name.
func isStagingName(name, base string) bool {
	rest, ok := strings.CutPrefix(name, filePrefix(base))
	if !ok {
		return false
	}
	rest = strings.TrimPrefix(rest, "-")
	rest = strings.TrimSuffix(rest, ".old")
	// Earlier versions used random digits alone; now <pid>-<random>.
	pid, _, _ := strings.Cut(rest, "-")
	if pid == "" {
		return false
	}
	for _, c := range pid {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// writerPID returns the process id a staging name carries, or 0.
func writerPID(name, base string) int {
	rest := strings.TrimPrefix(strings.TrimPrefix(name, filePrefix(base)), "-")
	pid, random, ok := strings.Cut(rest, "-")
	if !ok || random == "" {
		return 0
	}
	n, err := strconv.Atoi(pid)
	if err != nil {
		return 0
	}
	return n
}

// youngAndEmpty is the age below which an empty staging item is taken to be one a
// live writer has just created and not locked yet, unless its writer is known dead.
const youngAndEmpty = time.Minute

// inUse reports whether a live process may be writing the staging item at path.
func inUse(path, name, base string) bool {
	fi, err := os.Lstat(path)
	if err != nil {
		return true // gone or unreadable: leave it be
	}
	var files []string
	if fi.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return true
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	} else if fi.Mode().IsRegular() {
		files = []string{path}
	} else {
		return true // not something gocaffe makes
	}
	empty := len(files) == 0 || (!fi.IsDir() && fi.Size() == 0)
	for _, f := range files {
		locked, known := isLocked(f)
		if !known {
			// No locks on this system: only the old are surely stale.
			return time.Since(fi.ModTime()) < 24*time.Hour
		}
		if locked {
			return true
		}
	}
	if empty && time.Since(fi.ModTime()) < youngAndEmpty {
		// Created, perhaps not locked yet: stale only if its writer is gone.
		pid := writerPID(name, base)
		return pid == 0 || processAlive(pid)
	}
	return false
}
