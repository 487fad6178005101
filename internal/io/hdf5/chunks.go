package hdf5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// The chunked layout of a dataset: its index (version 1 B-tree, single chunk,
// implicit, fixed array; the extensible array is in earray.go), the filters each
// chunk went through (deflate, shuffle, Fletcher-32), and the placing of chunks into
// the whole.

// chunk is one stored chunk: its offset in elements per dimension, its bytes as
// stored, and which filters were skipped.
type chunk struct {
	offset []int
	addr   uint64
	size   uint64
	mask   uint32
}

func (d *Dataset) chunked() ([]byte, error) {
	out := make([]byte, d.Count()*d.Type.Size)
	if len(out) == 0 {
		return out, nil
	}
	var chunks []chunk
	var err error
	switch d.index.kind {
	case 0:
		err = d.chunkBTree(d.index.addr, &chunks, 0, map[uint64]bool{})
	case 1:
		c := chunk{offset: make([]int, len(d.Shape)), addr: d.index.addr, size: uint64(d.chunkBytes())}
		if d.index.filtered {
			c.size, c.mask = d.index.singleSize, d.index.singleMask
		}
		chunks = []chunk{c}
	case 2:
		chunks = d.implicitChunks()
	case 3:
		chunks, err = d.fixedArray()
	case 4:
		chunks, err = d.extensibleArray()
	}
	if err != nil {
		return nil, err
	}
	for _, c := range chunks {
		if c.addr == undef {
			continue // never written: fill value
		}
		data, err := d.readChunk(c)
		if err != nil {
			return nil, err
		}
		d.place(out, data, c.offset)
	}
	return out, nil
}

// chunkBytes is the size of an unfiltered chunk.
func (d *Dataset) chunkBytes() int {
	n := d.Type.Size
	for _, c := range d.chunkDim {
		n *= c
	}
	return n
}

// grid returns the number of chunks along each dimension.
func (d *Dataset) grid() []int {
	g := make([]int, len(d.Shape))
	for i, s := range d.Shape {
		g[i] = (s + d.chunkDim[i] - 1) / d.chunkDim[i]
	}
	return g
}

// chunkOffsets lists the offsets of every chunk in row-major order of the chunk grid.
func (d *Dataset) chunkOffsets() [][]int {
	g := d.grid()
	n := 1
	for _, x := range g {
		n *= x
	}
	out := make([][]int, 0, n)
	idx := make([]int, len(g))
	for k := 0; k < n; k++ {
		off := make([]int, len(g))
		for i := range idx {
			off[i] = idx[i] * d.chunkDim[i]
		}
		out = append(out, off)
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < g[i] {
				break
			}
			idx[i] = 0
		}
	}
	return out
}

func (d *Dataset) implicitChunks() []chunk {
	var out []chunk
	size := uint64(d.chunkBytes())
	for k, off := range d.chunkOffsets() {
		out = append(out, chunk{offset: off, addr: d.index.addr + uint64(k)*size, size: size})
	}
	return out
}

// fixedArray reads a fixed-array chunk index ("FAHD", "FADB").
func (d *Dataset) fixedArray() ([]chunk, error) {
	r := d.f.at(d.index.addr)
	if !r.sig("FAHD") {
		return nil, d.errorf("no fixed array header at address %d", d.index.addr)
	}
	r.skip(1)
	client := r.u8()
	entrySize := int(r.u8())
	pageBits := int(r.u8())
	n := r.length()
	dblock := r.addr()
	if r.err != nil {
		return nil, d.errorf("fixed array header: %v", r.err)
	}
	offsets := d.chunkOffsets()
	if n != uint64(len(offsets)) {
		return nil, d.errorf("fixed array of %d chunks for a grid of %d", n, len(offsets))
	}
	b := d.f.at(dblock)
	if !b.sig("FADB") {
		return nil, d.errorf("no fixed array data block at address %d", dblock)
	}
	b.skip(2)
	b.addr()
	filtered := client == 1
	perPage := 1 << pageBits
	paged := pageBits < 32 && int(n) > perPage
	npages := 0
	if paged {
		npages = (int(n) + perPage - 1) / perPage
		b.skip((npages + 7) / 8)
		b.skip(4) // the block's checksum
	}
	chunks := make([]chunk, 0, n)
	for k := 0; k < int(n); k++ {
		if paged && k > 0 && k%perPage == 0 {
			b.skip(4) // the previous page's checksum
		}
		c := chunk{offset: offsets[k]}
		c.addr = b.addr()
		if filtered {
			sizeLen := entrySize - d.f.sizeOff - 4
			if sizeLen < 1 || sizeLen > 8 {
				return nil, d.errorf("fixed array entries of %d bytes", entrySize)
			}
			c.size = b.uint(sizeLen)
			c.mask = b.u32()
		} else {
			c.size = uint64(d.chunkBytes())
		}
		chunks = append(chunks, c)
		if b.err != nil {
			return nil, d.errorf("fixed array data block: %v", b.err)
		}
	}
	return chunks, nil
}

