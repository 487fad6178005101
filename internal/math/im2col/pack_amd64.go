//go:build amd64 && !purego

package im2col

import (
	"sync"

	"github.com/gocaffe/gocaffe/internal/math/cpufeat"
)

// usePackAVX512 selects the assembly packer (pack_amd64.s); tests turn it off to run
// the Go loops.
var usePackAVX512 = cpufeat.AVX512F && cpufeat.BMI2

// packRun is a run as the assembly reads it: lanes [lane, lane+n) read input row
// rowBase + ky, lane l of them column colBase + kx + l·sw (sw the column stride).
type packRun struct{ lane, n, rowBase, colBase int }

// packGeo is what the assembly needs of the geometry: the image's rows and columns,
// the kernel's, the bytes of a channel's plane; and of the destination, the bytes
// from a row to the next and the lanes to store. For a column stride sw > 1:
// colStep[l] = l·sw, the column lane l reads past lane 0's; and for the loads and
// permutes, the nloads vectors of 16 columns that a sliver's 16 lanes span, of
// which vector k holds the columns of the lanes loadLanes[k].
type packGeo struct {
	h, w, kh, kw, planeBytes int
	dstStride                int
	storeMask                uint64
	colStep                  [16]int32
	loadLanes                [16]uint16
	nloads, span             int // span = 16·nloads
}

//go:noescape
func packSliverAVX512(d *float32, img *float32, runs *packRun, nruns, kk, ky, kx int, geo *packGeo)

//go:noescape
func packSliverStridedAVX512(d *float32, img *float32, runs *packRun, nruns, kk, ky, kx int, geo *packGeo)

//go:noescape
func packSliverPermAVX512(d *float32, img *float32, runs *packRun, nruns, kk, ky, kx int, geo *packGeo)

// permMaxStride is the largest column stride packed by loads and permutes
// (packSliverPermAVX512), a vector load per stride; wider ones gather
// (packSliverStridedAVX512), which on AlexNet's conv1 (stride 4) took a quarter
// longer than the loads and permutes, and twice as long on ResNet's conv1 and
// stride-2 3×3 (BenchmarkPackB). Tests change it to run both.
var permMaxStride = 8

// packsInAsm reports whether the assembly packs g's slivers: without dilation.
func packsInAsm(g *Geometry) bool {
	return usePackAVX512 && g.Dilation[0] == 1 && g.Dilation[1] == 1
}

// packRuns sets ar to the runs as the assembly reads them.
func packRuns(g *Geometry, ar *[16]packRun, runs []run) {
	sh, sw := g.Stride[0], g.Stride[1]
	for i, r := range runs {
		// The run's first lane reads column ox·sw − pw + kx: lane l, colBase + kx + l·sw.
		ar[i] = packRun{r.lane, r.n, r.oy*sh - g.Pad[0], (r.ox-r.lane)*sw - g.Pad[1]}
	}
}

// newPackGeo is the packGeo of g, for a destination whose rows are dstStride bytes
// apart and whose lanes in storeMask are stored.
func newPackGeo(g *Geometry, dstStride int, storeMask uint64) packGeo {
	sw := g.Stride[1]
	geo := packGeo{h: g.In[0], w: g.In[1], kh: g.Kernel[0], kw: g.Kernel[1], planeBytes: g.In[0] * g.In[1] * 4,
		dstStride: dstStride, storeMask: storeMask}
	for l := range geo.colStep {
		geo.colStep[l] = int32(l * sw)
		if k := l * sw / 16; k < len(geo.loadLanes) {
			geo.loadLanes[k] |= 1 << l
		}
	}
	geo.nloads = min(15*sw/16+1, len(geo.loadLanes))
	geo.span = 16 * geo.nloads
	return geo
}

// packSliverAsm packs rows of a sliver by the routine for g's column stride: masked
// loads for unit strides (the row stride is in the runs; where the tables of
// packSliverTable do not serve), loads and permutes or gathers for the others.
func packSliverAsm(g *Geometry, d, img *float32, ar *[16]packRun, nruns, kk, ky, kx int, geo *packGeo) {
	switch sw := g.Stride[1]; {
	case sw == 1:
		packSliverAVX512(d, img, &ar[0], nruns, kk, ky, kx, geo)
	case sw <= min(permMaxStride, 16):
		packSliverPermAVX512(d, img, &ar[0], nruns, kk, ky, kx, geo)
	default:
		packSliverStridedAVX512(d, img, &ar[0], nruns, kk, ky, kx, geo)
	}
}

