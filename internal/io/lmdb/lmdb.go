// Package lmdb reads and writes LMDB databases in pure Go, in the file format of
// liblmdb 0.9.x on 64-bit little-endian machines — the format of every LMDB that
// Caffe's converters write and Caffe's Data layer reads.
//
// Only what Caffe uses is supported: the default (unnamed) database, keys in
// lexicographic byte order, one value per key. Databases with named sub-databases or
// sorted duplicates (MDB_DUPSORT) are reported as unsupported.
//
// The reader maps the data file read-only and takes no lock: it is meant for databases
// that no process is writing. The writer bulk-loads sorted records into a fresh
// database and never modifies an existing one in place.
//
// A database the writer makes is a directory holding data.mdb and an empty lock.mdb.
// liblmdb opens the lock file read-write even for read-only access (mdb_dump,
// python-lmdb with readonly=True, Caffe) and creates it when it is missing, which
// fails once the directory is read-only; an empty lock file is initialised by the
// first process that opens the database, so it avoids that failure at no cost. The
// map size recorded is the smallest power of two of at least 1 MiB that holds the
// data, which is what Caffe's converters leave as they double the map while writing;
// liblmdb raises a smaller map size set by a reader to the data size.
package lmdb

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"path/filepath"
)

// Errors wrapped by the errors this package returns, for use with errors.Is.
var (
	// ErrNotFound is returned by Get for a key the database does not hold.
	ErrNotFound = errors.New("lmdb: key not found")
	// ErrCorrupt marks a file that is not a well-formed LMDB: truncated, damaged, or
	// not an LMDB at all.
	ErrCorrupt = errors.New("corrupt or truncated database")
	// ErrUnsupported marks a well-formed LMDB using a feature this package does not
	// implement (named databases, duplicate keys, custom key order, other platforms).
	ErrUnsupported = errors.New("unsupported LMDB feature")
)

// FormatError describes what is wrong with a database file.
type FormatError struct {
	Path string // the data file
	Msg  string // what was wrong, and where
	Kind error  // ErrCorrupt or ErrUnsupported
}

func (e *FormatError) Error() string { return "lmdb " + e.Path + ": " + e.Msg }

// Unwrap returns the kind of the error.
func (e *FormatError) Unwrap() error { return e.Kind }

// DataFile is the name of the data file inside an LMDB directory.
const DataFile = "data.mdb"

// LockFile is the name of liblmdb's lock file inside an LMDB directory.
const LockFile = "lock.mdb"

// DB is an open, read-only LMDB. Its methods may be called from several goroutines at
// once; each Cursor belongs to one goroutine.
type DB struct {
	path    string // the data file
	data    []byte // the whole file (mapped); nil after Close
	release func() error
	psize   int
	meta    meta // the current meta page
	metaPg  int  // which meta page is current (0 or 1)
}

// Stat describes a database: the main tree's descriptor and the environment's
// meta page, as mdb_stat prints them.
type Stat struct {
	PageSize      int
	Depth         int    // height of the B+tree: 0 when empty, 1 when the root is a leaf
	BranchPages   uint64 // interior pages
	LeafPages     uint64
	OverflowPages uint64 // pages holding values too big for a leaf
	Entries       uint64
	MapSize       uint64 // the map size recorded in the meta page
	LastPage      uint64 // the highest page number in use
	TxnID         uint64 // the id of the last committed transaction
}

