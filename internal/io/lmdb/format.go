package lmdb

import (
	"encoding/binary"
)

// The on-disk layout of liblmdb 0.9.x built for a 64-bit little-endian machine
// (MDB_VERSION 1, the format every Caffe LMDB has). All integers are little endian.
//
// A file is an array of pages. Pages 0 and 1 are meta pages; the one with the larger
// transaction id is current, the other is the previous commit. A meta page holds the
// descriptor (MDB_db) of two B+trees: the free-page list (which readers ignore) and the
// main, unnamed database. Every tree page starts with a 16-byte header:
//
//	offset 0  uint64  page number (a consistency check: page n says n)
//	offset 8  uint16  padding
//	offset 10 uint16  flags (branch, leaf, overflow, meta, ...)
//	offset 12 uint16  lower: end of the node-offset array (overflow pages: see below)
//	offset 14 uint16  upper: start of the node heap
//
// After the header comes an array of uint16 node offsets, one per key, in key order;
// the nodes themselves are packed from the end of the page downwards. Overflow pages use
// the lower/upper pair as one uint32: how many consecutive pages the value spans.
const (
	pageHeaderSize = 16
	nodeHeaderSize = 8

	magic       = 0xBEEFC0DE
	dataVersion = 1

	// Page flags.
	pBranch   = 0x01
	pLeaf     = 0x02
	pOverflow = 0x04
	pMeta     = 0x08
	pLeaf2    = 0x20 // packed fixed-size duplicates (MDB_DUPFIXED), never in a main DB
	pSubPage  = 0x40 // a page embedded in a node (MDB_DUPSORT)

	// Leaf node flags.
	fBigData = 0x01 // the value lives on overflow pages; the node holds their page number
	fSubData = 0x02 // the value is the MDB_db of a named sub-database
	fDupData = 0x04 // the value holds sorted duplicates (MDB_DUPSORT)

	// Database flags (MDB_db.md_flags) that change key order or record layout.
	dbReverseKey = 0x02
	dbDupSort    = 0x04
	dbIntegerKey = 0x08

	// invalidPgno is the root of an empty tree.
	invalidPgno = ^uint64(0)

	// maxKeySize is liblmdb's compiled-in MDB_MAXKEYSIZE; longer keys are refused by
	// mdb_put, so a file we write must not hold them.
	maxKeySize = 511
	// maxValueSize: a node stores the value length in 32 bits.
	maxValueSize = 0xffffffff
	// maxDepth is liblmdb's CURSOR_STACK: no tree it can read is deeper.
	maxDepth = 32

	// DefaultPageSize is the page size liblmdb uses on x86-64 and most Linux machines.
	DefaultPageSize = 4096
	minPageSize     = 512
	maxPageSize     = 0x8000 // liblmdb's MAX_PAGESIZE

	// defaultMapSize is liblmdb's DEFAULT_MAPSIZE.
	defaultMapSize = 1 << 20
)

// Offsets inside a meta page, counted from the page start. The meta record (MDB_meta)
// follows the page header:
//
//	uint32 magic, uint32 version, uint64 fixed-map address, uint64 map size,
//	MDB_db free, MDB_db main, uint64 last page number, uint64 transaction id
//
// and each MDB_db is
//
//	uint32 pad (the free DB's holds the page size), uint16 flags, uint16 depth,
//	uint64 branch pages, leaf pages, overflow pages, entries, root page.
const (
	metaMagic   = pageHeaderSize + 0
	metaVersion = pageHeaderSize + 4
	metaAddress = pageHeaderSize + 8
	metaMapSize = pageHeaderSize + 16
	metaFreeDB  = pageHeaderSize + 24
	metaMainDB  = pageHeaderSize + 72
	metaLastPg  = pageHeaderSize + 120
	metaTxnID   = pageHeaderSize + 128
	metaEnd     = pageHeaderSize + 136

	dbRecordSize = 48
)

// dbRecord is an MDB_db: the descriptor of one B+tree.
type dbRecord struct {
	pad           uint32
	flags         uint16
	depth         uint16
	branchPages   uint64
	leafPages     uint64
	overflowPages uint64
	entries       uint64
	root          uint64
}

