package lmdb

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gocaffe/gocaffe/internal/io/staging"
)

// Option configures Create.
type Option func(*writerOptions)

type writerOptions struct {
	overwrite bool
	mapSize   uint64
	pageSize  int // 0: DefaultPageSize; other sizes only in tests
}

// Overwrite lets Create replace an existing database at the target path. The old
// database stays in place until the new one is complete, and a target that does not
// look like an LMDB directory is never replaced.
func Overwrite() Option { return func(o *writerOptions) { o.overwrite = true } }

// MapSize sets the map size recorded in the database (liblmdb's mdb_env_set_mapsize).
// It is raised to the size of the data if smaller. By default the map size is the
// smallest power of two, at least 1 MiB, that holds the data: what Caffe's converters
// leave behind when they grow the map by doubling.
func MapSize(n uint64) Option { return func(o *writerOptions) { o.mapSize = n } }

// Writer bulk-loads records, in strictly increasing key order, into a new LMDB. It
// builds the B+tree bottom-up the way liblmdb's MDB_APPEND mode does: leaf pages are
// filled in order and written as soon as they are full, each full page adds a separator
// to its parent level, and the root is written last. Memory use is one page per tree
// level, whatever the size of the database.
//
// The database is written into a temporary directory beside the target and renamed
// into place by Commit; until then, and after Abort, the target is untouched.
type Writer struct {
	target string
	tmpDir string
	lock   *os.File // holds the staging folder's lock (see internal/io/staging)
	opts   writerOptions

	f      *os.File
	w      *bufio.Writer
	psize  int
	nextPg uint64 // next page number to write
	levels []*pageBuilder
	prev   []byte // the last key written
	stat   Stat
	done   bool
	err    error // sticky: the first failure poisons the writer
}

// pageBuilder fills one tree page, nodes packed from the end as liblmdb does.
type pageBuilder struct {
	buf      []byte
	lower    int // end of the node offset array
	upper    int // start of the node heap
	n        int
	firstKey []byte // smallest key below this page: its separator in the parent
}

func newPageBuilder(psize int) *pageBuilder {
	b := &pageBuilder{buf: make([]byte, psize)}
	b.reset()
	return b
}

func (b *pageBuilder) reset() {
	clear(b.buf)
	b.lower, b.upper, b.n = pageHeaderSize, len(b.buf), 0
	b.firstKey = b.firstKey[:0]
}

// fits reports whether a node of size bytes (header included) fits beside its offset.
func (b *pageBuilder) fits(size int) bool { return b.upper-b.lower >= even(size)+2 }

// add places a node with the given header fields, key and payload.
func (b *pageBuilder) add(lo, hi, flags uint16, key, payload []byte) {
	size := nodeHeaderSize + len(key) + len(payload)
	b.upper -= even(size)
	le := binary.LittleEndian
	node := b.buf[b.upper:]
	le.PutUint16(node[0:], lo)
	le.PutUint16(node[2:], hi)
	le.PutUint16(node[4:], flags)
	le.PutUint16(node[6:], uint16(len(key)))
	copy(node[nodeHeaderSize:], key)
	copy(node[nodeHeaderSize+len(key):], payload)
	le.PutUint16(b.buf[b.lower:], uint16(b.upper))
	b.lower += 2
	b.n++
}