// Open opens the LMDB at path for reading. path is the database directory (as in a
// Caffe data layer's source:) or the data file itself (an environment opened with
// MDB_NOSUBDIR). Values returned by the DB and its cursors alias the file's mapping and
// must not be modified; they stay valid until Close.
func Open(path string) (*DB, error) {
	file := path
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("lmdb: %w", err)
	}
	if fi.IsDir() {
		file = filepath.Join(path, DataFile)
		if fi, err = os.Stat(file); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("lmdb %s: not an LMDB directory: it has no %s", path, DataFile)
			}
			return nil, fmt.Errorf("lmdb: %w", err)
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("lmdb %s: not a regular file", file)
	}
	if fi.Size() > int64(maxInt) {
		return nil, &FormatError{file, fmt.Sprintf("file of %d bytes is too large to map on this machine", fi.Size()), ErrUnsupported}
	}
	size := int(fi.Size())
	if size < metaEnd {
		return nil, &FormatError{file, fmt.Sprintf("file is %d bytes long, too short to hold an LMDB meta page", size), ErrCorrupt}
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("lmdb: %w", err)
	}
	defer f.Close()
	data, release, err := mapFile(f, size)
	if err != nil {
		return nil, fmt.Errorf("lmdb: reading %s: %w", file, err)
	}
	db, err := newDB(file, data)
	if err != nil {
		release()
		return nil, err
	}
	db.release = release
	return db, nil
}

const maxInt = int(^uint(0) >> 1)

// readFile reads the first size bytes of f, for platforms or file systems without mmap.
func readFile(f *os.File, size int) ([]byte, func() error, error) {
	data := make([]byte, size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, nil, err
	}
	return data, func() error { return nil }, nil
}

// newDB checks the meta pages of a database held in data and picks the current one.
func newDB(path string, data []byte) (*DB, error) {
	db := &DB{path: path, data: data}
	m0, err := db.readMeta(0, 0)
	if err != nil {
		return nil, err
	}
	ps := m0.pageSize()
	if ps < minPageSize || ps > maxPageSize || bits.OnesCount32(ps) != 1 {
		if db.looks32bit() {
			return nil, db.errorf(ErrUnsupported, "meta page 0: written by a 32-bit liblmdb; only 64-bit LMDB files can be read")
		}
		return nil, db.corruptf("meta page 0: page size %d is not a power of two between %d and %d", ps, minPageSize, maxPageSize)
	}
	db.psize = int(ps)
	if len(data) < 2*db.psize {
		return nil, db.corruptf("file is %d bytes long, too short for its two meta pages of %d bytes", len(data), db.psize)
	}
	m1, err := db.readMeta(1, db.psize)
	if err != nil {
		return nil, err
	}
	if m1.pageSize() != ps {
		return nil, db.corruptf("meta page 1: page size %d differs from meta page 0's %d", m1.pageSize(), ps)
	}
	// As liblmdb does: the later transaction wins.
	db.meta, db.metaPg = m0, 0
	if m1.txnID > m0.txnID {
		db.meta, db.metaPg = m1, 1
	}
	m := db.meta
	pages := uint64(len(data) / db.psize)
	if m.lastPg < 1 {
		return nil, db.corruptf("meta page %d: last page number %d is below the meta pages", db.metaPg, m.lastPg)
	}
	if m.lastPg >= pages {
		return nil, db.corruptf("meta page %d (transaction %d) uses pages up to %d but the file holds only %d pages of %d bytes: truncated",
			db.metaPg, m.txnID, m.lastPg, pages, db.psize)
	}
	md := m.main
	switch {
	case md.flags&dbDupSort != 0:
		return nil, db.errorf(ErrUnsupported, "the main database has sorted duplicates (MDB_DUPSORT, flags %#x); Caffe's databases hold one value per key", md.flags)
	case md.flags&(dbReverseKey|dbIntegerKey) != 0:
		return nil, db.errorf(ErrUnsupported, "the main database uses a custom key order (flags %#x); only lexicographic keys are supported", md.flags)
	}
	if md.root == invalidPgno {
		if md.entries != 0 || md.depth != 0 {
			return nil, db.corruptf("meta page %d: the main database has no root page but claims %d entries and depth %d", db.metaPg, md.entries, md.depth)
		}
		return db, nil
	}
	if md.root < 2 || md.root > m.lastPg {
		return nil, db.corruptf("meta page %d: root page %d is outside the pages in use [2, %d]", db.metaPg, md.root, m.lastPg)
	}
	if md.depth < 1 || md.depth > maxDepth {
		return nil, db.corruptf("meta page %d: tree depth %d is outside [1, %d]", db.metaPg, md.depth, maxDepth)
	}
	if md.entries == 0 || md.entries > uint64(maxInt) {
		return nil, db.corruptf("meta page %d: a non-empty tree claims %d entries", db.metaPg, md.entries)
	}
	return db, nil
}

