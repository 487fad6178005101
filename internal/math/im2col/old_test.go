package im2col

// The 2-D loops as they were before the taps were computed in New (each column row
// computed its ranges with two divisions, and every output row was a call): the
// baseline of the benchmarks.

// oldIm2col2D is the 2-D case. For one column row (channel, kernel row, kernel column)
// the output rows whose input row lies in the image are a contiguous range, and so
// are the output columns whose input column does; the rest is padding. Rows that
// are wholly inside the image with stride 1 are plain copies, the common case.
func oldIm2col2D(g *Geometry, im, col []float32) {
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
					oldFillRow(dst[oy*ow:(oy+1)*ow], img[y*w:(y+1)*w], xlo, xhi, sw, x0)
				}
			}
		}
	}
}

// oldCol2im2D is the adjoint of oldIm2col2D, adding in the same order as Caffe's col2im_cpu
// (channel, kernel row, kernel column, output row, output column).
func oldCol2im2D(g *Geometry, col, im []float32) {
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
					oldAddRow(img[y*w:(y+1)*w], src[oy*ow:(oy+1)*ow], xlo, xhi, sw, x0)
				}
			}
		}
	}
}

// oldFillRow sets out[o] = src[o·stride + x0] for o in [lo, hi), and 0 elsewhere (the
// padding).
func oldFillRow(out, src []float32, lo, hi, stride, x0 int) {
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

// oldAddRow is oldFillRow's adjoint: dst[o·stride + x0] += in[o] for o in [lo, hi).
func oldAddRow(dst, in []float32, lo, hi, stride, x0 int) {
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
