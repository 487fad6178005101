// Package hdf5 reads and writes the HDF5 files Caffe uses: the data of HDF5Data layers,
// the output of HDF5Output layers and snapshots in snapshot_format HDF5. It is written
// from the HDF5 file format specification, in Go, without the HDF5 library.
//
// The reader takes superblocks of versions 0 to 3; groups as symbol tables (version 1
// B-trees and local heaps), as compact link messages or in dense storage (a fractal
// heap); datasets stored compact,
// contiguous or in chunks (indexed by a version 1 B-tree, or as a single chunk, an
// implicit index, a fixed array or an extensible array), with the deflate, shuffle and
// Fletcher-32 filters;
// and fixed-point, floating-point and fixed-length string elements of either byte
// order. That is every layout h5py writes, with libver "earliest" (its default) or
// "latest", but for datasets resizable along several dimensions in libver latest (a
// version 2 B-tree index). A file outside that gets an error that names the file and
// what it holds.
//
// The writer writes what Caffe's HDF5 calls write: a version 0 superblock, groups as
// symbol tables and contiguous datasets of float32, float64, int32 and strings.
package hdf5

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
)

// signature starts the superblock.
const signature = "\x89HDF\r\n\x1a\n"

// undef is the undefined address.
const undef = ^uint64(0)

// File is an HDF5 file read into memory.
type File struct {
	name    string
	data    []byte
	sizeOff int // bytes of an address
	sizeLen int // bytes of a length
	base    uint64
	root    *Group
	// depth guards the recursion through continuation blocks and B-trees.
	depth int
}

// FormatError is a problem in a file's structure.
type FormatError struct {
	File string
	Msg  string
}

// Error implements error.
func (e *FormatError) Error() string { return e.File + ": " + e.Msg }

// errorf returns a FormatError for f.
func (f *File) errorf(format string, args ...any) error {
	return &FormatError{File: f.name, Msg: fmt.Sprintf(format, args...)}
}

