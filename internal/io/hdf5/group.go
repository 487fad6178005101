package hdf5

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Groups: the links of a group, in any of the three ways a file may keep them
// (symbol table, compact link messages, dense storage in a fractal heap), and the
// Group type that looks them up.

// Group is a group: named links to datasets and groups.
type Group struct {
	f     *File
	name  string
	links map[string]uint64 // name → object header address
}

// group reads the object as a group.
func (o *object) group() (*Group, error) {
	g := &Group{f: o.f, name: o.name, links: map[string]uint64{}}
	if st, ok := o.find(msgSymbolTable); ok {
		r := o.f.reader(0, 0)
		r.b = st
		btree, heap := r.addr(), r.addr()
		if r.err != nil {
			return nil, o.f.errorf("group %s: symbol table message: %v", o.name, r.err)
		}
		names, err := o.f.localHeap(heap)
		if err != nil {
			return nil, o.f.errorf("group %s: %v", o.name, err)
		}
		if err := o.f.groupBTree(btree, names, g.links, 0, map[uint64]bool{}); err != nil {
			return nil, o.f.errorf("group %s: %v", o.name, err)
		}
		return g, nil
	}
	if li, ok := o.find(msgLinkInfo); ok {
		r := o.f.reader(0, 0)
		r.b = li
		r.u8()
		flags := r.u8()
		if flags&1 != 0 {
			r.u64()
		}
		if heap := r.addr(); r.err == nil && heap != undef {
			// Dense storage: the links are objects of a fractal heap.
			if err := o.f.denseLinks(heap, g.links); err != nil {
				return nil, o.f.errorf("group %s: links in dense storage: %v", o.name, err)
			}
			return g, nil
		}
	}
	found := false
	for _, m := range o.msgs {
		if m.typ != msgLink {
			continue
		}
		found = true
		name, addr, hard, err := o.f.link(m.data)
		if err != nil {
			return nil, o.f.errorf("group %s: link message: %v", o.name, err)
		}
		if hard {
			g.links[name] = addr
		}
	}
	if !found {
		if _, ok := o.find(msgLinkInfo); !ok {
			if _, isData := o.find(msgLayout); isData {
				return nil, o.f.errorf("%s is a dataset, not a group", o.name)
			}
			return nil, o.f.errorf("object %s is neither a group nor a dataset", o.name)
		}
	}
	return g, nil
}

// link decodes a link message: only hard links lead to objects.
func (f *File) link(b []byte) (name string, addr uint64, hard bool, err error) {
	name, addr, hard, _, err = f.linkLen(b)
	return name, addr, hard, err
}

// linkLen decodes a link message at the start of b and also returns its length.
func (f *File) linkLen(b []byte) (name string, addr uint64, hard bool, n int, err error) {
	r := f.reader(0, 0)
	r.b = b
	if v := r.u8(); v != 1 {
		return "", 0, false, 0, fmt.Errorf("link message version %d, want 1", v)
	}
	flags := r.u8()
	typ := uint8(0)
	if flags&0x08 != 0 {
		typ = r.u8()
	}
	if flags&0x04 != 0 {
		r.u64()
	}
	if flags&0x10 != 0 {
		r.u8()
	}
	nameLen := int(r.uint(1 << (flags & 3)))
	name = string(r.take(nameLen))
	switch typ {
	case 0:
		addr = r.addr()
	case 1:
		r.take(int(r.u16()))
	default:
		r.take(int(r.u16()))
	}
	if r.err != nil {
		return "", 0, false, 0, r.err
	}
	return name, addr, typ == 0, r.pos, nil
}

// denseLinks reads the links a fractal heap holds, in the order of their heap offsets:
// the heap's direct blocks, found through its root block, each holding link messages
// one after the other. (Links deleted from such a group leave holes this walk does not
// step over; h5py writes none.)
func (f *File) denseLinks(addr uint64, links map[string]uint64) error {
	r := f.at(addr)
	if !r.sig("FRHP") {
		return fmt.Errorf("no fractal heap at address %d", addr)
	}
	r.skip(1)
	r.u16() // heap ID length
	filterLen := int(r.u16())
	flags := r.u8()
	r.u32()
	r.length()
	r.addr()
	r.length()
	r.addr()
	r.length()
	r.length()
	r.length()
	objects := r.length()
	r.length()
	r.length()
	r.length()
	r.length()
	width := int(r.u16())
	start := r.length()
	maxDirect := r.length()
	maxHeapBits := int(r.u16())
	r.u16()
	root := r.addr()
	rows := int(r.u16())
	if r.err != nil {
		return r.err
	}
	if filterLen > 0 {
		return errors.New("the heap is filtered")
	}
	if width < 1 || width > 1<<16 || start == 0 || maxDirect < start || maxHeapBits < 1 || maxHeapBits > 64 || objects > 1<<24 {
		return fmt.Errorf("fractal heap parameters out of range (width %d, blocks %d to %d)", width, start, maxDirect)
	}
	offBytes := (maxHeapBits + 7) / 8
	checksummed := flags&2 != 0
	// The direct blocks in heap order, with their sizes.
	type dblock struct{ addr, size uint64 }
	var blocks []dblock
	if rows == 0 {
		blocks = []dblock{{root, start}}
	} else {
		maxDirectRows := 2
		for s := start; s < maxDirect; s *= 2 {
			maxDirectRows++
		}
		if rows > maxDirectRows {
			return errors.New("the heap has indirect blocks below its root, which this reader does not read")
		}
		ib := f.at(root)
		if !ib.sig("FHIB") {
			return fmt.Errorf("no fractal heap indirect block at address %d", root)
		}
		ib.skip(1)
		ib.addr()
		ib.skip(offBytes)
		size := start
		for row := 0; row < rows; row++ {
			if row >= 2 {
				size *= 2
			}
			for k := 0; k < width; k++ {
				if a := ib.addr(); a != undef {
					blocks = append(blocks, dblock{a, size})
				}
			}
		}
		if ib.err != nil {
			return ib.err
		}
	}
	found := uint64(0)
	for _, b := range blocks {
		db := f.at(b.addr)
		if db.err != nil || uint64(len(db.b)) < b.size || !db.sig("FHDB") {
			return fmt.Errorf("no fractal heap direct block at address %d", b.addr)
		}
		hdr := 5 + f.sizeOff + offBytes
		if checksummed {
			hdr += 4
		}
		data := db.b[hdr:b.size]
		for len(data) > 0 && found < objects && data[0] == 1 {
			name, obj, hard, n, err := f.linkLen(data)
			if err != nil {
				return err
			}
			if hard {
				links[name] = obj
			}
			data = data[n:]
			found++
		}
	}
	if found != objects {
		return fmt.Errorf("found %d of the heap's %d links", found, objects)
	}
	return nil
}

