package lmdb

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// Cursor walks the records of a DB in key order (lexicographic bytes, as liblmdb's
// default comparison). A new cursor is not positioned: call First or Seek.
//
// Every move reports whether the cursor now points at a record. When it does not, Err
// tells apart the end of the data (nil) from a damaged file.
type Cursor struct {
	db    *DB
	stack []frame // stack[0] is the root, stack[len-1] the leaf
	valid bool
	key   []byte
	value []byte
	err   error
}

// frame is the cursor's position in one page of its path from the root.
type frame struct {
	pgno uint64
	page []byte
	n    int // number of nodes on the page
	idx  int // current node
}

// Cursor returns a new, unpositioned cursor.
func (db *DB) Cursor() *Cursor {
	return &Cursor{db: db, stack: make([]frame, db.meta.main.depth)}
}

// Valid reports whether the cursor points at a record.
func (c *Cursor) Valid() bool { return c.valid }

// Key returns the current record's key, or nil. It aliases the database file.
func (c *Cursor) Key() []byte { return c.key }

// Value returns the current record's value, or nil. It aliases the database file.
func (c *Cursor) Value() []byte { return c.value }

// Err returns the error that stopped the cursor, if any.
func (c *Cursor) Err() error { return c.err }

// First moves to the first record. It returns false for an empty database.
func (c *Cursor) First() bool {
	if !c.start() {
		return false
	}
	if !c.descend(0, c.db.meta.main.root) {
		return false
	}
	return c.load()
}

// Next moves to the following record. It returns false after the last record or on
// error; the cursor then stays invalid until First or Seek.
func (c *Cursor) Next() bool {
	if !c.valid || !c.open() {
		return false
	}
	prev := c.key
	leaf := &c.stack[len(c.stack)-1]
	leaf.idx++
	if leaf.idx >= leaf.n && !c.nextLeaf() {
		return false
	}
	if !c.load() {
		return false
	}
	// A well-formed tree yields strictly increasing keys. Checking it catches damaged
	// files whose pages point back into the tree, which would otherwise loop.
	if bytes.Compare(prev, c.key) >= 0 {
		return c.fail(c.db.corruptf("page %d: key %q does not follow the previous key %q: the tree is out of order",
			c.stack[len(c.stack)-1].pgno, c.key, prev))
	}
	return true
}

// Seek moves to the first record whose key is greater than or equal to key. It
// returns false when every key is smaller.
func (c *Cursor) Seek(key []byte) bool {
	if !c.start() {
		return false
	}
	pgno := c.db.meta.main.root
	last := len(c.stack) - 1
	for level := 0; level < last; level++ {
		if !c.loadPage(level, pgno) {
			return false
		}
		f := &c.stack[level]
		// The child to follow is the last one whose separator is <= key; the first
		// child's separator is minus infinity and is not stored.
		lo, hi := 1, f.n-1
		for lo <= hi {
			mid := int(uint(lo+hi) >> 1)
			k, ok := c.nodeKey(f, mid)
			if !ok {
				return false
			}
			if bytes.Compare(k, key) <= 0 {
				f.idx = mid
				lo = mid + 1
			} else {
				hi = mid - 1
			}
		}
		var ok bool
		if pgno, ok = c.child(f); !ok {
			return false
		}
	}
	if !c.loadPage(last, pgno) {
		return false
	}
	f := &c.stack[last]
	lo, hi := 0, f.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		k, ok := c.nodeKey(f, mid)
		if !ok {
			return false
		}
		if bytes.Compare(k, key) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	f.idx = lo
	if lo == f.n && !c.nextLeaf() {
		return false
	}
	return c.load()
}

// Skip moves n records forward without reading the records in between; whole leaf
// pages are stepped over. It returns false if fewer than n records follow.
func (c *Cursor) Skip(n uint64) bool {
	if !c.valid || !c.open() {
		return false
	}
	for n > 0 {
		leaf := &c.stack[len(c.stack)-1]
		rest := uint64(leaf.n - 1 - leaf.idx) // records after the current one on this page
		if n <= rest {
			leaf.idx += int(n)
			break
		}
		n -= rest + 1
		last, ok := c.nodeKey(leaf, leaf.n-1)
		if !ok || !c.nextLeaf() {
			return false
		}
		// As in Next, keys must grow from page to page; here it is checked once per
		// page, which also stops a damaged tree that reaches a page twice.
		f := &c.stack[len(c.stack)-1]
		first, ok := c.nodeKey(f, 0)
		if !ok {
			return false
		}
		if bytes.Compare(last, first) >= 0 {
			return c.fail(c.db.corruptf("page %d: first key %q does not follow the previous page's last key %q: the tree is out of order", f.pgno, first, last))
		}
	}
	return c.load()
}

