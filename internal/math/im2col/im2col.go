// Package im2col turns convolution into matrix multiplication, as Caffe does: Im2col
// lays every window of an image out as a column of a matrix, so that a convolution is
// one GEMM with the filters; Col2im is its adjoint, adding each column back onto the
// pixels it came from, which is what the backward pass needs.
//
// The column matrix has one row per (channel, kernel offset) and one column per output
// position, row-major:
//
//	col[((c·k0 + i0)·k1 + i1)·… ][o0·out1·… + o1·… ]  =  im[c][o0·s0 − p0 + i0·d0][o1·s1 − p1 + i1·d1]…
//
// with 0 where the window reaches into the padding. This is Caffe's layout, so
// Caffe's weights (out, in, k0, k1, …) multiply it directly.
package im2col

import (
	"errors"
	"fmt"
)

// MaxAxes is the most spatial axes a Geometry may have (a blob's limit).
const MaxAxes = 32

// Geometry is a convolution window over an image of Channels × In[0] × In[1] × …:
// per spatial axis a kernel size, zero padding on both sides, a stride, and a
// dilation (the distance between kernel taps). Make one with New.
type Geometry struct {
	Channels int
	In       []int
	Kernel   []int
	Pad      []int
	Stride   []int
	Dilation []int
	// Out is the output (column) shape: (In + 2·Pad − (Dilation·(Kernel−1) + 1)) / Stride + 1.
	Out []int

	// taps[a][k] is kernel tap k along axis a: where it reads for output 0 and which
	// outputs read inside the image. New computes them, so that the loops over the
	// columns, run for every image, are straight copies with no division.
	taps [][]tap

	// tables are the assembly's loads of the column matrix's slivers (pack_amd64.go),
	// computed on first use and shared by the Packers and Im2col; nil where it has
	// none.
	tables *sliverTables
}

// tap is one kernel tap along one axis: output o reads input position o·stride + off,
// which lies inside the image for the outputs [lo, hi) and in the padding for the rest.
type tap struct{ off, lo, hi int }

// New checks a geometry and computes its output shape. Every slice has one entry per
// spatial axis.
func New(channels int, in, kernel, pad, stride, dilation []int) (*Geometry, error) {
	n := len(in)
	if n > MaxAxes {
		return nil, fmt.Errorf("im2col: %d spatial axes, at most %d", n, MaxAxes)
	}
	if len(kernel) != n || len(pad) != n || len(stride) != n || len(dilation) != n {
		return nil, errors.New("im2col: in, kernel, pad, stride and dilation need one entry per spatial axis")
	}
	if channels <= 0 {
		return nil, fmt.Errorf("im2col: %d channels", channels)
	}
	g := &Geometry{
		Channels: channels,
		In:       append([]int(nil), in...),
		Kernel:   append([]int(nil), kernel...),
		Pad:      append([]int(nil), pad...),
		Stride:   append([]int(nil), stride...),
		Dilation: append([]int(nil), dilation...),
		Out:      make([]int, n),
	}
	for i := range n {
		switch {
		case in[i] <= 0:
			return nil, fmt.Errorf("im2col: input size %d on axis %d", in[i], i)
		case kernel[i] <= 0:
			return nil, fmt.Errorf("im2col: kernel size %d on axis %d", kernel[i], i)
		case stride[i] <= 0:
			return nil, fmt.Errorf("im2col: stride %d on axis %d", stride[i], i)
		case dilation[i] <= 0:
			return nil, fmt.Errorf("im2col: dilation %d on axis %d", dilation[i], i)
		case pad[i] < 0:
			return nil, fmt.Errorf("im2col: padding %d on axis %d", pad[i], i)
		}
		g.Out[i] = OutSize(in[i], kernel[i], pad[i], stride[i], dilation[i])
		if g.Out[i] <= 0 {
			return nil, fmt.Errorf("im2col: output size %d on axis %d (input %d, kernel %d, pad %d, stride %d, dilation %d)",
				g.Out[i], i, in[i], kernel[i], pad[i], stride[i], dilation[i])
		}
	}
	g.taps = make([][]tap, n)
	for i := range n {
		g.taps[i] = make([]tap, kernel[i])
		for k := range g.taps[i] {
			off := k*dilation[i] - pad[i]
			lo, hi := validRange(off, stride[i], in[i], g.Out[i])
			g.taps[i][k] = tap{off, lo, hi}
		}
	}
	g.tables = newSliverTables(g)
	return g, nil
}

