package im2col

// Packing the column matrix straight into a matrix product's slivers (blas.BPacker):
// the product W·col of a convolution then reads the image through its packed
// slivers, and the column matrix is never written. For a 2-D geometry.

// Packer packs blocks of an image's column matrix (Im2col's layout) into slivers of
// width columns, as blas.GemmPacked asks: sliver s of a block holds, for each row p of
// the block in turn, the width values col[p][j0 + s·width + j], zero past the block's
// last column. Set the image with SetImage; PackB may then be called from several
// goroutines at once.
type Packer struct {
	g     *Geometry
	im    []float32
	width int
	row0  int // the column matrix's row that the blocks' row 0 is (SetRows)
}

// NewPacker returns a packer of g's column matrix into slivers of width columns (at
// most 16). g must be 2-D.
func NewPacker(g *Geometry, width int) *Packer {
	if len(g.In) != 2 || width > 16 {
		panic("im2col: a Packer needs a 2-D geometry and slivers of at most 16 columns")
	}
	return &Packer{g: g, width: width}
}

// SetImage makes im (Channels × In[0] × In[1]) the image whose columns PackB packs.
func (pk *Packer) SetImage(im []float32) {
	if len(im) < pk.g.ImSize() {
		panic("im2col: Packer.SetImage: image too short for the geometry")
	}
	pk.im = im
}

// SetRows makes row 0 of the blocks PackB packs the column matrix's row first: a
// grouped convolution multiplies each group's rows on their own.
func (pk *Packer) SetRows(first int) { pk.row0 = first }

// run is a stretch of a sliver's columns that lies in one output row: lanes
// [lane, lane+n) are the output positions (oy, ox), (oy, ox+1), …
type run struct{ lane, n, oy, ox int }

// PackB implements blas.BPacker: rows [p0, p0+kk) and columns [j0, j0+nn) of the
// column matrix, packed: a sliver through the geometry's tables of loads where the
// assembly has them (unit column strides, packSliverTable), else by its runs.
func (pk *Packer) PackB(dst []float32, p0, kk, j0, nn int) {
	w := pk.width
	var runs [16]run
	for s := 0; s*w < nn; s++ {
		d, cols := dst[s*w*kk:(s+1)*w*kk], min(w, nn-s*w)
		if pk.packSliverTable(d, pk.row0+p0, kk, j0+s*w, cols) {
			continue
		}
		nruns := pk.sliverRuns(&runs, j0+s*w, cols)
		pk.packSliver(d, pk.row0+p0, kk, runs[:nruns])
	}
}

// sliverRuns cuts the cols columns of a sliver from column first where the output
// rows end, into runs, and returns how many.
func (pk *Packer) sliverRuns(runs *[16]run, first, cols int) int {
	ow := pk.g.Out[1]
	n := 0
	for lane := 0; lane < cols; {
		oy, ox := (first+lane)/ow, (first+lane)%ow
		l := min(ow-ox, cols-lane)
		runs[n] = run{lane, l, oy, ox}
		n++
		lane += l
	}
	return n
}

// packSliver packs rows [p0, p0+kk) of one sliver whose columns are the runs.
func (pk *Packer) packSliver(d []float32, p0, kk int, runs []run) {
	if pk.packSliverFast(d, p0, kk, runs) {
		return
	}
	g := pk.g
	h, wd := g.In[0], g.In[1]
	kh, kw := g.Kernel[0], g.Kernel[1]
	sh, sw := g.Stride[0], g.Stride[1]
	ph, pw := g.Pad[0], g.Pad[1]
	dh, dw := g.Dilation[0], g.Dilation[1]
	w := pk.width
	plane := h * wd
	// The row p's channel and kernel offset, advanced as p goes.
	c, ky, kx := p0/(kh*kw), p0/kw%kh, p0%kw
	for p := range kk {
		row := d[p*w : (p+1)*w]
		clear(row)
		img := pk.im[c*plane : (c+1)*plane]
		for _, r := range runs {
			iy := r.oy*sh - ph + ky*dh
			if iy < 0 || iy >= h {
				continue
			}
			src := img[iy*wd : (iy+1)*wd]
			ix := r.ox*sw - pw + kx*dw // the input column of the run's first lane
			lanes := row[r.lane : r.lane+r.n]
			if sw == 1 {
				lo, hi := max(0, -ix), min(r.n, wd-ix)
				if lo < hi {
					copy(lanes[lo:hi], src[ix+lo:ix+hi])
				}
				continue
			}
			for l := range lanes {
				if x := ix + l*sw; x >= 0 && x < wd {
					lanes[l] = src[x]
				}
			}
		}
		if kx++; kx == kw {
			kx = 0
			if ky++; ky == kh {
				ky = 0
				c++
			}
		}
	}
}

// PacksFast reports whether a Packer packs g's column matrix faster than Im2col
// writes it and the product packs it: where the packing runs in assembly (no
// dilation, a CPU with AVX-512; strides too). Elsewhere the Go loops work but lose.
func PacksFast(g *Geometry) bool {
	return len(g.In) == 2 && packsInAsm(g)
}

// Geometry returns the geometry the packer packs for.
func (pk *Packer) Geometry() *Geometry { return pk.g }
