package db

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gocaffe/gocaffe/internal/io/staging"
	"github.com/syndtr/goleveldb/leveldb"
	lerrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/opt"
)

// Caffe's LevelDB options (db_leveldb.cpp); snappy compression is LevelDB's default.
const (
	levelDBBlockSize   = 64 << 10
	levelDBWriteBuffer = 256 << 20
	levelDBMaxOpen     = 100
	// A batch is written every this many records, as Caffe's converters commit.
	levelDBBatchRecords = 1000
	levelDBBatchBytes   = 16 << 20
)

// levelCursor reads a LevelDB opened read-only: the write-ahead log a converter leaves
// is replayed in memory and the folder is not modified, unlike Caffe, which opens it
// read-write and rewrites it. Several readers may share one database.
type levelCursor struct {
	db *leveldb.DB
	it iterator.Iterator
}

func openLevelDB(path string) (cursor, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("not a directory")
	}
	if !exists(filepath.Join(path, "CURRENT")) {
		return nil, fmt.Errorf("not a LevelDB: no CURRENT file")
	}
	d, err := leveldb.OpenFile(path, &opt.Options{
		ReadOnly:               true,
		ErrorIfMissing:         true,
		OpenFilesCacheCapacity: levelDBMaxOpen,
		// Corruption is an error, not records silently dropped: LevelDB's default
		// skips a damaged write-ahead log, and a damaged database read as empty.
		Strict: opt.StrictAll,
	})
	if err != nil {
		return nil, corrupt(err)
	}
	return &levelCursor{db: d, it: d.NewIterator(nil, &opt.ReadOptions{DontFillCache: true})}, nil
}

// corrupt says plainly that a LevelDB is damaged when its error says so (the error
// names the damaged file).
func corrupt(err error) error {
	if err != nil && lerrors.IsCorrupted(err) {
		return fmt.Errorf("the database is corrupt: %w", err)
	}
	return err
}

func (l *levelCursor) first() bool   { return l.it.First() }
func (l *levelCursor) next() bool    { return l.it.Next() }
func (l *levelCursor) key() []byte   { return l.it.Key() }
func (l *levelCursor) value() []byte { return l.it.Value() }
func (l *levelCursor) err() error    { return corrupt(l.it.Error()) }

func (l *levelCursor) skip(n int) bool {
	for range n {
		if !l.it.Next() {
			return false
		}
	}
	return true
}

func (l *levelCursor) count() (int, error) {
	it := l.db.NewIterator(nil, &opt.ReadOptions{DontFillCache: true})
	defer it.Release()
	n := 0
	for it.Next() {
		n++
	}
	return n, corrupt(it.Error())
}

func (l *levelCursor) close() error {
	l.it.Release()
	return l.db.Close()
}

// levelSink writes a LevelDB with Caffe's options into a temporary folder beside the
// target, renamed into place on commit.
type levelSink struct {
	target, tmp string
	overwrite   bool
	db          *leveldb.DB
	batch       leveldb.Batch
	batchBytes  int
}

func createLevelDB(path string, overwrite bool) (sink, error) {
	target := filepath.Clean(path)
	if err := checkLevelDBTarget(target, overwrite); err != nil {
		return nil, err
	}
	// Staged beside the target, never in $TMPDIR; LevelDB's LOCK, which it holds
	// with flock, tells a later run that this is no crashed run's leftover.
	tmp, err := staging.MkdirTemp(target)
	if err != nil {
		return nil, fmt.Errorf("creating leveldb %s: %w", target, err)
	}
	d, err := leveldb.OpenFile(tmp, &opt.Options{
		BlockSize:              levelDBBlockSize,
		WriteBuffer:            levelDBWriteBuffer,
		Compression:            opt.SnappyCompression,
		OpenFilesCacheCapacity: levelDBMaxOpen,
		ErrorIfExist:           true,
	})
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("creating leveldb %s: %w", target, err)
	}
	return &levelSink{target: target, tmp: tmp, overwrite: overwrite, db: d}, nil
}

func (s *levelSink) put(key, value []byte) error {
	s.batch.Put(key, value)
	s.batchBytes += len(key) + len(value)
	if s.batch.Len() >= levelDBBatchRecords || s.batchBytes >= levelDBBatchBytes {
		return s.flush()
	}
	return nil
}

func (s *levelSink) flush() error {
	if s.batch.Len() == 0 {
		return nil
	}
	if err := s.db.Write(&s.batch, nil); err != nil {
		return fmt.Errorf("writing leveldb %s: %w", s.target, err)
	}
	s.batch.Reset()
	s.batchBytes = 0
	return nil
}

func (s *levelSink) commit() error {
	err := s.flush()
	if cerr := s.db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing leveldb %s: %w", s.target, cerr)
	}
	if err == nil {
		// Closing released LevelDB's lock: hold it again until the folder is in place.
		if lock, lerr := os.Open(filepath.Join(s.tmp, "LOCK")); lerr == nil {
			if staging.Lock(lock) == nil {
				defer lock.Close()
			} else {
				lock.Close()
			}
		}
		err = replaceDir(s.tmp, s.target, s.overwrite, checkLevelDBTarget)
	}
	if err != nil {
		os.RemoveAll(s.tmp)
	}
	return err
}

func (s *levelSink) abort() error {
	s.db.Close()
	if err := os.RemoveAll(s.tmp); err != nil {
		return fmt.Errorf("removing %s: %w", s.tmp, err)
	}
	return nil
}

// checkLevelDBTarget refuses a target that exists, unless overwrite is set and it is
// a folder holding only LevelDB's files.
func checkLevelDBTarget(target string, overwrite bool) error {
	fi, err := os.Lstat(target)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !overwrite {
		return fmt.Errorf("leveldb %s already exists (overwrite it to replace it): %w", target, os.ErrExist)
	}
	if !fi.IsDir() {
		return fmt.Errorf("refusing to replace %s: it is not a directory", target)
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !isLevelDBFile(e.Name()) {
			return fmt.Errorf("refusing to replace %s: it holds %q, so it is not a LevelDB", target, e.Name())
		}
	}
	return nil
}

func isLevelDBFile(name string) bool {
	switch name {
	case "LOCK", "LOG", "LOG.old":
		return true
	}
	if strings.HasPrefix(name, "CURRENT") || strings.HasPrefix(name, "MANIFEST-") {
		return true
	}
	switch filepath.Ext(name) {
	case ".log", ".ldb", ".sst", ".dbtmp":
		return strings.Trim(strings.TrimSuffix(name, filepath.Ext(name)), "0123456789") == ""
	}
	return false
}

// replaceDir renames the finished folder tmp to target; an existing target (checked
// again by check) is moved aside first and removed once the new folder is in place.
func replaceDir(tmp, target string, overwrite bool, check func(string, bool) error) error {
	if err := check(target, overwrite); err != nil {
		return err
	}
	if _, err := os.Lstat(target); errors.Is(err, os.ErrNotExist) {
		return os.Rename(tmp, target)
	}
	old := tmp + ".old"
	if err := os.Rename(target, old); err != nil {
		return fmt.Errorf("moving the old %s aside: %w", target, err)
	}
	if err := os.Rename(tmp, target); err != nil {
		if err2 := os.Rename(old, target); err2 != nil {
			return fmt.Errorf("%w (and restoring the old database from %s failed: %v)", err, old, err2)
		}
		return err
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("removing the old database %s: %w", old, err)
	}
	return nil
}