// start clears the position and checks that the database is open and not empty.
func (c *Cursor) start() bool {
	c.valid, c.key, c.value, c.err = false, nil, nil, nil
	return c.open() && len(c.stack) > 0
}

// open fails the cursor if its database has been closed: its pages are unmapped.
func (c *Cursor) open() bool {
	if c.db.data == nil {
		return c.fail(errors.New("lmdb " + c.db.path + ": database is closed"))
	}
	return true
}

func (c *Cursor) fail(err error) bool {
	c.valid, c.key, c.value, c.err = false, nil, nil, err
	return false
}

// descend fills the stack from level down to the leaf with the leftmost path below
// page pgno.
func (c *Cursor) descend(level int, pgno uint64) bool {
	for {
		if !c.loadPage(level, pgno) {
			return false
		}
		if level == len(c.stack)-1 {
			return true
		}
		var ok bool
		if pgno, ok = c.child(&c.stack[level]); !ok {
			return false
		}
		level++
	}
}

// nextLeaf moves to the first record of the leaf page after the current one. It
// returns false at the end of the tree.
func (c *Cursor) nextLeaf() bool {
	level := len(c.stack) - 2
	for level >= 0 && c.stack[level].idx+1 >= c.stack[level].n {
		level--
	}
	if level < 0 {
		c.valid, c.key, c.value = false, nil, nil
		return false
	}
	c.stack[level].idx++
	pgno, ok := c.child(&c.stack[level])
	if !ok {
		return false
	}
	return c.descend(level+1, pgno)
}

// loadPage checks tree page pgno and makes it the cursor's page at level, positioned
// at its first node.
func (c *Cursor) loadPage(level int, pgno uint64) bool {
	db := c.db
	depth := len(c.stack)
	if pgno < 2 || pgno > db.meta.lastPg {
		return c.fail(db.corruptf("page %d at depth %d is outside the pages in use [2, %d]", pgno, level, db.meta.lastPg))
	}
	off := int(pgno) * db.psize
	p := db.data[off : off+db.psize : off+db.psize]
	if got := pageNumber(p); got != pgno {
		return c.fail(db.corruptf("page %d: its header says it is page %d", pgno, got))
	}
	flags := pageFlags(p)
	if flags&(pLeaf2|pSubPage) != 0 {
		return c.fail(db.errorf(ErrUnsupported, "page %d: packed duplicate or sub-page (flags %#x); sorted duplicates are not supported", pgno, flags))
	}
	want, wantFlag := "branch", uint16(pBranch)
	if level == depth-1 {
		want, wantFlag = "leaf", pLeaf
	}
	if flags&(pBranch|pLeaf|pOverflow|pMeta) != wantFlag {
		return c.fail(db.corruptf("page %d: flags %#x at depth %d of %d, want a %s page", pgno, flags, level, depth, want))
	}
	lower, upper := pageLower(p), pageUpper(p)
	if lower < pageHeaderSize || lower > upper || upper > db.psize || lower%2 != 0 {
		return c.fail(db.corruptf("page %d: bad node area bounds lower=%d upper=%d", pgno, lower, upper))
	}
	n := (lower - pageHeaderSize) / 2
	if n == 0 {
		return c.fail(db.corruptf("page %d: empty %s page inside the tree", pgno, want))
	}
	c.stack[level] = frame{pgno: pgno, page: p, n: n}
	return true
}

