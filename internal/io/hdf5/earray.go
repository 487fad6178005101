package hdf5

import "math/bits"

// extensibleArray reads an extensible-array chunk index ("EAHD", "EAIB", "EASB",
// "EADB"): how libver latest indexes the chunks of a dataset resizable along one
// dimension. Element k of the array is the chunk whose position in the chunk grid,
// with the unlimited dimension moved first, has row-major index k.
func (d *Dataset) extensibleArray() ([]chunk, error) {
	r := d.f.at(d.index.addr)
	if !r.sig("EAHD") {
		return nil, d.errorf("no extensible array header at address %d", d.index.addr)
	}
	r.skip(1)
	client := r.u8()
	elemSize := int(r.u8())
	maxBits := int(r.u8())
	idxElems := int(r.u8())
	dblkMin := int(r.u8())
	sblkMinPtrs := int(r.u8())
	pageBits := int(r.u8())
	// Super and data block counts and sizes, the highest index set, the elements realized.
	for i := 0; i < 6; i++ {
		r.length()
	}
	iblock := r.addr()
	if r.err != nil {
		return nil, d.errorf("extensible array header: %v", r.err)
	}
	if maxBits < 1 || maxBits > 64 || dblkMin < 1 || dblkMin&(dblkMin-1) != 0 || sblkMinPtrs < 1 ||
		sblkMinPtrs&(sblkMinPtrs-1) != 0 || elemSize < d.f.sizeOff || pageBits > 32 {
		return nil, d.errorf("extensible array parameters out of range")
	}
	filtered := client == 1
	sizeLen := elemSize - d.f.sizeOff - 4
	if filtered && (sizeLen < 1 || sizeLen > 8) {
		return nil, d.errorf("extensible array elements of %d bytes", elemSize)
	}
	offSize := (maxBits + 7) / 8

	// The super blocks: super block u has 2^(u/2) data blocks of 2^((u+1)/2)·dblkMin elements.
	nsblks := 1 + maxBits - bits.TrailingZeros(uint(dblkMin))
	if nsblks < 1 || nsblks > 64 {
		return nil, d.errorf("extensible array of %d super blocks", nsblks)
	}
	ibNsblks := 2 * bits.TrailingZeros(uint(sblkMinPtrs))
	ibNdblk := 2 * (sblkMinPtrs - 1)

	offsets, err := d.swizzledOffsets()
	if err != nil {
		return nil, err
	}
	n := len(offsets)
	elems := make([]chunk, 0, n)
	read := func(rr *reader, k int) {
		c := chunk{offset: offsets[k], addr: rr.addr(), size: uint64(d.chunkBytes())}
		if filtered {
			c.size = rr.uint(sizeLen)
			c.mask = rr.u32()
		} else {
			rr.skip(elemSize - d.f.sizeOff)
		}
		elems = append(elems, c)
	}

	ib := d.f.at(iblock)
	if !ib.sig("EAIB") {
		return nil, d.errorf("no extensible array index block at address %d", iblock)
	}
	ib.skip(2)
	ib.addr()
	for k := 0; k < idxElems; k++ {
		if len(elems) < n {
			read(ib, len(elems))
		} else {
			ib.skip(elemSize)
		}
	}
	dblkAddrs := make([]uint64, ibNdblk)
	for i := range dblkAddrs {
		dblkAddrs[i] = ib.addr()
	}
	sblkAddrs := make([]uint64, max(nsblks-ibNsblks, 0))
	for i := range sblkAddrs {
		sblkAddrs[i] = ib.addr()
	}
	if ib.err != nil {
		return nil, d.errorf("extensible array index block: %v", ib.err)
	}

	// readBlock reads the elements of one data block, or skips them if it was never
	// allocated (its chunks are then unwritten).
	readBlock := func(addr uint64, count int) error {
		if addr == undef {
			for k := 0; k < count && len(elems) < n; k++ {
				elems = append(elems, chunk{offset: offsets[len(elems)], addr: undef})
			}
			return nil
		}
		if count > 1<<pageBits {
			return d.errorf("paged extensible array data blocks are not read")
		}
		b := d.f.at(addr)
		if !b.sig("EADB") {
			return d.errorf("no extensible array data block at address %d", addr)
		}
		b.skip(2)
		b.addr()
		b.skip(offSize)
		for k := 0; k < count && len(elems) < n; k++ {
			read(b, len(elems))
		}
		if b.err != nil {
			return d.errorf("extensible array data block: %v", b.err)
		}
		return nil
	}
	dblk := 0
	for u := 0; u < nsblks && len(elems) < n; u++ {
		ndblks := 1 << (u / 2)
		count := (1 << ((u + 1) / 2)) * dblkMin
		if u < ibNsblks {
			for k := 0; k < ndblks && len(elems) < n; k++ {
				if dblk >= len(dblkAddrs) {
					return nil, d.errorf("extensible array index block is short of data block addresses")
				}
				if err := readBlock(dblkAddrs[dblk], count); err != nil {
					return nil, err
				}
				dblk++
			}
			continue
		}
		sa := sblkAddrs[u-ibNsblks]
		if sa == undef {
			for k := 0; k < ndblks*count && len(elems) < n; k++ {
				elems = append(elems, chunk{offset: offsets[len(elems)], addr: undef})
			}
			continue
		}
		sb := d.f.at(sa)
		if !sb.sig("EASB") {
			return nil, d.errorf("no extensible array super block at address %d", sa)
		}
		sb.skip(2)
		sb.addr()
		sb.skip(offSize)
		if count > 1<<pageBits {
			return nil, d.errorf("paged extensible array data blocks are not read")
		}
		addrs := make([]uint64, ndblks)
		for k := range addrs {
			addrs[k] = sb.addr()
		}
		if sb.err != nil {
			return nil, d.errorf("extensible array super block: %v", sb.err)
		}
		for _, a := range addrs {
			if err := readBlock(a, count); err != nil {
				return nil, err
			}
		}
	}
	return elems, nil
}

// swizzledOffsets lists the chunk offsets in the order of an extensible array: row-major
// over the chunk grid with the unlimited dimension first.
func (d *Dataset) swizzledOffsets() ([][]int, error) {
	rank := len(d.Shape)
	u := 0
	for i, m := range d.maxShape {
		if m < 0 {
			u = i
			break
		}
	}
	order := []int{u}
	for i := 0; i < rank; i++ {
		if i != u {
			order = append(order, i)
		}
	}
	g := d.grid()
	total := 1
	for _, x := range g {
		total *= x
	}
	if total > maxElements/64 {
		return nil, d.errorf("a grid of %d chunks", total)
	}
	out := make([][]int, 0, total)
	idx := make([]int, rank) // in swizzled order
	for k := 0; k < total; k++ {
		off := make([]int, rank)
		for j, dim := range order {
			off[dim] = idx[j] * d.chunkDim[dim]
		}
		out = append(out, off)
		for j := rank - 1; j >= 0; j-- {
			idx[j]++
			if idx[j] < g[order[j]] {
				break
			}
			idx[j] = 0
		}
	}
	return out, nil
}
