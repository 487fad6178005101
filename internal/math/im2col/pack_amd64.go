//go:build amd64 && !purego

package im2col

import "github.com/gocaffe/gocaffe/internal/math/cpufeat"

// usePackAVX512 selects the assembly packer (pack_amd64.s); tests turn it off to run
// the Go loops.
var usePackAVX512 = cpufeat.AVX512F && cpufeat.BMI2

// packRun is a run as the assembly reads it: lanes [lane, lane+n) read input row
// rowBase + ky, lane l of them column colBase + kx + l.
type packRun struct{ lane, n, rowBase, colBase int }

// packGeo is what the assembly needs of the geometry: the image's rows and columns,
// the kernel's, the bytes of a channel's plane; and of the destination, the bytes
// from a row to the next and the lanes to store.
type packGeo struct {
	h, w, kh, kw, planeBytes int
	dstStride                int
	storeMask                uint64
}

//go:noescape
func packSliverAVX512(d *float32, img *float32, runs *packRun, nruns, kk, ky, kx int, geo *packGeo)

// packsInAsm reports whether the assembly packs g's slivers.
func packsInAsm(g *Geometry) bool {
	return usePackAVX512 && g.Stride[0] == 1 && g.Stride[1] == 1 && g.Dilation[0] == 1 && g.Dilation[1] == 1
}

// packSliverFast packs rows [p0, p0+kk) of one 16-column sliver in assembly, where
// the geometry has unit strides and no dilation and the CPU has AVX-512; it reports
// whether it did.
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
	for i, r := range runs {
		ar[i] = packRun{r.lane, r.n, r.oy - g.Pad[0], r.ox - g.Pad[1] - r.lane}
	}
	geo := packGeo{g.In[0], g.In[1], kh, kw, plane * 4, 64, 0xffff}
	packSliverAVX512(&d[0], &pk.im[c*plane], &ar[0], len(runs), kk, ky, kx, &geo)
	return true
}

// im2colFast writes the whole column matrix of a 2-D image by the packer's
// assembly, a sliver of 16 columns at a time straight into col's rows (the last,
// shorter one through the store mask), where the geometry has unit strides and no
// dilation and the CPU has AVX-512; it reports whether it did.
func im2colFast(g *Geometry, im, col []float32) bool {
	if !packsInAsm(g) {
		return false
	}
	rows, cols := g.ColRows(), g.ColCols()
	_ = col[rows*cols-1]
	pk := Packer{g: g, im: im, width: 16}
	var runs [16]run
	var ar [16]packRun
	plane := g.In[0] * g.In[1]
	for j0 := 0; j0 < cols; j0 += 16 {
		n := pk.sliverRuns(&runs, j0, min(16, cols-j0))
		for i, r := range runs[:n] {
			ar[i] = packRun{r.lane, r.n, r.oy - g.Pad[0], r.ox - g.Pad[1] - r.lane}
		}
		geo := packGeo{g.In[0], g.In[1], g.Kernel[0], g.Kernel[1], plane * 4, cols * 4, 1<<min(16, cols-j0) - 1}
		packSliverAVX512(&col[j0], &im[0], &ar[0], n, rows, 0, 0, &geo)
	}
	return true
}