// node returns the byte offset of node i of f's page and its key, after checking
// that the node header and key lie inside the page.
func (c *Cursor) node(f *frame, i int) (off int, key []byte, ok bool) {
	p := f.page
	off = int(binary.LittleEndian.Uint16(p[pageHeaderSize+2*i:]))
	lower := pageHeaderSize + 2*f.n
	if off < lower || off+nodeHeaderSize > len(p) {
		return 0, nil, c.fail(c.db.corruptf("page %d: node %d at offset %d lies outside the node area [%d, %d)", f.pgno, i, off, lower, len(p)))
	}
	ksize := int(binary.LittleEndian.Uint16(p[off+6:]))
	end := off + nodeHeaderSize + ksize
	if end > len(p) {
		return 0, nil, c.fail(c.db.corruptf("page %d: node %d: key of %d bytes at offset %d runs past the page end", f.pgno, i, ksize, off))
	}
	return off, p[off+nodeHeaderSize : end : end], true
}

func (c *Cursor) nodeKey(f *frame, i int) ([]byte, bool) {
	_, k, ok := c.node(f, i)
	return k, ok
}

// child returns the page number held by the current node of the branch frame f. A
// branch node keeps the child's number in the 48 bits that a
// leaf node uses for the value size and flags.
func (c *Cursor) child(f *frame) (uint64, bool) {
	off, _, ok := c.node(f, f.idx)
	if !ok {
		return 0, false
	}
	p := f.page
	le := binary.LittleEndian
	return uint64(le.Uint16(p[off:])) | uint64(le.Uint16(p[off+2:]))<<16 | uint64(le.Uint16(p[off+4:]))<<32, true
}

// load reads the record at the cursor's leaf position.
func (c *Cursor) load() bool {
	db := c.db
	f := &c.stack[len(c.stack)-1]
	off, key, ok := c.node(f, f.idx)
	if !ok {
		return false
	}
	p := f.page
	le := binary.LittleEndian
	size := uint64(le.Uint16(p[off:])) | uint64(le.Uint16(p[off+2:]))<<16
	flags := le.Uint16(p[off+4:])
	vstart := off + nodeHeaderSize + len(key)
	var value []byte
	switch flags {
	case 0:
		if uint64(vstart)+size > uint64(len(p)) {
			return c.fail(db.corruptf("page %d: node %d: value of %d bytes at offset %d runs past the page end", f.pgno, f.idx, size, vstart))
		}
		end := vstart + int(size)
		value = p[vstart:end:end]
	case fBigData:
		if vstart+8 > len(p) {
			return c.fail(db.corruptf("page %d: node %d: overflow page number runs past the page end", f.pgno, f.idx))
		}
		var err error
		if value, err = db.overflow(le.Uint64(p[vstart:]), size, f.pgno, f.idx); err != nil {
			return c.fail(err)
		}
	default:
		switch {
		case flags&fDupData != 0:
			return c.fail(db.errorf(ErrUnsupported, "page %d: key %q has sorted duplicates (MDB_DUPSORT); one value per key is supported", f.pgno, key))
		case flags&fSubData != 0:
			return c.fail(db.errorf(ErrUnsupported, "page %d: key %q names a sub-database; only the unnamed database is supported", f.pgno, key))
		}
		return c.fail(db.corruptf("page %d: node %d: unknown node flags %#x", f.pgno, f.idx, flags))
	}
	c.valid, c.key, c.value = true, key, value
	return true
}

// overflow returns a value of size bytes stored on the overflow pages starting at pgno,
// referenced from node idx of page from.
func (db *DB) overflow(pgno, size, from uint64, idx int) ([]byte, error) {
	last := db.meta.lastPg
	if pgno < 2 || pgno > last {
		return nil, db.corruptf("page %d: node %d: overflow page %d is outside the pages in use [2, %d]", from, idx, pgno, last)
	}
	off := int(pgno) * db.psize
	p := db.data[off:]
	if got := pageNumber(p); got != pgno {
		return nil, db.corruptf("overflow page %d: its header says it is page %d", pgno, got)
	}
	if fl := pageFlags(p); fl&pOverflow == 0 {
		return nil, db.corruptf("page %d: node %d points at page %d with flags %#x, want an overflow page", from, idx, pgno, fl)
	}
	count := overflowCount(p)
	if count == 0 || count > last-pgno+1 {
		return nil, db.corruptf("overflow page %d: span of %d pages leaves the pages in use [2, %d]", pgno, count, last)
	}
	if size > count*uint64(db.psize)-pageHeaderSize {
		return nil, db.corruptf("overflow page %d: value of %d bytes does not fit its %d pages", pgno, size, count)
	}
	start := off + pageHeaderSize
	end := start + int(size)
	return db.data[start:end:end], nil
}
