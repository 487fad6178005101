// Package db reads and writes the key/value databases that hold Caffe's training
// data — LMDB and LevelDB — behind one cursor and one writer, as Caffe's db::DB does.
//
// A Reader walks the records in key order, which is the order Caffe's Data layer feeds
// them to a net, and can wrap around at the end and jump to the k-th record. A Writer
// bulk-loads records in increasing key order into a new database that appears only
// when it is complete. The package deals in keys and bytes; decoding Datum records is
// the data layer's job.
package db

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/lmdb"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Backend is a database format. Its values are those of caffe.DataParameter.DB.
type Backend int

// The backends. LevelDB is Caffe's default for DataParameter.backend, though every
// Caffe example sets LMDB.
const (
	LevelDB = Backend(caffepb.DataParameter_LEVELDB)
	LMDB    = Backend(caffepb.DataParameter_LMDB)
)

// String returns the backend's name as Caffe's tools spell it: "lmdb" or "leveldb".
func (b Backend) String() string {
	switch b {
	case LMDB:
		return "lmdb"
	case LevelDB:
		return "leveldb"
	}
	return fmt.Sprintf("Backend(%d)", int(b))
}

// FromProto converts a DataParameter's backend field.
func FromProto(b caffepb.DataParameter_DB) (Backend, error) {
	switch Backend(b) {
	case LMDB, LevelDB:
		return Backend(b), nil
	}
	return 0, fmt.Errorf("unknown database backend %d (want LEVELDB or LMDB)", int32(b))
}

// ParseBackend parses a backend name as given to Caffe's tools (-backend=lmdb).
func ParseBackend(s string) (Backend, error) {
	switch strings.ToLower(s) {
	case "lmdb":
		return LMDB, nil
	case "leveldb":
		return LevelDB, nil
	}
	return 0, fmt.Errorf("unknown database backend %q (want lmdb or leveldb)", s)
}

// ErrEmpty is wrapped by the errors of operations that need at least one record.
var ErrEmpty = errors.New("database is empty")

// cursor is what a backend provides to a Reader.
type cursor interface {
	first() bool     // to the first record; false if there is none or on error
	next() bool      // to the following record; false at the end or on error
	skip(n int) bool // n records forward; false if the end comes first or on error
	key() []byte
	value() []byte
	err() error
	count() (int, error) // number of records, without moving the cursor
	close() error
}

// Reader is a cursor over a database's records in key order. Key and Value return
// slices that stay valid only until the Reader moves; copy them to keep them. A
// Reader belongs to one goroutine.
type Reader struct {
	path    string
	backend Backend
	c       cursor
	valid   bool
	pos     int // index of the current record, counted from the first
	n       int // number of records, or -1 while unknown
}

// OpenReader opens the database at path for reading and positions it at the first
// record (Valid is false if the database is empty). path is the database directory,
// as in a Data layer's source:.
func OpenReader(path string, backend Backend) (*Reader, error) {
	c, err := openCursor(path, backend)
	if err != nil {
		return nil, err
	}
	glog.Infof("Opened %s %s", backend, path)
	r := &Reader{path: path, backend: backend, c: c, n: -1}
	if err := r.First(); err != nil {
		c.close()
		return nil, err
	}
	return r, nil
}

// openError makes sure an error says which database could not be opened, once.
func openError(path string, b Backend, err error) error {
	var pe *fs.PathError
	switch {
	case errors.As(err, &pe) && pe.Path == path:
		err = fmt.Errorf("opening %s %s: %w", b, path, pe.Err)
	case errors.As(err, &pe):
		err = fmt.Errorf("opening %s %s: %s: %w", b, path, pe.Path, pe.Err)
	case !strings.Contains(err.Error(), path):
		err = fmt.Errorf("%s %s: %w", b, path, err)
	}
	if h := hint(path, b); h != "" {
		return fmt.Errorf("%w %s", err, h)
	}
	return err
}

