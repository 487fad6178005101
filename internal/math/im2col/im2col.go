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
}

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
		im2col2D(g, im, col)
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
// are the output columns whose input column does; the rest is padding. Rows that
// are wholly inside the image with stride 1 are plain copies, the common case.
func im2col2D(g *Geometry, im, col []float32) {
	h, w := g.In[0], g.In[1]
	kh, kw := g.Kernel[0], g.Kernel[1]
	oh, ow := g.Out[0], g.Out[1]
	sh, sw := g.Stride[0], g.Stride[1]
	plane, rowLen := h*w, oh*ow
	r := 0
	for c := 0; c < g.Channels; c++ {
		img := im[c*plane : (c+1)*plane]
		for ki := 0; ki < kh; ki++ {
			y0 := ki*g.Dilation[0] - g.Pad[0] // input row of output row 0
			ylo, yhi := validRange(y0, sh, h, oh)
			for kj := 0; kj < kw; kj++ {
				x0 := kj*g.Dilation[1] - g.Pad[1] // input column of output column 0
				xlo, xhi := validRange(x0, sw, w, ow)
				dst := col[r*rowLen : (r+1)*rowLen]
				r++
				clear(dst[:ylo*ow])
				clear(dst[yhi*ow:])
				if sw == 1 && xlo == 0 && xhi == ow {
					for oy := ylo; oy < yhi; oy++ {
						copy(dst[oy*ow:(oy+1)*ow], img[(oy*sh+y0)*w+x0:])
					}
					continue
				}
				for oy := ylo; oy < yhi; oy++ {
					y := oy*sh + y0
					fillRow(dst[oy*ow:(oy+1)*ow], img[y*w:(y+1)*w], xlo, xhi, sw, x0)
				}
			}
		}
	}
}

// col2im2D is the adjoint of im2col2D, adding in the same order as Caffe's col2im_cpu
// (channel, kernel row, kernel column, output row, output column).
func col2im2D(g *Geometry, col, im []float32) {
	h, w := g.In[0], g.In[1]
	kh, kw := g.Kernel[0], g.Kernel[1]
	oh, ow := g.Out[0], g.Out[1]
	sh, sw := g.Stride[0], g.Stride[1]
	plane, rowLen := h*w, oh*ow
	clear(im[:g.Channels*plane])
	r := 0
	for c := 0; c < g.Channels; c++ {
		img := im[c*plane : (c+1)*plane]
		for ki := 0; ki < kh; ki++ {
			y0 := ki*g.Dilation[0] - g.Pad[0]
			ylo, yhi := validRange(y0, sh, h, oh)
			for kj := 0; kj < kw; kj++ {
				x0 := kj*g.Dilation[1] - g.Pad[1]
				xlo, xhi := validRange(x0, sw, w, ow)
				src := col[r*rowLen : (r+1)*rowLen]
				r++
				for oy := ylo; oy < yhi; oy++ {
					y := oy*sh + y0
					addRow(img[y*w:(y+1)*w], src[oy*ow:(oy+1)*ow], xlo, xhi, sw, x0)
				}
			}
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
		x0 := koff[last]*g.Dilation[last] - g.Pad[last]
		lo, hi := validRange(x0, sLast, inLast, outLast)
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
				fillRow(seg, img[base*inLast:(base+1)*inLast], lo, hi, sLast, x0)
			case !padding:
				addRow(img[base*inLast:(base+1)*inLast], seg, lo, hi, sLast, x0)
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

// fillRow sets out[o] = src[o·stride + x0] for o in [lo, hi), and 0 elsewhere (the
// padding).
func fillRow(out, src []float32, lo, hi, stride, x0 int) {
	if stride == 1 {
		clear(out[:lo])
		copy(out[lo:hi], src[lo+x0:hi+x0])
		clear(out[hi:])
		return
	}
	// Strided rows are short: plain loops beat calls to clear.
	head := out[:lo]
	for i := range head {
		head[i] = 0
	}
	for o := lo; o < hi; o++ {
		out[o] = src[o*stride+x0]
	}
	tail := out[hi:]
	for i := range tail {
		tail[i] = 0
	}
}

// addRow is fillRow's adjoint: dst[o·stride + x0] += in[o] for o in [lo, hi).
func addRow(dst, in []float32, lo, hi, stride, x0 int) {
	if lo >= hi {
		return
	}
	if stride == 1 {
		s := in[lo:hi]
		d := dst[lo+x0 : hi+x0]
		d = d[:len(s)]
		for i := range s {
			d[i] += s[i]
		}
		return
	}
	for o := lo; o < hi; o++ {
		dst[o*stride+x0] += in[o]
	}
}