// packSliverFast packs rows [p0, p0+kk) of one 16-column sliver in assembly, where
// the geometry has no dilation and the CPU has AVX-512; it reports whether it did.
func (pk *Packer) packSliverFast(d []float32, p0, kk int, runs []run) bool {
	g := pk.g
	if pk.width != 16 || kk == 0 || !packsInAsm(g) {
		return false
	}
	kh, kw := g.Kernel[0], g.Kernel[1]
	plane := g.In[0] * g.In[1]
	c, ky, kx := p0/(kh*kw), p0/kw%kh, p0%kw
	// The rows' channels must lie in the image: the last row's.
	if last := (p0 + kk - 1) / (kh * kw); last >= g.Channels {
		panic("im2col: Packer rows past the column matrix")
	}
	_ = d[16*kk-1]
	var ar [16]packRun
	packRuns(g, &ar, runs)
	geo := newPackGeo(g, 64, 0xffff)
	packSliverAsm(g, &d[0], &pk.im[c*plane], &ar, len(runs), kk, ky, kx, &geo)
	return true
}

// im2colFast writes the whole column matrix of a 2-D image by the packer's
// assembly, a sliver of 16 columns at a time straight into col's rows (the last,
// shorter one through the store mask), where the geometry has no dilation and the
// CPU has AVX-512; it reports whether it did. Unit column strides go through the
// geometry's tables (packSliverTabAVX512), but for the last sliver.
func im2colFast(g *Geometry, im, col []float32) bool {
	if !packsInAsm(g) {
		return false
	}
	rows, cols := g.ColRows(), g.ColCols()
	_ = col[rows*cols-1]
	pk := Packer{g: g, im: im, width: 16}
	var runs [16]run
	var ar [16]packRun
	var ents [256]packEnt
	var tab *residueTables
	if g.tables != nil {
		tab = g.tables.residue(0)
	}
	kq, plane := g.Kernel[0]*g.Kernel[1], g.In[0]*g.In[1]
	geo := newPackGeo(g, cols*4, 0xffff)
	j0 := 0
	if tab != nil && len(tab.start) > 0 {
		// The full slivers through the tables (the table routine stores all 16
		// lanes: the last, shorter one goes by the runs below), a block of rb rows
		// of all the slivers at a time where the rows lie a multiple of 1 KiB
		// apart: their stores would fall in few of the L1 cache's sets, and
		// evict each other. Measured on 32 channels of 32×32 (rows 4 KiB apart),
		// 3×3: 14 µs by blocks of 8 rows, 62 µs a sliver at a time.
		rb, full := rows, cols/16
		if p2 := cols * 4 & -(cols * 4); p2 >= 1024 {
			rb = 8 * 4096 / min(p2, 4096)
		}
		for p0 := 0; p0 < rows; p0 += rb {
			kk, c, q0 := min(rb, rows-p0), p0/kq, p0%kq
			for s := range full {
				nr := int(tab.nruns[s])
				ents := tab.ents[tab.start[s] : int(tab.start[s])+kq*nr]
				packSliverTabAVX512(&col[p0*cols+16*s], &im[c*plane], &ents[0], nr, kk, q0, kq, plane*4, cols*4)
			}
		}
		j0 = 16 * full
	}
	for ; j0 < cols; j0 += 16 {
		n := pk.sliverRuns(&runs, j0, min(16, cols-j0))
		if tab != nil && j0+16 <= cols && kq*n <= min(len(ents), tabStackEnts) {
			sliverTable(g, runs[:n], ents[:])
			packSliverTabAVX512(&col[j0], &im[0], &ents[0], n, rows, 0, kq, plane*4, cols*4)
			continue
		}
		packRuns(g, &ar, runs[:n])
		geo.storeMask = 1<<min(16, cols-j0) - 1
		packSliverAsm(g, &col[j0], &im[0], &ar, n, rows, 0, 0, &geo)
	}
	return true
}

// packEnt is one load of a sliver's row, as packSliverTabAVX512 reads it: the element
// of the channel's plane that the sliver's lane 0 would read (lane l reads off + l),
// and the lanes loaded — those of one run whose input lies inside the image; none
// (and off 0) where the run's input row lies in the padding.
type packEnt struct {
	off  int32
	mask uint16
	_    uint16
}

// sliverTables are a unit-column-stride geometry's 16-column slivers as loads
// (sliverTable), which depend on the sliver and the kernel offset, not on the
// channel nor the image: computed once for the geometry, on first use, for each
// column o mod 16 the slivers start at (Im2col and the fast numerics' products start
// them at multiples of 16, OpenBLAS's cut that the Caffe numerics follow at
// multiples of 8).
type sliverTables struct {
	g        *Geometry
	residues [16]residueTables
}

// residueTables are the tables of the slivers that start at columns o + 16s, each 16
// columns wide or up to the matrix's end: sliver s has nruns[s] runs, and its
// entries ents[start[s]:] hold, for each kernel offset q = ky·kw + kx in turn, one
// packEnt a run. Empty where they would be large (maxTableEnts).
type residueTables struct {
	once  sync.Once
	ents  []packEnt
	start []int32
	nruns []uint8
}