// Create starts a new database at path, a directory that must not exist unless the
// Overwrite option is given. Its parent directory must exist.
func Create(path string, opts ...Option) (*Writer, error) {
	w := &Writer{target: filepath.Clean(path), psize: DefaultPageSize}
	for _, o := range opts {
		o(&w.opts)
	}
	if w.opts.pageSize != 0 {
		w.psize = w.opts.pageSize
	}
	if err := checkTarget(w.target, w.opts.overwrite); err != nil {
		return nil, err
	}
	// Staged beside the target (never in $TMPDIR: a rename cannot cross file
	// systems), under a lock that tells a later run this is no crashed run's leftover.
	tmp, err := staging.MkdirTemp(w.target)
	if err != nil {
		return nil, fmt.Errorf("lmdb: creating %s: %w", w.target, err)
	}
	w.tmpDir = tmp
	f, err := os.OpenFile(filepath.Join(tmp, DataFile), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("lmdb: creating %s: %w", w.target, err)
	}
	// The lock is on a descriptor of its own, held until the folder is in place.
	if w.lock, err = os.Open(f.Name()); err == nil {
		err = staging.Lock(w.lock)
	}
	if err != nil {
		f.Close()
		if w.lock != nil {
			w.lock.Close()
		}
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("lmdb: creating %s: locking the staging folder: %w", w.target, err)
	}
	w.f = f
	w.w = bufio.NewWriterSize(f, 1<<20)
	// Reserve the two meta pages; Commit fills them in once the tree is known.
	if _, err := w.w.Write(make([]byte, 2*w.psize)); err != nil {
		w.Abort()
		return nil, fmt.Errorf("lmdb: writing %s: %w", w.target, err)
	}
	w.nextPg = 2
	w.levels = []*pageBuilder{newPageBuilder(w.psize)}
	return w, nil
}

// checkTarget refuses a target that exists, unless overwrite is set and the target is
// an LMDB directory (or an empty one).
func checkTarget(target string, overwrite bool) error {
	fi, err := os.Lstat(target)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("lmdb: %w", err)
	}
	if !overwrite {
		return fmt.Errorf("lmdb: %s already exists (give the overwrite option to replace it): %w", target, os.ErrExist)
	}
	if !fi.IsDir() {
		return fmt.Errorf("lmdb: refusing to replace %s: it is not a directory", target)
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return fmt.Errorf("lmdb: %w", err)
	}
	for _, e := range entries {
		if n := e.Name(); n != DataFile && n != LockFile {
			return fmt.Errorf("lmdb: refusing to replace %s: it holds %q, so it is not an LMDB directory", target, n)
		}
	}
	return nil
}

// Put appends a record. Keys must be strictly increasing in byte order, 1 to 511 bytes
// long (liblmdb's limit); values may be empty and up to 4 GiB − 1 bytes.
func (w *Writer) Put(key, value []byte) error {
	if w.done {
		return fmt.Errorf("lmdb: Put on %s after Commit or Abort", w.target)
	}
	if w.err != nil {
		return w.err
	}
	if len(key) == 0 || len(key) > maxKeySize {
		return fmt.Errorf("lmdb: %s: key %q is %d bytes long, want 1 to %d", w.target, key, len(key), maxKeySize)
	}
	if uint64(len(value)) > maxValueSize {
		return fmt.Errorf("lmdb: %s: value of key %q is %d bytes long, more than LMDB's limit of %d", w.target, key, len(value), uint64(maxValueSize))
	}
	if w.stat.Entries > 0 && bytes.Compare(key, w.prev) <= 0 {
		return fmt.Errorf("lmdb: %s: key %q does not follow %q: keys must be written in strictly increasing byte order", w.target, key, w.prev)
	}
	if err := w.putLeaf(key, value); err != nil {
		w.err = fmt.Errorf("lmdb: writing %s: %w", w.target, err)
		return w.err
	}
	w.prev = append(w.prev[:0], key...)
	w.stat.Entries++
	return nil
}

func (w *Writer) putLeaf(key, value []byte) error {
	size := uint32(len(value))
	lo, hi := uint16(size), uint16(size>>16)
	leaf := w.levels[0]
	var flags uint16
	payload := value
	if nodeHeaderSize+len(key)+len(value) > nodeMax(w.psize) {
		pgno, err := w.writeOverflow(value)
		if err != nil {
			return err
		}
		flags = fBigData
		payload = binary.LittleEndian.AppendUint64(make([]byte, 0, 8), pgno)
	}
	if !leaf.fits(nodeHeaderSize + len(key) + len(payload)) {
		if err := w.flush(0); err != nil {
			return err
		}
	}
	if leaf.n == 0 {
		leaf.firstKey = append(leaf.firstKey, key...)
	}
	leaf.add(lo, hi, flags, key, payload)
	return nil
}

