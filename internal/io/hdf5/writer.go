package hdf5

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"

	"github.com/gocaffe/gocaffe/internal/io/staging"
)

// Builder collects groups and datasets in memory and writes them as one HDF5 file: a
// version 0 superblock, version 1 object headers, groups as symbol tables, datasets
// contiguous — the oldest layout, which every HDF5 library reads.
type Builder struct {
	root *Node
}

// Node is a group being built.
type Node struct {
	members map[string]any // *Node or *wdataset
}

type wdataset struct {
	shape    []int
	class    Class
	size     int // bytes per element
	unsigned bool
	data     []byte
}

// NewBuilder starts an empty file.
func NewBuilder() *Builder { return &Builder{root: &Node{members: map[string]any{}}} }

// Root is the root group.
func (b *Builder) Root() *Node { return b.root }

// Group returns the member group of that name, creating it.
func (n *Node) Group(name string) *Node {
	if g, ok := n.members[name].(*Node); ok {
		return g
	}
	g := &Node{members: map[string]any{}}
	n.members[name] = g
	return g
}

// Float32 adds a dataset of float32 values of the given shape (nil for a scalar).
func (n *Node) Float32(name string, shape []int, v []float32) error {
	if err := checkCount(name, shape, len(v)); err != nil {
		return err
	}
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	n.members[name] = &wdataset{shape: shape, class: Float, size: 4, data: b}
	return nil
}

// Float64 adds a dataset of float64 values.
func (n *Node) Float64(name string, shape []int, v []float64) error {
	if err := checkCount(name, shape, len(v)); err != nil {
		return err
	}
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	n.members[name] = &wdataset{shape: shape, class: Float, size: 8, data: b}
	return nil
}

// Int32 adds a dataset of int32 values.
func (n *Node) Int32(name string, shape []int, v []int32) error {
	if err := checkCount(name, shape, len(v)); err != nil {
		return err
	}
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(x))
	}
	n.members[name] = &wdataset{shape: shape, class: Integer, size: 4, data: b}
	return nil
}

// Uint8 adds a dataset of bytes (unsigned 8-bit integers).
func (n *Node) Uint8(name string, shape []int, v []byte) error {
	if err := checkCount(name, shape, len(v)); err != nil {
		return err
	}
	n.members[name] = &wdataset{shape: shape, class: Integer, size: 1, data: append([]byte(nil), v...), unsigned: true}
	return nil
}

// String adds a scalar dataset of one NUL-terminated string, as Caffe's
// hdf5_save_string (H5LTmake_dataset_string) writes it.
func (n *Node) String(name, s string) {
	n.members[name] = &wdataset{class: String, size: len(s) + 1, data: append([]byte(s), 0)}
}

func checkCount(name string, shape []int, n int) error {
	c := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("dataset %s: shape %v has a negative dimension", name, shape)
		}
		c *= d
	}
	if c != n {
		return fmt.Errorf("dataset %s: %d values for shape %v", name, n, shape)
	}
	return nil
}

// WriteFile writes the file through a staged file beside path, renamed into place.
func (b *Builder) WriteFile(path string) error {
	return staging.WriteFile(path, b.Bytes())
}

// encoder lays the file out, each structure at an 8-byte boundary.
type encoder struct {
	buf           []byte
	leafK, innerK int
}

// superblockSize is the room left for the superblock: 96 bytes for version 0, and 8
// more so that a test can rewrite it as version 1.
const superblockSize = 104

func (e *encoder) align() {
	for len(e.buf)%8 != 0 {
		e.buf = append(e.buf, 0)
	}
}

// alloc appends n zero bytes and returns their address.
func (e *encoder) alloc(n int) uint64 {
	e.align()
	a := uint64(len(e.buf))
	e.buf = append(e.buf, make([]byte, n)...)
	return a
}

func le64(b []byte, v uint64) { binary.LittleEndian.PutUint64(b, v) }

// Bytes returns the file's bytes.
func (b *Builder) Bytes() []byte {
	e := &encoder{leafK: 4, innerK: 16}
	maxMembers := 0
	var walk func(n *Node)
	walk = func(n *Node) {
		maxMembers = max(maxMembers, len(n.members))
		for _, m := range n.members {
			if g, ok := m.(*Node); ok {
				walk(g)
			}
		}
	}
	walk(b.root)
	// One symbol table node per group: room for every member.
	e.leafK = max(4, (maxMembers+1)/2)
	e.buf = make([]byte, superblockSize)
	rootHeader, rootTree, rootHeap := e.group(b.root)

	sb := e.buf[:96]
	copy(sb, signature)
	// Versions: superblock, free space, root symbol table, reserved, shared header.
	sb[13], sb[14] = 8, 8 // sizes of offsets and lengths
	binary.LittleEndian.PutUint16(sb[16:], uint16(e.leafK))
	binary.LittleEndian.PutUint16(sb[18:], uint16(e.innerK))
	le64(sb[24:], 0)                          // base address
	le64(sb[32:], undef)                      // free space
	le64(sb[40:], uint64(len(e.buf)))         // end of file
	le64(sb[48:], undef)                      // driver information
	le64(sb[56:], 0)                          // root: link name offset
	le64(sb[64:], rootHeader)                 // root: object header
	binary.LittleEndian.PutUint32(sb[72:], 1) // cached: a symbol table
	le64(sb[80:], rootTree)
	le64(sb[88:], rootHeap)
	return e.buf
}

