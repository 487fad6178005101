package hdf5

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// Class is the kind of a dataset's elements.
type Class int

// The element classes this package reads.
const (
	Integer Class = iota
	Float
	String
)

// String names the class.
func (c Class) String() string {
	if names := [...]string{Integer: "integer", Float: "float", String: "string"}; c >= 0 && int(c) < len(names) {
		return names[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// Datatype describes a dataset's elements.
type Datatype struct {
	Class     Class
	Size      int  // bytes per element
	Signed    bool // for integers
	BigEndian bool
}

// Dataset is a dataset: its shape and element type; its values are read on demand.
type Dataset struct {
	f     *File
	name  string
	Shape []int // empty for a scalar
	Type  Datatype

	maxShape []int // -1 for unlimited; nil when the dataspace gives none

	layout   int // 0 compact, 1 contiguous, 2 chunked
	compact  []byte
	addr     uint64
	size     uint64
	chunkDim []int // chunk dimensions in elements (chunked)
	index    chunkIndex
	filters  []filter
}

// chunkIndex says how a chunked dataset finds its chunks.
type chunkIndex struct {
	kind       int    // 0: version 1 B-tree; 1 single chunk; 2 implicit; 3 fixed array; 4 extensible array; 5 version 2 B-tree
	addr       uint64 // the index's address
	eaParams   [5]byte
	singleSize uint64 // single chunk, filtered: its size
	singleMask uint32
	filtered   bool
}

type filter struct {
	id     uint16
	name   string
	flags  uint16
	params []uint32
}

// Name is the dataset's path in the file.
func (d *Dataset) Name() string { return d.name }

// Count is the number of elements.
func (d *Dataset) Count() int {
	n := 1
	for _, s := range d.Shape {
		n *= s
	}
	return n
}

func (d *Dataset) errorf(format string, args ...any) error {
	return d.f.errorf("dataset %s: %s", d.name, fmt.Sprintf(format, args...))
}

// dataset reads the object as a dataset.
func (o *object) dataset() (*Dataset, error) {
	d := &Dataset{f: o.f, name: o.name}
	space, ok := o.find(msgDataspace)
	if !ok {
		if _, isGroup := o.find(msgSymbolTable); isGroup {
			return nil, o.f.errorf("%s is a group, not a dataset", o.name)
		}
		if _, isGroup := o.find(msgLink); isGroup {
			return nil, o.f.errorf("%s is a group, not a dataset", o.name)
		}
		return nil, o.f.errorf("%s is not a dataset (no dataspace message)", o.name)
	}
	if err := d.readDataspace(space); err != nil {
		return nil, err
	}
	dt, ok := o.find(msgDatatype)
	if !ok {
		return nil, d.errorf("no datatype message")
	}
	if err := d.readDatatype(dt); err != nil {
		return nil, err
	}
	if fl, ok := o.find(msgFilters); ok {
		if err := d.readFilters(fl); err != nil {
			return nil, err
		}
	}
	lay, ok := o.find(msgLayout)
	if !ok {
		return nil, d.errorf("no data layout message")
	}
	if err := d.readLayout(lay); err != nil {
		return nil, err
	}
	return d, nil
}

// maxElements bounds what a dataset may claim, so a corrupt shape cannot ask for an
// absurd allocation.
const maxElements = 1 << 34

func (d *Dataset) sub(b []byte) *reader {
	r := d.f.reader(0, 0)
	r.b, r.err = b, nil
	return r
}

func (d *Dataset) readDataspace(b []byte) error {
	r := d.sub(b)
	version := r.u8()
	rank := int(r.u8())
	flags := r.u8()
	switch version {
	case 1:
		r.skip(5)
	case 2:
		if typ := r.u8(); typ == 2 {
			return d.errorf("has a null dataspace (no elements)")
		}
	default:
		return d.errorf("dataspace message version %d, want 1 or 2", version)
	}
	if rank > 32 {
		return d.errorf("%d dimensions, at most 32", rank)
	}
	d.Shape = make([]int, rank)
	total := uint64(1)
	for i := range d.Shape {
		v := r.length()
		if v > maxElements {
			return d.errorf("dimension %d is %d", i, v)
		}
		d.Shape[i] = int(v)
		total *= v
		if total > maxElements {
			return d.errorf("shape %v is too large", d.Shape[:i+1])
		}
	}
	if flags&1 != 0 {
		d.maxShape = make([]int, rank)
		for i := range d.maxShape {
			v := r.length()
			if v == undef || v > maxElements {
				d.maxShape[i] = -1
			} else {
				d.maxShape[i] = int(v)
			}
		}
	}
	if r.err != nil {
		return d.errorf("dataspace: %v", r.err)
	}
	return nil
}

func (d *Dataset) readDatatype(b []byte) error {
	r := d.sub(b)
	cv := r.u8()
	class := cv & 0x0f
	bits := r.take(3)
	size := int(r.u32())
	if r.err != nil {
		return d.errorf("datatype: %v", r.err)
	}
	d.Type.Size = size
	d.Type.BigEndian = bits[0]&1 != 0
	switch class {
	case 0:
		d.Type.Class = Integer
		d.Type.Signed = bits[0]&0x08 != 0
		if size != 1 && size != 2 && size != 4 && size != 8 {
			return d.errorf("%d-byte integers; this reader takes 1, 2, 4 or 8 bytes", size)
		}
	case 1:
		d.Type.Class = Float
		if size != 4 && size != 8 {
			return d.errorf("%d-byte floating-point numbers; this reader takes float32 and float64", size)
		}
	case 3:
		d.Type.Class = String
		d.Type.BigEndian = false
		if size < 1 {
			return d.errorf("strings of %d bytes", size)
		}
	case 9:
		return d.errorf("has variable-length elements (strings or sequences), which this reader does not read; store fixed-size numbers")
	default:
		names := map[uint8]string{2: "time", 4: "bitfield", 5: "opaque", 6: "compound", 7: "reference", 8: "enum", 10: "array"}
		n := names[class]
		if n == "" {
			n = fmt.Sprintf("class %d", class)
		}
		return d.errorf("has %s elements; this reader reads integers, floating-point numbers and fixed-length strings", n)
	}
	return nil
}

func (d *Dataset) readFilters(b []byte) error {
	r := d.sub(b)
	version := r.u8()
	n := int(r.u8())
	if version == 1 {
		r.skip(6)
	} else if version != 2 {
		return d.errorf("filter pipeline message version %d", version)
	}
	for i := 0; i < n && r.err == nil; i++ {
		var f filter
		f.id = r.u16()
		nameLen := 0
		if version == 1 || f.id >= 256 {
			nameLen = int(r.u16())
		}
		f.flags = r.u16()
		np := int(r.u16())
		if nameLen > 0 {
			name := r.take(nameLen)
			if version == 1 {
				r.skip((8 - nameLen%8) % 8)
			}
			f.name = strings.TrimRight(string(name), "\x00")
		}
		for k := 0; k < np; k++ {
			f.params = append(f.params, r.u32())
		}
		if version == 1 && np%2 == 1 {
			r.skip(4)
		}
		d.filters = append(d.filters, f)
	}
	if r.err != nil {
		return d.errorf("filter pipeline: %v", r.err)
	}
	for _, f := range d.filters {
		switch f.id {
		case 1, 2, 3:
		default:
			name := f.name
			if name == "" {
				name = fmt.Sprintf("filter %d", f.id)
			}
			return d.errorf("is compressed with %s; this reader undoes deflate (gzip), shuffle and fletcher32 only", name)
		}
	}
	return nil
}

func (d *Dataset) readLayout(b []byte) error {
	r := d.sub(b)
	version := r.u8()
	switch version {
	case 1, 2:
		rank := int(r.u8())
		class := int(r.u8())
		r.skip(5)
		if class != 0 {
			d.addr = r.addr()
		}
		dims := make([]int, rank)
		for i := range dims {
			dims[i] = int(r.u32())
		}
		d.layout = class
		switch class {
		case 0:
			n := int(r.u32())
			d.compact = r.take(n)
		case 1:
			d.size = uint64(d.Count() * d.Type.Size)
		case 2:
			if rank < 1 {
				return d.errorf("chunked layout of no dimensions")
			}
			d.chunkDim = dims[:rank-1]
		}
	case 3, 4:
		class := int(r.u8())
		d.layout = class
		switch class {
		case 0:
			n := int(r.u16())
			d.compact = r.take(n)
		case 1:
			d.addr = r.addr()
			d.size = r.length()
		case 2:
			if version == 3 {
				rank := int(r.u8())
				d.index.addr = r.addr()
				if rank < 1 || rank > 33 {
					return d.errorf("chunked layout of %d dimensions", rank)
				}
				dims := make([]int, rank)
				for i := range dims {
					dims[i] = int(r.u32())
				}
				d.chunkDim = dims[:rank-1]
				break
			}
			flags := r.u8()
			rank := int(r.u8())
			enc := int(r.u8())
			if rank < 1 || rank > 33 || enc < 1 || enc > 8 {
				return d.errorf("chunked layout of %d dimensions encoded in %d bytes", rank, enc)
			}
			dims := make([]int, rank)
			for i := range dims {
				dims[i] = int(r.uint(enc))
			}
			d.chunkDim = dims[:rank-1]
			d.index.kind = int(r.u8())
			switch d.index.kind {
			case 1:
				if flags&2 != 0 {
					d.index.filtered = true
					d.index.singleSize = r.length()
					d.index.singleMask = r.u32()
				}
			case 2:
			case 3:
				r.skip(1)
			case 4:
				copy(d.index.eaParams[:], r.take(5))
			case 5:
				return d.errorf("is chunked with a version 2 B-tree index (a dataset resizable along several axes, written with libver latest), which this reader does not read; write it with h5py's default libver")
			default:
				return d.errorf("unknown chunk index type %d", d.index.kind)
			}
			d.index.addr = r.addr()
		case 3:
			return d.errorf("is a virtual dataset, which this reader does not read")
		default:
			return d.errorf("unknown layout class %d", class)
		}
	default:
		return d.errorf("data layout message version %d", version)
	}
	if r.err != nil {
		return d.errorf("data layout: %v", r.err)
	}
	if d.layout == 2 {
		if len(d.chunkDim) != len(d.Shape) {
			return d.errorf("chunks of %d dimensions in a dataset of %d", len(d.chunkDim), len(d.Shape))
		}
		for _, c := range d.chunkDim {
			if c <= 0 {
				return d.errorf("chunk dimensions %v", d.chunkDim)
			}
		}
	}
	return nil
}

// raw returns the dataset's elements as stored bytes, in row-major order.
func (d *Dataset) raw() ([]byte, error) {
	n := d.Count() * d.Type.Size
	switch d.layout {
	case 0:
		if len(d.compact) < n {
			return nil, d.errorf("compact data of %d bytes for %d elements of %d bytes", len(d.compact), d.Count(), d.Type.Size)
		}
		return d.compact[:n], nil
	case 1:
		if n == 0 {
			return nil, nil
		}
		if d.addr == undef {
			// Never written: the fill value, zero.
			return make([]byte, n), nil
		}
		r := d.f.at(d.addr)
		if r.err != nil || uint64(len(r.b)) < uint64(n) {
			return nil, d.errorf("its %d bytes at address %d run past the end of the file (truncated?)", n, d.addr)
		}
		return r.b[:n], nil
	case 2:
		return d.chunked()
	}
	return nil, d.errorf("layout class %d", d.layout)
}

// Float32 returns the values as float32 (integers and float64 are converted, as
// HDF5 converts when reading into a float buffer).
func (d *Dataset) Float32() ([]float32, error) {
	v, err := d.Float64()
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out, nil
}

// Float64 returns the values as float64.
func (d *Dataset) Float64() ([]float64, error) {
	if d.Type.Class == String {
		return nil, d.errorf("holds strings, not numbers")
	}
	b, err := d.raw()
	if err != nil {
		return nil, err
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if d.Type.BigEndian {
		bo = binary.BigEndian
	}
	n := d.Count()
	out := make([]float64, n)
	es := d.Type.Size
	for i := 0; i < n; i++ {
		e := b[i*es : (i+1)*es]
		switch {
		case d.Type.Class == Float && es == 4:
			out[i] = float64(math.Float32frombits(bo.Uint32(e)))
		case d.Type.Class == Float:
			out[i] = math.Float64frombits(bo.Uint64(e))
		default:
			out[i] = float64(intOf(e, bo, d.Type.Signed))
		}
	}
	return out, nil
}

// Ints returns the values of an integer dataset.
func (d *Dataset) Ints() ([]int64, error) {
	if d.Type.Class != Integer {
		return nil, d.errorf("holds %s values, not integers", d.Type.Class)
	}
	b, err := d.raw()
	if err != nil {
		return nil, err
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if d.Type.BigEndian {
		bo = binary.BigEndian
	}
	out := make([]int64, d.Count())
	for i := range out {
		out[i] = intOf(b[i*d.Type.Size:(i+1)*d.Type.Size], bo, d.Type.Signed)
	}
	return out, nil
}

func intOf(e []byte, bo binary.ByteOrder, signed bool) int64 {
	switch len(e) {
	case 1:
		if signed {
			return int64(int8(e[0]))
		}
		return int64(e[0])
	case 2:
		if signed {
			return int64(int16(bo.Uint16(e)))
		}
		return int64(bo.Uint16(e))
	case 4:
		if signed {
			return int64(int32(bo.Uint32(e)))
		}
		return int64(bo.Uint32(e))
	default:
		return int64(bo.Uint64(e))
	}
}

// Strings returns the values of a fixed-length string dataset, each up to its first
// NUL and without trailing padding.
func (d *Dataset) Strings() ([]string, error) {
	if d.Type.Class != String {
		return nil, d.errorf("holds %s values, not strings", d.Type.Class)
	}
	b, err := d.raw()
	if err != nil {
		return nil, err
	}
	out := make([]string, d.Count())
	for i := range out {
		e := b[i*d.Type.Size : (i+1)*d.Type.Size]
		if k := bytes.IndexByte(e, 0); k >= 0 {
			e = e[:k]
		}
		out[i] = strings.TrimRight(string(e), " ")
	}
	return out, nil
}