// writeOverflow writes value on fresh overflow pages and returns the first one's number.
func (w *Writer) writeOverflow(value []byte) (uint64, error) {
	n := overflowPages(len(value), w.psize)
	pgno := w.nextPg
	var hdr [pageHeaderSize]byte
	le := binary.LittleEndian
	le.PutUint64(hdr[0:], pgno)
	le.PutUint16(hdr[10:], pOverflow)
	le.PutUint32(hdr[12:], uint32(n))
	if _, err := w.w.Write(hdr[:]); err != nil {
		return 0, err
	}
	if _, err := w.w.Write(value); err != nil {
		return 0, err
	}
	if pad := n*w.psize - pageHeaderSize - len(value); pad > 0 {
		if _, err := w.w.Write(make([]byte, pad)); err != nil {
			return 0, err
		}
	}
	w.nextPg += uint64(n)
	w.stat.OverflowPages += uint64(n)
	return pgno, nil
}

// flush writes the page being filled at level and adds it to the level above.
func (w *Writer) flush(level int) error {
	pgno, err := w.writePage(level)
	if err != nil {
		return err
	}
	b := w.levels[level]
	if level+1 == len(w.levels) {
		w.levels = append(w.levels, newPageBuilder(w.psize))
	}
	err = w.addBranch(level+1, b.firstKey, pgno)
	b.reset()
	return err
}

// writePage writes the page being filled at level and returns its number.
func (w *Writer) writePage(level int) (uint64, error) {
	b := w.levels[level]
	pgno := w.nextPg
	le := binary.LittleEndian
	le.PutUint64(b.buf[0:], pgno)
	flags := uint16(pBranch)
	if level == 0 {
		flags = pLeaf
		w.stat.LeafPages++
	} else {
		w.stat.BranchPages++
	}
	le.PutUint16(b.buf[10:], flags)
	le.PutUint16(b.buf[12:], uint16(b.lower))
	le.PutUint16(b.buf[14:], uint16(b.upper))
	if _, err := w.w.Write(b.buf); err != nil {
		return 0, err
	}
	w.nextPg++
	return pgno, nil
}

// addBranch adds a child page to the branch page being filled at level. The first
// node of a branch page carries no key (liblmdb ignores it), so the separator is only
// remembered, to pass further up.
func (w *Writer) addBranch(level int, key []byte, child uint64) error {
	b := w.levels[level]
	if b.n > 0 && !b.fits(nodeHeaderSize+len(key)) {
		if err := w.flush(level); err != nil {
			return err
		}
	}
	nodeKey := key
	if b.n == 0 {
		b.firstKey = append(b.firstKey, key...)
		nodeKey = nil
	}
	b.add(uint16(child), uint16(child>>16), uint16(child>>32), nodeKey, nil)
	return nil
}

// Len returns the number of records written so far.
func (w *Writer) Len() int { return int(w.stat.Entries) }

// Commit finishes the tree, writes the meta pages, and renames the database into
// place. Commit of an empty writer makes a valid, empty database.
func (w *Writer) Commit() error {
	if w.done {
		return fmt.Errorf("lmdb: Commit on %s after Commit or Abort", w.target)
	}
	if w.err != nil {
		w.Abort()
		return w.err
	}
	if err := w.finish(); err != nil {
		w.Abort()
		return fmt.Errorf("lmdb: writing %s: %w", w.target, err)
	}
	w.done = true
	defer w.lock.Close()
	if err := replaceDir(w.tmpDir, w.target, w.opts.overwrite); err != nil {
		os.RemoveAll(w.tmpDir)
		return err
	}
	return nil
}

// Stat returns the shape of the committed tree (valid after Commit).
func (w *Writer) Stat() Stat { return w.stat }