// hint names the backend a folder seems to hold when it is not the one asked for:
// Caffe's DataParameter defaults to LEVELDB, so a forgotten `backend: LMDB` is common.
func hint(path string, asked Backend) string {
	switch {
	case asked == LevelDB && exists(filepath.Join(path, lmdb.DataFile)):
		return "(the folder holds an LMDB: set backend: LMDB in data_param)"
	case asked == LMDB && exists(filepath.Join(path, "CURRENT")):
		return "(the folder holds a LevelDB: set backend: LEVELDB in data_param)"
	}
	return ""
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Path returns the database's path.
func (r *Reader) Path() string { return r.path }

// Backend returns the database's format.
func (r *Reader) Backend() Backend { return r.backend }

// Valid reports whether the Reader points at a record.
func (r *Reader) Valid() bool { return r.valid }

// Key returns the current record's key, or nil.
func (r *Reader) Key() []byte {
	if !r.valid {
		return nil
	}
	return r.c.key()
}

// Value returns the current record's value, or nil.
func (r *Reader) Value() []byte {
	if !r.valid {
		return nil
	}
	return r.c.value()
}

// Pos returns the index of the current record, counted from the first (0). After a
// wrap it starts again at 0.
func (r *Reader) Pos() int { return r.pos }

// First moves to the first record.
func (r *Reader) First() error {
	r.valid, r.pos = r.c.first(), 0
	if !r.valid && r.n < 0 && r.c.err() == nil {
		r.n = 0
	}
	return r.wrapErr(r.c.err())
}

// Next moves to the following record; after the last one Valid becomes false. On an
// invalid Reader it does nothing.
func (r *Reader) Next() error {
	if !r.valid {
		return nil
	}
	r.valid = r.c.next()
	if err := r.c.err(); err != nil {
		return r.wrapErr(err)
	}
	r.pos++
	if !r.valid && r.n < 0 {
		r.n = r.pos
	}
	return nil
}

// NextWrap moves to the following record, or back to the first one after the last,
// as Caffe's Data layer does; wrapped reports the restart (Caffe then logs "Restarting
// data prefetching from start."). It fails with ErrEmpty on an empty database.
func (r *Reader) NextWrap() (wrapped bool, err error) {
	if !r.valid {
		// Positioned past the end (after Next) or empty: restart.
		if err := r.First(); err != nil {
			return false, err
		}
		if !r.valid {
			return false, r.emptyErr()
		}
		return true, nil
	}
	if err := r.Next(); err != nil {
		return false, err
	}
	if r.valid {
		return false, nil
	}
	if err := r.First(); err != nil {
		return false, err
	}
	if !r.valid {
		return false, r.wrapErr(fmt.Errorf("the records disappeared while reading"))
	}
	return true, nil
}

// SeekIndex moves to record k modulo the number of records, counted from the first:
// how a Data layer resumes where an earlier run stopped, or skips rand_skip records.
// LMDB steps over whole pages; LevelDB has to read the records in between. It fails
// with ErrEmpty on an empty database.
func (r *Reader) SeekIndex(k int) error {
	if k < 0 {
		return fmt.Errorf("%s %s: record index %d is negative", r.backend, r.path, k)
	}
	if err := r.First(); err != nil {
		return err
	}
	if !r.valid {
		return r.emptyErr()
	}
	if r.n < 0 {
		if n, ok := r.knownCount(); ok {
			r.n = n
		}
	}
	if r.n > 0 {
		k %= r.n
	}
	if k == 0 {
		return nil
	}
	if r.c.skip(k) {
		r.pos = k
		return nil
	}
	if err := r.c.err(); err != nil {
		r.valid = false
		return r.wrapErr(err)
	}
	if r.n > 0 {
		return r.wrapErr(fmt.Errorf("holds fewer than the %d records it claims", r.n))
	}
	// The count was unknown and k is past the end: count, then go round.
	n, err := r.Len()
	if err != nil {
		return err
	}
	return r.SeekIndex(k % n)
}

// knownCount returns the number of records if the backend knows it without a scan.
func (r *Reader) knownCount() (int, bool) {
	if r.backend == LMDB {
		n, err := r.c.count()
		return n, err == nil
	}
	return 0, false
}

// Len returns the number of records. LMDB keeps the count; a LevelDB is scanned once
// (the Reader's position does not change).
func (r *Reader) Len() (int, error) {
	if r.n >= 0 {
		return r.n, nil
	}
	n, err := r.c.count()
	if err != nil {
		return 0, r.wrapErr(err)
	}
	r.n = n
	return n, nil
}

// Close releases the database. Keys and values obtained from it must not be used
// afterwards.
func (r *Reader) Close() error {
	r.valid = false
	return r.wrapErr(r.c.close())
}

func (r *Reader) wrapErr(err error) error {
	if err == nil {
		return nil
	}
	r.valid = false
	if strings.Contains(err.Error(), r.path) {
		return fmt.Errorf("reading %s: %w", r.backend, err)
	}
	return fmt.Errorf("reading %s %s: %w", r.backend, r.path, err)
}

func (r *Reader) emptyErr() error {
	return fmt.Errorf("%s %s: %w", r.backend, r.path, ErrEmpty)
}

// sink is what a backend provides to a Writer.
type sink interface {
	put(key, value []byte) error
	commit() error
	abort() error
}

// Writer creates a database from records given in strictly increasing key order (for
// both backends, so that a program behaves the same whichever it writes). Nothing
// appears at the target path until Commit.
type Writer struct {
	path    string
	backend Backend
	s       sink
	prev    []byte
	n       int
	done    bool
}

// Create starts a new database at path. If path exists, Create fails unless overwrite
// is set; an existing database is then replaced only once the new one is complete,
// and a folder that does not look like a database of the backend is never replaced.
func Create(path string, backend Backend, overwrite bool) (*Writer, error) {
	var (
		s   sink
		err error
	)
	switch backend {
	case LMDB:
		s, err = createLMDB(path, overwrite)
	case LevelDB:
		s, err = createLevelDB(path, overwrite)
	default:
		return nil, fmt.Errorf("creating %s: unknown database backend %d", path, int(backend))
	}
	if err != nil {
		return nil, err
	}
	glog.Infof("Opened %s %s", backend, path)
	return &Writer{path: path, backend: backend, s: s}, nil
}

// Put adds a record. Its key must be greater than the previous one in byte order.
func (w *Writer) Put(key, value []byte) error {
	if w.done {
		return fmt.Errorf("%s %s: Put after Commit or Abort", w.backend, w.path)
	}
	if w.n > 0 && string(key) <= string(w.prev) {
		return fmt.Errorf("%s %s: key %q does not follow %q: keys must be written in strictly increasing byte order",
			w.backend, w.path, key, w.prev)
	}
	if err := w.s.put(key, value); err != nil {
		return err
	}
	w.prev = append(w.prev[:0], key...)
	w.n++
	return nil
}

// Len returns the number of records put so far.
func (w *Writer) Len() int { return w.n }

// Commit completes the database and moves it into place.
func (w *Writer) Commit() error {
	if w.done {
		return fmt.Errorf("%s %s: Commit after Commit or Abort", w.backend, w.path)
	}
	w.done = true
	return w.s.commit()
}

// Abort discards the database being written; the target path is left as it was. It
// does nothing after Commit.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	return w.s.abort()
}