// OutSize is the number of window positions along one axis, Caffe's rounding down:
// (in + 2·pad − (dilation·(kernel−1) + 1)) / stride + 1, dividing toward zero as C++
// does.
func OutSize(in, kernel, pad, stride, dilation int) int {
	extent := dilation*(kernel-1) + 1
	return (in+2*pad-extent)/stride + 1
}

// ColRows is the number of rows of the column matrix: Channels × the kernel's volume.
func (g *Geometry) ColRows() int { return g.Channels * prod(g.Kernel) }

// ColCols is the number of columns of the column matrix: the output's volume.
func (g *Geometry) ColCols() int { return prod(g.Out) }

// ImSize is the number of values in the image: Channels × the input's volume.
func (g *Geometry) ImSize() int { return g.Channels * prod(g.In) }

func prod(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

func (g *Geometry) check(im, col []float32) {
	if len(im) < g.ImSize() || len(col) < g.ColRows()*g.ColCols() {
		panic(fmt.Sprintf("im2col: image of %d values (want %d) or columns of %d (want %d)",
			len(im), g.ImSize(), len(col), g.ColRows()*g.ColCols()))
	}
}

// Im2col writes the column matrix of im into col (ColRows × ColCols), using the
// specialised 2-D code for two spatial axes.
func Im2col(g *Geometry, im, col []float32) {
	g.check(im, col)
	if len(g.In) == 2 {
		if !im2colFast(g, im, col) {
			im2col2D(g, im, col)
		}
		return
	}
	ndCore(g, im, col, true)
}

// Col2im sets im to the adjoint of Im2col applied to col: every column value is added
// to the pixel it was taken from; pixels no window covers get 0.
func Col2im(g *Geometry, col, im []float32) {
	g.check(im, col)
	if len(g.In) == 2 {
		col2im2D(g, col, im)
		return
	}
	ndCore(g, im, col, false)
}

// Im2colND is Im2col by the general N-D code, whatever the number of axes (Caffe's
// force_nd_im2col). Its results equal Im2col's.
func Im2colND(g *Geometry, im, col []float32) {
	g.check(im, col)
	ndCore(g, im, col, true)
}

// Col2imND is Col2im by the general N-D code. Its results equal Col2im's.
func Col2imND(g *Geometry, col, im []float32) {
	g.check(im, col)
	ndCore(g, im, col, false)
}

// validRange returns the output positions [lo, hi) along one axis whose input position
// o·stride + offset falls inside [0, size); the rest read padding.
func validRange(offset, stride, size, out int) (lo, hi int) {
	lo = ceilDiv(-offset, stride)
	hi = ceilDiv(size-offset, stride)
	lo = min(max(lo, 0), out)
	hi = min(max(hi, lo), out)
	return lo, hi
}

// ceilDiv is ⌈a/b⌉ for b > 0 and any a.
func ceilDiv(a, b int) int {
	if a <= 0 {
		return -(-a / b)
	}
	return (a + b - 1) / b
}

// im2col2D is the 2-D case. For one column row (channel, kernel row, kernel column)
// the output rows whose input row lies in the image are a contiguous range, and so
// are the output columns whose input column does (the taps); the rest is padding.
func im2col2D(g *Geometry, im, col []float32) {
	h, w := g.In[0], g.In[1]
	oh, ow := g.Out[0], g.Out[1]
	sh, sw := g.Stride[0], g.Stride[1]
	plane, rowLen := h*w, oh*ow
	r := 0
	for c := 0; c < g.Channels; c++ {
		img := im[c*plane : (c+1)*plane]
		for _, ty := range g.taps[0] {
			for _, tx := range g.taps[1] {
				dst := col[r*rowLen : (r+1)*rowLen]
				r++
				if ty.lo >= ty.hi || tx.lo >= tx.hi {
					clear(dst) // the tap reads only padding
					continue
				}
				clear(dst[:ty.lo*ow])
				clear(dst[ty.hi*ow:])
				if sw == 1 {
					// Input row y = oy·sh + ty.off, column x = ox + tx.off.
					first := (ty.lo*sh+ty.off)*w + tx.lo + tx.off
					fillRows(dst[ty.lo*ow:ty.hi*ow], ty.hi-ty.lo, ow, img[first:], sh*w, tx.lo, tx.hi)
					continue
				}
				for oy := ty.lo; oy < ty.hi; oy++ {
					y := oy*sh + ty.off
					fillRow(dst[oy*ow:(oy+1)*ow], img[y*w:(y+1)*w], tx, sw)
				}
			}
		}
	}
}

// fillRows is the unit-stride case of im2col2D for the output rows of one column row
// that read inside the image: dst holds rows of ow values; row i gets the hi − lo
// values from src[i·srcStep:] at [lo, hi), and zeros (the padding) around them. A
// call per column row rather than per output row: on small images a row is a few
// values, fewer than a call costs. It is not inlined: inside im2col2D's loops the
// registers run out and its loops would keep their counters on the stack.
//
//go:noinline
func fillRows(dst []float32, rows, ow int, src []float32, srcStep, lo, hi int) {
	n := hi - lo
	if srcStep == ow {
		// The input rows are as far apart as the output rows, as in a "same"
		// convolution (pad (k−1)/2, stride 1): the rows' values are one run in
		// both, copied at once; the few padding values between the rows' runs,
		// which the copy filled from the neighbouring rows, are set to 0 below.
		copy(dst[lo:(rows-1)*ow+hi], src[:(rows-1)*ow+n])
	} else {
		copyRows(dst[lo:], ow, src, srcStep, n, rows)
	}
	if lo == 0 && hi == ow {
		return
	}
	// The padding: before the first row's values, between each row's values and
	// the next's, after the last row's.
	gap := ow - n
	for i := range dst[:lo] {
		dst[i] = 0
	}
	for end := hi; end < (rows-1)*ow+hi; end += ow {
		g := dst[end : end+gap]
		for i := range g {
			g[i] = 0
		}
	}
	for i := (rows-1)*ow + hi; i < rows*ow; i++ {
		dst[i] = 0
	}
}

// copyRowsGo is copyRows in Go: a copy per row.
func copyRowsGo(dst []float32, dstStep int, src []float32, srcStep, n, rows int) {
	for r := 0; r < rows; r++ {
		copy(dst[r*dstStep:r*dstStep+n], src[r*srcStep:r*srcStep+n])
	}
}

// col2im2D is the adjoint of im2col2D, adding in the same order as Caffe's col2im_cpu
// (channel, kernel row, kernel column, output row, output column).
func col2im2D(g *Geometry, col, im []float32) {
	h, w := g.In[0], g.In[1]
	oh, ow := g.Out[0], g.Out[1]
	sh, sw := g.Stride[0], g.Stride[1]
	plane, rowLen := h*w, oh*ow
	clear(im[:g.Channels*plane])
	r := 0
	for c := 0; c < g.Channels; c++ {
		img := im[c*plane : (c+1)*plane]
		for _, ty := range g.taps[0] {
			for _, tx := range g.taps[1] {
				src := col[r*rowLen : (r+1)*rowLen]
				r++
				if ty.lo >= ty.hi || tx.lo >= tx.hi {
					continue
				}
				if sw == 1 {
					first := (ty.lo*sh+ty.off)*w + tx.lo + tx.off
					addRows(img[first:], sh*w, src[ty.lo*ow:ty.hi*ow], ow, tx.lo, tx.hi)
					continue
				}
				for oy := ty.lo; oy < ty.hi; oy++ {
					y := oy*sh + ty.off
					addRow(img[y*w:(y+1)*w], src[oy*ow:(oy+1)*ow], tx, sw)
				}
			}
		}
	}
}

// addRowsGo is addRows in Go. Not inlined, as fillRows.
//
//go:noinline
func addRowsGo(dst []float32, dstStep int, src []float32, ow, lo, hi int) {
	for len(src) >= ow {
		s := src[lo:hi]
		d := dst[:len(s)]
		for i := range d {
			d[i] += s[i]
		}
		src = src[ow:]
		if len(src) > 0 {
			dst = dst[dstStep:]
		}
	}
}

// ndCore does im2col (forward) or col2im (!forward) for any number of spatial axes.
// The last axis is handled a whole output row at a time, as in the 2-D code; the
// axes before it are counted through like an odometer. The order of the additions
// of col2im is Caffe's (im2col_nd_core_cpu): column row by column row, output
// positions in row-major order.
func ndCore(g *Geometry, im, col []float32, forward bool) {
	n := len(g.In)
	if !forward {
		clear(im[:g.ImSize()])
	}
	if n == 0 {
		// No spatial axes: every channel is a single pixel and col is im.
		if forward {
			copy(col[:g.Channels], im)
		} else {
			copy(im[:g.Channels], col)
		}
		return
	}
	last := n - 1
	kernelVol := prod(g.Kernel)
	imVol := prod(g.In)
	rowLen := prod(g.Out)
	outLast, inLast := g.Out[last], g.In[last]
	sLast := g.Stride[last]
	outerCount := rowLen / outLast

	var koff, oiter [MaxAxes]int
	for r := 0; r < g.ColRows(); r++ {
		c := r / kernelVol
		// The kernel offset of this row, axis by axis (the last axis varies fastest).
		rem := r % kernelVol
		for a := last; a >= 0; a-- {
			koff[a] = rem % g.Kernel[a]
			rem /= g.Kernel[a]
		}
		tx := g.taps[last][koff[last]]
		img := im[c*imVol : (c+1)*imVol]
		crow := col[r*rowLen : (r+1)*rowLen]
		clear(oiter[:last])
		for outer := 0; outer < outerCount; outer++ {
			// Locate the input row of this output row, or find it in the padding.
			base, padding := 0, false
			for a := 0; a < last; a++ {
				p := oiter[a]*g.Stride[a] - g.Pad[a] + koff[a]*g.Dilation[a]
				if p < 0 || p >= g.In[a] {
					padding = true
				}
				base = base*g.In[a] + p
			}
			seg := crow[outer*outLast : (outer+1)*outLast]
			switch {
			case forward && padding:
				clear(seg)
			case forward:
				fillRow(seg, img[base*inLast:(base+1)*inLast], tx, sLast)
			case !padding:
				addRow(img[base*inLast:(base+1)*inLast], seg, tx, sLast)
			}
			// Advance the odometer over the output's outer axes.
			for a := last - 1; a >= 0; a-- {
				oiter[a]++
				if oiter[a] < g.Out[a] {
					break
				}
				oiter[a] = 0
			}
		}
	}
}

// fillRow sets out[o] = src[o·stride + t.off] for o in [t.lo, t.hi), and 0 elsewhere
// (the padding).
func fillRow(out, src []float32, t tap, stride int) {
	lo, hi := t.lo, t.hi
	head, body, tail := out[:lo], out[lo:hi], out[hi:]
	// The padding is a few values: a loop beats a call to clear.
	for i := range head {
		head[i] = 0
	}
	if stride == 1 {
		copy(body, src[lo+t.off:hi+t.off])
	} else {
		for i := range body {
			body[i] = src[(lo+i)*stride+t.off]
		}
	}
	for i := range tail {
		tail[i] = 0
	}
}

// addRow is fillRow's adjoint: dst[o·stride + t.off] += in[o] for o in [t.lo, t.hi).
func addRow(dst, in []float32, t tap, stride int) {
	lo, hi := t.lo, t.hi
	if lo >= hi {
		return
	}
	if stride == 1 {
		s := in[lo:hi]
		d := dst[lo+t.off : hi+t.off]
		d = d[:len(s)]
		for i := range s {
			d[i] += s[i]
		}
		return
	}
	if addStrided(dst, in, t, stride) {
		return
	}
	for o := lo; o < hi; o++ {
		dst[o*stride+t.off] += in[o]
	}
}