func (w *Writer) finish() error {
	root := invalidPgno
	depth := 0
	if w.stat.Entries > 0 {
		// Close every level bottom-up; the first level that never filled a page holds
		// the root.
		for level := 0; ; level++ {
			if level+1 == len(w.levels) {
				pgno, err := w.writePage(level)
				if err != nil {
					return err
				}
				root, depth = pgno, level+1
				break
			}
			if err := w.flush(level); err != nil {
				return err
			}
		}
	}
	if err := w.w.Flush(); err != nil {
		return err
	}
	size := w.nextPg * uint64(w.psize)
	mapSize := uint64(defaultMapSize)
	for mapSize < size {
		mapSize <<= 1
	}
	if w.opts.mapSize != 0 {
		mapSize = max(w.opts.mapSize, size)
	}
	free := dbRecord{pad: uint32(w.psize), flags: dbIntegerKey, root: invalidPgno}
	w.stat.PageSize = w.psize
	w.stat.Depth = depth
	w.stat.MapSize = mapSize
	w.stat.LastPage = w.nextPg - 1
	w.stat.TxnID = 1
	// Meta page 0 is the empty environment liblmdb starts from (transaction 0) and meta
	// page 1 the commit that holds the data (transaction 1): what liblmdb leaves after
	// one write transaction, and what mdb_copy -c writes.
	metas := make([]byte, 2*w.psize)
	encodeMetaPage(metas[:w.psize], 0, meta{
		magic: magic, version: dataVersion, mapSize: mapSize,
		free: free, main: dbRecord{root: invalidPgno}, lastPg: 1, txnID: 0,
	})
	encodeMetaPage(metas[w.psize:], 1, meta{
		magic: magic, version: dataVersion, mapSize: mapSize, free: free,
		main: dbRecord{
			depth:         uint16(depth),
			branchPages:   w.stat.BranchPages,
			leafPages:     w.stat.LeafPages,
			overflowPages: w.stat.OverflowPages,
			entries:       w.stat.Entries,
			root:          root,
		},
		lastPg: w.nextPg - 1, txnID: 1,
	})
	if _, err := w.f.WriteAt(metas, 0); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		return err
	}
	w.f = nil
	// An empty lock file, as liblmdb would leave one: the first process to open the
	// database initialises it. Without it, liblmdb (and so Caffe and python-lmdb, even
	// read-only) cannot open the database once its directory is read-only.
	lock, err := os.OpenFile(filepath.Join(w.tmpDir, LockFile), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
	if err != nil {
		return err
	}
	if err := lock.Close(); err != nil {
		return err
	}
	// os.MkdirTemp made the directory private; give it the usual permissions.
	return os.Chmod(w.tmpDir, 0o755)
}

// Abort discards everything written. It is safe to call after a failed Commit, and a
// no-op after a successful one.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
	w.lock.Close()
	if err := os.RemoveAll(w.tmpDir); err != nil {
		return fmt.Errorf("lmdb: removing %s: %w", w.tmpDir, err)
	}
	return nil
}

// replaceDir renames the finished directory tmp to target. With overwrite, an existing
// target is moved aside first and removed only once the new directory is in place.
func replaceDir(tmp, target string, overwrite bool) error {
	if err := checkTarget(target, overwrite); err != nil {
		return err
	}
	_, err := os.Lstat(target)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.Rename(tmp, target); err != nil {
			return fmt.Errorf("lmdb: %w", err)
		}
		return syncDir(filepath.Dir(target))
	}
	old := tmp + ".old"
	if err := os.Rename(target, old); err != nil {
		return fmt.Errorf("lmdb: moving the old %s aside: %w", target, err)
	}
	if err := os.Rename(tmp, target); err != nil {
		if err2 := os.Rename(old, target); err2 != nil {
			return fmt.Errorf("lmdb: %w (and restoring the old database from %s failed: %v)", err, old, err2)
		}
		return fmt.Errorf("lmdb: %w", err)
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("lmdb: removing the old database %s: %w", old, err)
	}
	return syncDir(filepath.Dir(target))
}

// syncDir makes a rename durable. Some systems cannot sync a directory; that is not
// an error worth failing a finished database for.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	d.Sync()
	return d.Close()
}