// maxTableEnts bounds the tables of one residue (8 bytes an entry): 2 MiB, which a
// 3×3 kernel over a 224×224 image (VGG's first layers) stays well under. Tests
// lower it to run the stack's tables or the runs' routine.
var maxTableEnts = 1 << 18

// tabStackEnts bounds a sliver's table built on the stack (256), for a sliver the
// geometry's tables do not hold (a block's last, cut short; all where they would
// be large); tests lower it to run the runs' routine.
var tabStackEnts = 256

// newSliverTables returns the (empty) tables of g's slivers, nil where the table
// routine (packSliverTabAVX512) cannot pack them: 2-D, unit column stride, no
// dilation, offsets that fit in 32 bits.
func newSliverTables(g *Geometry) *sliverTables {
	if len(g.In) != 2 || g.Stride[1] != 1 || g.Dilation[0] != 1 || g.Dilation[1] != 1 || g.ImSize() >= 1<<30 {
		return nil
	}
	return &sliverTables{g: g}
}

// residue returns the tables of the slivers from columns o + 16s, computed on first
// use; several goroutines may ask at once.
func (t *sliverTables) residue(o int) *residueTables {
	r := &t.residues[o]
	r.once.Do(func() { r.build(t.g, o) })
	return r
}

// build computes the tables of g's slivers from columns o + 16s.
func (r *residueTables) build(g *Geometry, o int) {
	kq, cols := g.Kernel[0]*g.Kernel[1], g.ColCols()
	if o >= cols {
		return
	}
	n := (cols - o + 15) / 16
	pk := Packer{g: g, width: 16}
	var runs [16]run
	start, nruns := make([]int32, n), make([]uint8, n)
	total := 0
	for s := range n {
		first := o + 16*s
		nr := pk.sliverRuns(&runs, first, min(16, cols-first))
		start[s], nruns[s] = int32(total), uint8(nr)
		if total += kq * nr; total > maxTableEnts {
			return
		}
	}
	ents := make([]packEnt, total)
	for s := range n {
		first := o + 16*s
		nr := pk.sliverRuns(&runs, first, min(16, cols-first))
		sliverTable(g, runs[:nr], ents[start[s]:])
	}
	r.ents, r.start, r.nruns = ents, start, nruns
}

// sliverTable fills the kq·len(runs) entries of a sliver whose columns are the runs.
func sliverTable(g *Geometry, runs []run, ents []packEnt) {
	h, wd := g.In[0], g.In[1]
	kh, kw := g.Kernel[0], g.Kernel[1]
	sh := g.Stride[0]
	ph, pw := g.Pad[0], g.Pad[1]
	_ = ents[kh*kw*len(runs)-1]
	i := 0
	for ky := range kh {
		for kx := range kw {
			for _, r := range runs {
				ents[i] = packEnt{}
				iy := r.oy*sh - ph + ky
				cb := r.ox - r.lane - pw + kx // lane l reads column cb + l
				lo, hi := max(r.lane, -cb), min(r.lane+r.n, wd-cb)
				if iy >= 0 && iy < h && lo < hi {
					ents[i] = packEnt{off: int32(iy*wd + cb), mask: uint16(1<<hi - 1<<lo)}
				}
				i++
			}
		}
	}
}

//go:noescape
func packSliverTabAVX512(d *float32, img *float32, ents *packEnt, nruns, kk, q0, kq, planeBytes, dstStride int)

// packSliverTable packs rows [p0, p0+kk) of the sliver of columns [first,
// first+cols) by packSliverTabAVX512: through the packer's tables, or for a sliver
// they do not hold, one built on the stack where it has fewer entries than the
// rows packed. It reports whether it did.
func (pk *Packer) packSliverTable(d []float32, p0, kk, first, cols int) bool {
	t := pk.g.tables
	if t == nil || pk.width != 16 || kk == 0 || !usePackAVX512 {
		return false
	}
	g := pk.g
	kq := g.Kernel[0] * g.Kernel[1]
	c, q0 := p0/kq, p0%kq
	if last := (p0 + kk - 1) / kq; last >= g.Channels {
		panic("im2col: Packer rows past the column matrix")
	}
	_ = d[16*kk-1]
	plane := g.In[0] * g.In[1]
	img := &pk.im[c*plane]
	if cols == min(16, g.ColCols()-first) {
		if r := t.residue(first % 16); len(r.start) > 0 {
			s := first / 16
			nr := int(r.nruns[s])
			ents := r.ents[r.start[s] : int(r.start[s])+kq*nr]
			packSliverTabAVX512(&d[0], img, &ents[0], nr, kk, q0, kq, plane*4, 64)
			return true
		}
	}
	var runs [16]run
	n := pk.sliverRuns(&runs, first, cols)
	var ents [256]packEnt
	if kq*n > min(len(ents), tabStackEnts, kk) {
		return false
	}
	sliverTable(g, runs[:n], ents[:])
	packSliverTabAVX512(&d[0], img, &ents[0], n, kk, q0, kq, plane*4, 64)
	return true
}