// readMeta decodes and checks meta page n at byte offset off.
func (db *DB) readMeta(n, off int) (meta, error) {
	p := db.data[off:]
	if len(p) < metaEnd {
		return meta{}, db.corruptf("meta page %d is cut short at %d bytes", n, len(p))
	}
	m := decodeMeta(p)
	if pageFlags(p)&pMeta == 0 {
		return meta{}, db.corruptf("page %d is not a meta page (flags %#x): not an LMDB data file", n, pageFlags(p))
	}
	switch {
	case m.magic == bits.ReverseBytes32(magic):
		return meta{}, db.errorf(ErrUnsupported, "meta page %d: written by a big-endian machine; only little-endian LMDB files can be read", n)
	case m.magic != magic:
		return meta{}, db.corruptf("meta page %d: magic %#x, want %#x: not an LMDB data file", n, m.magic, uint32(magic))
	case m.version != dataVersion:
		return meta{}, db.errorf(ErrUnsupported, "meta page %d: data format version %d, want %d", n, m.version, dataVersion)
	}
	return m, nil
}

// looks32bit reports whether meta page 0 makes sense when read with the 32-bit layout
// (4-byte pointers and sizes put the page size at offset 32 of the record).
func (db *DB) looks32bit() bool {
	const off = pageHeaderSize + 16
	if len(db.data) < off+4 {
		return false
	}
	ps := uint32(db.data[off]) | uint32(db.data[off+1])<<8 | uint32(db.data[off+2])<<16 | uint32(db.data[off+3])<<24
	return ps >= minPageSize && ps <= maxPageSize && bits.OnesCount32(ps) == 1
}

func (db *DB) errorf(kind error, format string, args ...any) error {
	return &FormatError{Path: db.path, Msg: fmt.Sprintf(format, args...), Kind: kind}
}

func (db *DB) corruptf(format string, args ...any) error {
	return db.errorf(ErrCorrupt, format, args...)
}

// Path returns the data file's path.
func (db *DB) Path() string { return db.path }

// Len returns the number of records.
func (db *DB) Len() int { return int(db.meta.main.entries) }

// Stat returns the shape of the main tree and the environment's meta data.
func (db *DB) Stat() Stat {
	md := db.meta.main
	return Stat{
		PageSize:      db.psize,
		Depth:         int(md.depth),
		BranchPages:   md.branchPages,
		LeafPages:     md.leafPages,
		OverflowPages: md.overflowPages,
		Entries:       md.entries,
		MapSize:       db.meta.mapSize,
		LastPage:      db.meta.lastPg,
		TxnID:         db.meta.txnID,
	}
}

// Get returns the value stored under key, or an error wrapping ErrNotFound.
func (db *DB) Get(key []byte) ([]byte, error) {
	c := db.Cursor()
	if c.Seek(key) && string(c.Key()) == string(key) {
		return c.Value(), nil
	}
	if err := c.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%w: %q in %s", ErrNotFound, key, db.path)
}

// Close releases the file mapping. Keys and values obtained from the DB must not be
// used afterwards.
func (db *DB) Close() error {
	if db.data == nil {
		return nil
	}
	db.data = nil
	if db.release == nil {
		return nil
	}
	if err := db.release(); err != nil {
		return fmt.Errorf("lmdb: unmapping %s: %w", db.path, err)
	}
	return nil
}