// localHeap returns the data segment of a local heap.
func (f *File) localHeap(addr uint64) ([]byte, error) {
	r := f.at(addr)
	if !r.sig("HEAP") {
		return nil, fmt.Errorf("no local heap at address %d", addr)
	}
	r.skip(4)
	size := r.length()
	r.length() // free list
	data := r.addr()
	if r.err != nil {
		return nil, fmt.Errorf("local heap: %v", r.err)
	}
	d := f.at(data)
	if d.err != nil || size > uint64(len(d.b)) {
		return nil, fmt.Errorf("local heap's data segment at %d of %d bytes is outside the file", data, size)
	}
	return d.b[:size], nil
}

// heapString returns the null-terminated string at an offset of a heap's data.
func heapString(heap []byte, off uint64) (string, error) {
	if off >= uint64(len(heap)) {
		return "", fmt.Errorf("name offset %d outside the %d-byte local heap", off, len(heap))
	}
	s := heap[off:]
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s), nil
}

// groupBTree walks a version 1 B-tree of a group (node type 0) to its symbol table
// nodes and adds their entries to links.
func (f *File) groupBTree(addr uint64, heap []byte, links map[string]uint64, depth int, seen map[uint64]bool) error {
	if depth > maxDepth {
		return errors.New("group B-tree deeper than any real file")
	}
	if seen[addr] {
		return fmt.Errorf("B-tree node at %d is reached twice (a cycle: the file is corrupt)", addr)
	}
	seen[addr] = true
	r := f.at(addr)
	if !r.sig("TREE") {
		return fmt.Errorf("no B-tree node at address %d", addr)
	}
	if typ := r.u8(); typ != 0 {
		return fmt.Errorf("B-tree node at %d has type %d, a group's has 0", addr, typ)
	}
	level := r.u8()
	n := int(r.u16())
	r.addr()
	r.addr()
	children := make([]uint64, 0, n)
	r.length() // key 0
	for i := 0; i < n && r.err == nil; i++ {
		children = append(children, r.addr())
		r.length()
	}
	if r.err != nil {
		return fmt.Errorf("B-tree node at %d: %v", addr, r.err)
	}
	for _, c := range children {
		if level > 0 {
			if err := f.groupBTree(c, heap, links, depth+1, seen); err != nil {
				return err
			}
			continue
		}
		s := f.at(c)
		if !s.sig("SNOD") {
			return fmt.Errorf("no symbol table node at address %d", c)
		}
		s.skip(2)
		m := int(s.u16())
		for k := 0; k < m; k++ {
			off := s.offset()
			obj := s.addr()
			s.skip(4 + 4 + 16)
			if s.err != nil {
				return fmt.Errorf("symbol table node at %d: %v", c, s.err)
			}
			name, err := heapString(heap, off)
			if err != nil {
				return err
			}
			links[name] = obj
		}
	}
	return nil
}

// Name is the group's name ("/" for the root).
func (g *Group) Name() string { return g.name }

// Names lists the group's members in name order.
func (g *Group) Names() []string {
	out := make([]string, 0, len(g.links))
	for n := range g.links {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Has reports whether the group has a member of that name.
func (g *Group) Has(name string) bool { _, ok := g.links[name]; return ok }

func (g *Group) member(name string) (*object, error) {
	addr, ok := g.links[name]
	if !ok {
		return nil, fmt.Errorf("%s: group %s has no member %q (it has %s)", g.f.name, g.name, name, strings.Join(g.Names(), ", "))
	}
	g.f.depth++
	defer func() { g.f.depth-- }()
	if g.f.depth > maxDepth {
		return nil, g.f.errorf("groups nested deeper than %d", maxDepth)
	}
	return g.f.object(addr, path(g.name, name))
}

func path(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// Group opens a member group.
func (g *Group) Group(name string) (*Group, error) {
	o, err := g.member(name)
	if err != nil {
		return nil, err
	}
	return o.group()
}

// Dataset opens a member dataset.
func (g *Group) Dataset(name string) (*Dataset, error) {
	o, err := g.member(name)
	if err != nil {
		return nil, err
	}
	return o.dataset()
}