// header writes a version 1 object header holding msgs (type, data) and returns its address.
func (e *encoder) header(msgs [][2]any) uint64 {
	size := 0
	for _, m := range msgs {
		size += 8 + pad8(len(m[1].([]byte)))
	}
	addr := e.alloc(16 + size)
	h := e.buf[addr:]
	h[0] = 1
	binary.LittleEndian.PutUint16(h[2:], uint16(len(msgs)))
	binary.LittleEndian.PutUint32(h[4:], 1)
	binary.LittleEndian.PutUint32(h[8:], uint32(size))
	p := h[16:]
	for _, m := range msgs {
		d := m[1].([]byte)
		binary.LittleEndian.PutUint16(p, m[0].(uint16))
		binary.LittleEndian.PutUint16(p[2:], uint16(pad8(len(d))))
		copy(p[8:], d)
		p = p[8+pad8(len(d)):]
	}
	return addr
}

func pad8(n int) int { return (n + 7) / 8 * 8 }

// group writes a group's members, then its local heap, symbol table node, B-tree and
// object header, and returns the addresses of the header, the B-tree and the heap.
func (e *encoder) group(n *Node) (header, tree, heap uint64) {
	names := make([]string, 0, len(n.members))
	for name := range n.members {
		names = append(names, name)
	}
	sort.Strings(names) // symbol table nodes hold their entries in name order
	addrs := make([]uint64, len(names))
	for i, name := range names {
		switch m := n.members[name].(type) {
		case *Node:
			addrs[i], _, _ = e.group(m)
		case *wdataset:
			addrs[i] = e.dataset(m)
		}
	}
	// The local heap: the empty name at offset 0, then each name, 8-byte aligned.
	seg := make([]byte, 8)
	offs := make([]uint64, len(names))
	for i, name := range names {
		offs[i] = uint64(len(seg))
		seg = append(seg, name...)
		seg = append(seg, make([]byte, pad8(len(name)+1)-len(name))...)
	}
	heap = e.alloc(32 + len(seg))
	h := e.buf[heap:]
	copy(h, "HEAP")
	le64(h[8:], uint64(len(seg)))
	le64(h[16:], 1) // no free block (the library's H5HL_FREE_NULL)
	le64(h[24:], heap+32)
	copy(h[32:], seg)

	var snod uint64
	if len(names) > 0 {
		snod = e.alloc(8 + 2*e.leafK*40)
		s := e.buf[snod:]
		copy(s, "SNOD")
		s[4] = 1
		binary.LittleEndian.PutUint16(s[6:], uint16(len(names)))
		for i := range names {
			ent := s[8+40*i:]
			le64(ent, offs[i])
			le64(ent[8:], addrs[i])
		}
	}

	tree = e.alloc(24 + (2*e.innerK+1)*8 + 2*e.innerK*8)
	t := e.buf[tree:]
	copy(t, "TREE")
	// node type 0 (group), level 0
	le64(t[8:], undef)
	le64(t[16:], undef)
	if len(names) > 0 {
		binary.LittleEndian.PutUint16(t[6:], 1)
		le64(t[24:], 0)                  // key 0: the empty name
		le64(t[32:], snod)               // child 0
		le64(t[40:], offs[len(names)-1]) // key 1: the child's last name
	}

	st := make([]byte, 16)
	le64(st, tree)
	le64(st[8:], heap)
	header = e.header([][2]any{{uint16(msgSymbolTable), st}})
	return header, tree, heap
}

// dataset writes a dataset's values, then its object header, and returns its address.
func (e *encoder) dataset(d *wdataset) uint64 {
	addr := undef
	if len(d.data) > 0 {
		addr = e.alloc(len(d.data))
		copy(e.buf[addr:], d.data)
	}
	// Dataspace, version 1: rank, no maximum dimensions (they equal the dimensions).
	space := make([]byte, 8+8*len(d.shape))
	space[0], space[1] = 1, byte(len(d.shape))
	for i, s := range d.shape {
		le64(space[8+8*i:], uint64(s))
	}
	var dtype []byte
	switch d.class {
	case Float:
		dtype = make([]byte, 20)
		dtype[0] = 0x11 // version 1, floating point
		dtype[1] = 0x20 // little-endian, IEEE normalisation
		binary.LittleEndian.PutUint32(dtype[4:], uint32(d.size))
		if d.size == 4 {
			dtype[2] = 31 // sign bit
			binary.LittleEndian.PutUint16(dtype[10:], 32)
			dtype[12], dtype[13], dtype[14], dtype[15] = 23, 8, 0, 23
			binary.LittleEndian.PutUint32(dtype[16:], 127)
		} else {
			dtype[2] = 63
			binary.LittleEndian.PutUint16(dtype[10:], 64)
			dtype[12], dtype[13], dtype[14], dtype[15] = 52, 11, 0, 52
			binary.LittleEndian.PutUint32(dtype[16:], 1023)
		}
	case Integer:
		dtype = make([]byte, 12)
		dtype[0] = 0x10 // version 1, fixed point
		dtype[1] = 0x08 // little-endian, signed
		if d.unsigned {
			dtype[1] = 0
		}
		binary.LittleEndian.PutUint32(dtype[4:], uint32(d.size))
		binary.LittleEndian.PutUint16(dtype[10:], uint16(8*d.size))
	case String:
		dtype = make([]byte, 8)
		dtype[0] = 0x13 // version 1, string; NUL-terminated ASCII
		binary.LittleEndian.PutUint32(dtype[4:], uint32(d.size))
	}
	// Fill value, version 2: allocated early, written if set, no value defined.
	fill := []byte{2, 1, 2, 0}
	layout := make([]byte, 18)
	layout[0], layout[1] = 3, 1 // version 3, contiguous
	le64(layout[2:], addr)
	le64(layout[10:], uint64(len(d.data)))
	return e.header([][2]any{
		{uint16(msgDataspace), space},
		{uint16(msgDatatype), dtype},
		{uint16(0x05), fill},
		{uint16(msgLayout), layout},
	})
}