func decodeDB(b []byte) dbRecord {
	le := binary.LittleEndian
	return dbRecord{
		pad:           le.Uint32(b[0:]),
		flags:         le.Uint16(b[4:]),
		depth:         le.Uint16(b[6:]),
		branchPages:   le.Uint64(b[8:]),
		leafPages:     le.Uint64(b[16:]),
		overflowPages: le.Uint64(b[24:]),
		entries:       le.Uint64(b[32:]),
		root:          le.Uint64(b[40:]),
	}
}

func (d dbRecord) encode(b []byte) {
	le := binary.LittleEndian
	le.PutUint32(b[0:], d.pad)
	le.PutUint16(b[4:], d.flags)
	le.PutUint16(b[6:], d.depth)
	le.PutUint64(b[8:], d.branchPages)
	le.PutUint64(b[16:], d.leafPages)
	le.PutUint64(b[24:], d.overflowPages)
	le.PutUint64(b[32:], d.entries)
	le.PutUint64(b[40:], d.root)
}

// meta is the decoded MDB_meta of one meta page.
type meta struct {
	magic   uint32
	version uint32
	address uint64
	mapSize uint64
	free    dbRecord
	main    dbRecord
	lastPg  uint64
	txnID   uint64
}

// pageSize is stored in the free DB's pad field (liblmdb's mm_psize).
func (m meta) pageSize() uint32 { return m.free.pad }

// decodeMeta reads the meta record of a meta page; p must hold at least metaEnd bytes.
func decodeMeta(p []byte) meta {
	le := binary.LittleEndian
	return meta{
		magic:   le.Uint32(p[metaMagic:]),
		version: le.Uint32(p[metaVersion:]),
		address: le.Uint64(p[metaAddress:]),
		mapSize: le.Uint64(p[metaMapSize:]),
		free:    decodeDB(p[metaFreeDB:]),
		main:    decodeDB(p[metaMainDB:]),
		lastPg:  le.Uint64(p[metaLastPg:]),
		txnID:   le.Uint64(p[metaTxnID:]),
	}
}

// encodeMetaPage writes a whole meta page (header and record) into p.
func encodeMetaPage(p []byte, pgno uint64, m meta) {
	le := binary.LittleEndian
	clear(p)
	le.PutUint64(p[0:], pgno)
	le.PutUint16(p[10:], pMeta)
	le.PutUint32(p[metaMagic:], m.magic)
	le.PutUint32(p[metaVersion:], m.version)
	le.PutUint64(p[metaAddress:], m.address)
	le.PutUint64(p[metaMapSize:], m.mapSize)
	m.free.encode(p[metaFreeDB:])
	m.main.encode(p[metaMainDB:])
	le.PutUint64(p[metaLastPg:], m.lastPg)
	le.PutUint64(p[metaTxnID:], m.txnID)
}

// Page header accessors.
func pageNumber(p []byte) uint64 { return binary.LittleEndian.Uint64(p[0:]) }
func pageFlags(p []byte) uint16  { return binary.LittleEndian.Uint16(p[10:]) }
func pageLower(p []byte) int     { return int(binary.LittleEndian.Uint16(p[12:])) }
func pageUpper(p []byte) int     { return int(binary.LittleEndian.Uint16(p[14:])) }
func overflowCount(p []byte) uint64 {
	return uint64(binary.LittleEndian.Uint32(p[12:]))
}

// overflowPages is liblmdb's OVPAGES: how many pages a value of n bytes spans when it
// is stored after one page header.
func overflowPages(n, psize int) int { return (pageHeaderSize-1+n)/psize + 1 }

// nodeMax is liblmdb's me_nodemax: the largest leaf node (header, key and value) kept
// inside a page. A bigger value moves to overflow pages. With 4096-byte pages it is 2038.
func nodeMax(psize int) int { return (((psize - pageHeaderSize) / 2) &^ 1) - 2 }

func even(n int) int { return (n + 1) &^ 1 }