// chunkBTree walks a version 1 B-tree of chunks (node type 1).
func (d *Dataset) chunkBTree(addr uint64, out *[]chunk, depth int, seen map[uint64]bool) error {
	if depth > maxDepth {
		return d.errorf("chunk B-tree deeper than any real file")
	}
	if seen[addr] {
		return d.errorf("B-tree node at %d is reached twice (a cycle: the file is corrupt)", addr)
	}
	seen[addr] = true
	if len(*out) > maxElements/64 || len(seen) > 1<<20 {
		return d.errorf("more chunks than its shape has room for")
	}
	r := d.f.at(addr)
	if !r.sig("TREE") {
		return d.errorf("no B-tree node at address %d", addr)
	}
	if typ := r.u8(); typ != 1 {
		return d.errorf("B-tree node at %d has type %d, a chunk index has 1", addr, typ)
	}
	level := r.u8()
	n := int(r.u16())
	r.addr()
	r.addr()
	rank := len(d.Shape)
	for i := 0; i < n && r.err == nil; i++ {
		size := r.u32()
		mask := r.u32()
		off := make([]int, rank)
		for k := 0; k < rank; k++ {
			off[k] = int(r.u64())
		}
		r.u64() // the element-size dimension
		child := r.addr()
		if r.err != nil {
			break
		}
		if level > 0 {
			if err := d.chunkBTree(child, out, depth+1, seen); err != nil {
				return err
			}
			continue
		}
		*out = append(*out, chunk{offset: off, addr: child, size: uint64(size), mask: mask})
	}
	if r.err != nil {
		return d.errorf("B-tree node at %d: %v", addr, r.err)
	}
	return nil
}

// readChunk returns a chunk's bytes with its filters undone.
func (d *Dataset) readChunk(c chunk) ([]byte, error) {
	r := d.f.at(c.addr)
	if r.err != nil || c.size > uint64(len(r.b)) {
		return nil, d.errorf("chunk at %v: its %d bytes at address %d run past the end of the file (truncated?)", c.offset, c.size, c.addr)
	}
	data := r.b[:c.size]
	for i := len(d.filters) - 1; i >= 0; i-- {
		if c.mask&(1<<uint(i)) != 0 {
			continue
		}
		var err error
		switch f := d.filters[i]; f.id {
		case 1:
			data, err = inflate(data, d.chunkBytes())
		case 2:
			data = unshuffle(data, d.Type.Size)
		case 3:
			if len(data) < 4 {
				return nil, d.errorf("chunk at %v: too short for its Fletcher-32 checksum", c.offset)
			}
			// Stored little-endian; files of HDF5 before 1.6.3 have its bytes reversed.
			sum := binary.LittleEndian.Uint32(data[len(data)-4:])
			data = data[:len(data)-4]
			if s := fletcher32(data); s != sum && bits.ReverseBytes32(s) != sum {
				return nil, d.errorf("chunk at %v fails its Fletcher-32 checksum (the file is corrupt)", c.offset)
			}
		}
		if err != nil {
			return nil, d.errorf("chunk at %v: %v", c.offset, err)
		}
	}
	if len(data) < d.chunkBytes() {
		return nil, d.errorf("chunk at %v holds %d bytes, want %d", c.offset, len(data), d.chunkBytes())
	}
	return data, nil
}

// inflate undoes the deflate filter (a zlib stream), reading at most limit bytes.
func inflate(b []byte, limit int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("deflate: %v", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("deflate: %v", err)
	}
	if len(out) > limit {
		return nil, errors.New("deflate: the chunk inflates to more than a chunk")
	}
	return out, nil
}

// unshuffle undoes the shuffle filter: byte k of every element was stored together.
func unshuffle(b []byte, size int) []byte {
	if size <= 1 {
		return b
	}
	n := len(b) / size
	out := make([]byte, len(b))
	for k := 0; k < size; k++ {
		for i := 0; i < n; i++ {
			out[i*size+k] = b[k*n+i]
		}
	}
	copy(out[n*size:], b[n*size:])
	return out
}

// fletcher32 is HDF5's Fletcher-32 checksum of 16-bit big-endian words.
func fletcher32(b []byte) uint32 {
	var s1, s2 uint32
	n := len(b) / 2
	for i := 0; i < n; {
		t := min(n-i, 360)
		for ; t > 0; t-- {
			s1 += uint32(b[2*i])<<8 | uint32(b[2*i+1])
			s2 += s1
			i++
		}
		s1 = (s1 & 0xffff) + (s1 >> 16)
		s2 = (s2 & 0xffff) + (s2 >> 16)
	}
	if len(b)%2 == 1 {
		s1 += uint32(b[len(b)-1]) << 8
		s2 += s1
		s1 = (s1 & 0xffff) + (s1 >> 16)
		s2 = (s2 & 0xffff) + (s2 >> 16)
	}
	s1 = (s1 & 0xffff) + (s1 >> 16)
	s2 = (s2 & 0xffff) + (s2 >> 16)
	return s2<<16 | s1
}

// place copies a whole chunk into the dataset's bytes at offset, clipped at the edges.
func (d *Dataset) place(out, data []byte, offset []int) {
	rank := len(d.Shape)
	es := d.Type.Size
	if rank == 0 {
		copy(out, data[:es])
		return
	}
	for i, o := range offset {
		if o < 0 || o >= d.Shape[i] {
			return // a chunk outside the dataset (allocated before a shrink)
		}
	}
	// Rows along the last dimension, for every index of the others.
	rowLen := min(d.chunkDim[rank-1], d.Shape[rank-1]-offset[rank-1])
	idx := make([]int, rank-1)
	for {
		src, dst := 0, 0
		for i := 0; i < rank-1; i++ {
			src = src*d.chunkDim[i] + idx[i]
			dst = dst*d.Shape[i] + offset[i] + idx[i]
		}
		src = src * d.chunkDim[rank-1]
		dst = dst*d.Shape[rank-1] + offset[rank-1]
		copy(out[dst*es:(dst+rowLen)*es], data[src*es:(src+rowLen)*es])
		k := rank - 2
		for ; k >= 0; k-- {
			idx[k]++
			if idx[k] < min(d.chunkDim[k], d.Shape[k]-offset[k]) {
				break
			}
			idx[k] = 0
		}
		if k < 0 {
			return
		}
	}
}