// Open reads an HDF5 file.
func Open(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse reads an HDF5 file held in data; name is used in errors.
func Parse(name string, data []byte) (*File, error) {
	f := &File{name: name, data: data}
	at := -1
	for off := 0; off+len(signature) <= len(data); off = max(512, 2*off) {
		if string(data[off:off+len(signature)]) == signature {
			at = off
			break
		}
	}
	if at < 0 {
		if len(data) < len(signature) {
			return nil, f.errorf("not an HDF5 file: %d bytes, too short for the HDF5 signature", len(data))
		}
		return nil, f.errorf("not an HDF5 file: no HDF5 signature at offset 0, 512, 1024, ...")
	}
	r := f.reader(uint64(at)+8, 0)
	version := r.u8()
	var rootAddr uint64
	switch version {
	case 0, 1:
		r.skip(3) // free-space, root symbol table and reserved versions
		r.u8()    // shared header version
		f.sizeOff, f.sizeLen = int(r.u8()), int(r.u8())
		if err := f.checkSizes(); err != nil {
			return nil, err
		}
		r.skip(1)
		r.skip(4) // the group B-tree Ks
		r.skip(4) // consistency flags
		if version == 1 {
			r.skip(4)
		}
		f.base = r.addr()
		r.addr() // free space
		r.addr() // end of file
		r.addr() // driver info
		r.offset()
		rootAddr = r.addr()
	case 2, 3:
		f.sizeOff, f.sizeLen = int(r.u8()), int(r.u8())
		if err := f.checkSizes(); err != nil {
			return nil, err
		}
		r.skip(1)
		f.base = r.addr()
		r.addr() // superblock extension
		r.addr() // end of file
		rootAddr = r.addr()
	default:
		return nil, f.errorf("superblock version %d; this reader knows versions 0 to 3", version)
	}
	if r.err != nil {
		return nil, f.errorf("truncated superblock: %v", r.err)
	}
	if f.base == undef {
		f.base = uint64(at)
	}
	obj, err := f.object(rootAddr, "/")
	if err != nil {
		return nil, err
	}
	g, err := obj.group()
	if err != nil {
		return nil, err
	}
	f.root = g
	return f, nil
}

func (f *File) checkSizes() error {
	for _, s := range []int{f.sizeOff, f.sizeLen} {
		if s != 2 && s != 4 && s != 8 {
			return f.errorf("the superblock gives %d-byte offsets and %d-byte lengths; HDF5 uses 2, 4 or 8", f.sizeOff, f.sizeLen)
		}
	}
	return nil
}

// Root is the file's root group.
func (f *File) Root() *Group { return f.root }

// Dataset returns the dataset at a path of group names ending in the dataset's name
// ("data", "data/conv1/0").
func (f *File) Dataset(path string) (*Dataset, error) {
	g := f.root
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for _, p := range parts[:len(parts)-1] {
		var err error
		if g, err = g.Group(p); err != nil {
			return nil, err
		}
	}
	return g.Dataset(parts[len(parts)-1])
}

// reader reads little-endian values from the file at an absolute position, and
// remembers the first out-of-range read.
type reader struct {
	f   *File
	b   []byte
	pos int
	err error
}

// reader returns a reader of the file from position pos, at most n bytes (0: to the end).
func (f *File) reader(pos uint64, n int) *reader {
	r := &reader{f: f}
	if pos > uint64(len(f.data)) {
		r.err = fmt.Errorf("offset %d is past the end of the %d-byte file", pos, len(f.data))
		return r
	}
	r.b = f.data[pos:]
	if n > 0 && n < len(r.b) {
		r.b = r.b[:n]
	}
	return r
}

// at returns a reader at an address, which is relative to the base address.
func (f *File) at(addr uint64) *reader {
	if addr == undef || addr+f.base < addr {
		r := &reader{f: f}
		r.err = fmt.Errorf("undefined address")
		return r
	}
	return f.reader(addr+f.base, 0)
}

// take returns the next n bytes. Past the end it records the error and returns zeros
// (at most 16: enough for any fixed-size field, and no allocation a corrupt length
// could make huge).
func (r *reader) take(n int) []byte {
	if r.err == nil && (n < 0 || n > len(r.b)-r.pos) {
		r.err = fmt.Errorf("structure runs past the end of the file")
	}
	if r.err != nil {
		return make([]byte, min(max(n, 0), 16))
	}
	s := r.b[r.pos : r.pos+n]
	r.pos += n
	return s
}

func (r *reader) skip(n int)  { r.take(n) }
func (r *reader) u8() uint8   { return r.take(1)[0] }
func (r *reader) u16() uint16 { return binary.LittleEndian.Uint16(r.take(2)) }
func (r *reader) u32() uint32 { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *reader) u64() uint64 { return binary.LittleEndian.Uint64(r.take(8)) }

// uint reads an n-byte little-endian unsigned integer.
func (r *reader) uint(n int) uint64 {
	b := r.take(n)
	var v uint64
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// addr reads an address: all ones is undefined.
func (r *reader) addr() uint64 {
	v := r.uint(r.f.sizeOff)
	if r.f.sizeOff < 8 && v == 1<<(8*r.f.sizeOff)-1 {
		return undef
	}
	return v
}

func (r *reader) length() uint64 { return r.uint(r.f.sizeLen) }

// offset reads a field of the size of an offset (a heap offset).
func (r *reader) offset() uint64 { return r.uint(r.f.sizeOff) }

func (r *reader) sig(s string) bool { return string(r.take(len(s))) == s }

// message is one header message of an object.
type message struct {
	typ  uint16
	data []byte
}

// Object is an object header: a group's or a dataset's.
type object struct {
	f    *File
	name string
	addr uint64
	msgs []message
}

// maxDepth bounds nested structures (continuations, B-tree levels, groups).
const maxDepth = 64

// object reads the object header at addr.
func (f *File) object(addr uint64, name string) (*object, error) {
	o := &object{f: f, name: name, addr: addr}
	r := f.at(addr)
	if r.err != nil {
		return nil, f.errorf("object %s: %v", name, r.err)
	}
	if len(r.b) >= 4 && string(r.b[:4]) == "OHDR" {
		if err := o.readV2(r); err != nil {
			return nil, f.errorf("object %s: %v", name, err)
		}
		return o, nil
	}
	if err := o.readV1(r); err != nil {
		return nil, f.errorf("object %s: %v", name, err)
	}
	return o, nil
}

// readV1 reads a version 1 object header and its continuation blocks.
func (o *object) readV1(r *reader) error {
	if v := r.u8(); v != 1 {
		if r.err != nil {
			return r.err
		}
		return fmt.Errorf("object header version %d at address %d: not an object header", v, o.addr)
	}
	r.skip(1)
	n := int(r.u16())
	r.u32() // reference count
	size := int(r.u32())
	r.skip(4) // alignment
	if r.err != nil {
		return r.err
	}
	type block struct {
		r    *reader
		size int
	}
	blocks := []block{{o.f.reader(uint64(len(o.f.data)-len(r.b[r.pos:])), size), size}}
	for bi := 0; bi < len(blocks) && len(o.msgs) < n; bi++ {
		if bi > maxDepth {
			return errors.New("too many continuation blocks")
		}
		b := blocks[bi].r
		for b.pos+8 <= len(b.b) && len(o.msgs) < n {
			typ := b.u16()
			sz := int(b.u16())
			b.skip(4) // flags, reserved
			data := b.take(sz)
			if b.err != nil {
				return fmt.Errorf("message of type %d: %v", typ, b.err)
			}
			if typ == 0x10 {
				cr := o.f.reader(0, 0)
				cr.b, cr.pos = data, 0
				addr, length := cr.addr(), cr.length()
				if cr.err != nil {
					return fmt.Errorf("continuation message: %v", cr.err)
				}
				nr := o.f.at(addr)
				if nr.err != nil || length > uint64(len(nr.b)) {
					return fmt.Errorf("continuation block at %d of %d bytes is outside the file", addr, length)
				}
				nr.b = nr.b[:length]
				blocks = append(blocks, block{nr, int(length)})
			}
			o.msgs = append(o.msgs, message{typ, data})
		}
		if b.err != nil {
			return b.err
		}
	}
	return nil
}

// readV2 reads a version 2 object header ("OHDR") and its continuation chunks ("OCHK").
func (o *object) readV2(r *reader) error {
	r.skip(4)
	if v := r.u8(); v != 2 {
		return fmt.Errorf("OHDR version %d, want 2", v)
	}
	flags := r.u8()
	if flags&0x20 != 0 {
		r.skip(16) // times
	}
	if flags&0x10 != 0 {
		r.skip(4) // attribute phase change
	}
	size := int(r.uint(1 << (flags & 3)))
	if r.err != nil {
		return r.err
	}
	if size < 0 || size > len(r.b)-r.pos {
		return fmt.Errorf("object header chunk of %d bytes runs past the end of the file", size)
	}
	chunk := r.b[r.pos : r.pos+size]
	orderTracked := flags&0x04 != 0
	chunks := [][]byte{chunk}
	for ci := 0; ci < len(chunks); ci++ {
		if ci > maxDepth {
			return errors.New("too many continuation chunks")
		}
		c := chunks[ci]
		pos := 0
		hdr := 4
		if orderTracked {
			hdr = 6
		}
		for pos+hdr <= len(c) {
			typ := uint16(c[pos])
			sz := int(binary.LittleEndian.Uint16(c[pos+1:]))
			pos += hdr
			if pos+sz > len(c) {
				return fmt.Errorf("message of type %d runs past its header chunk", typ)
			}
			data := c[pos : pos+sz]
			pos += sz
			if typ == 0x10 {
				cr := o.f.reader(0, 0)
				cr.b = data
				addr, length := cr.addr(), cr.length()
				nr := o.f.at(addr)
				if cr.err != nil || nr.err != nil || length < 8 || length > uint64(len(nr.b)) {
					return fmt.Errorf("continuation chunk at %d of %d bytes is outside the file", addr, length)
				}
				if string(nr.b[:4]) != "OCHK" {
					return fmt.Errorf("continuation chunk at %d has no OCHK signature", addr)
				}
				chunks = append(chunks, nr.b[4:length-4]) // less the checksum
			}
			o.msgs = append(o.msgs, message{typ, data})
		}
	}
	return nil
}

// find returns the first message of a type.
func (o *object) find(typ uint16) ([]byte, bool) {
	for _, m := range o.msgs {
		if m.typ == typ {
			return m.data, true
		}
	}
	return nil, false
}

// Message types.
const (
	msgDataspace   = 0x01
	msgLinkInfo    = 0x02
	msgDatatype    = 0x03
	msgLink        = 0x06
	msgLayout      = 0x08
	msgFilters     = 0x0B
	msgSymbolTable = 0x11
)
