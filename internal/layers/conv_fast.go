package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/im2col"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/internal/math/vec"
	"slices"
)

// Convolution's backward pass in the fast numerics. Free of Caffe's order, it takes
// the cheaper route through each product, chunk by chunk and image after image,
// everything of one image at once while its gradient is in cache (fastBackwardLoop):
//
//   - the weight gradient of a layer with few filters (Mg ≤ 256 per group) as its
//     transpose, dWᵀ (K, Mg) += col (K, S) · dYᵀ: the product reads col in place,
//     where dW = dY · colᵀ would pack (transpose) all of it, and packs dY instead,
//     K/Mg times smaller;
//   - the bottom's gradient of a unit-stride convolution whose output is at least as
//     large as its input (the "same" convolutions of cifar10_quick, ResNet, AlexNet's
//     later layers) as a convolution of the top's gradient with the flipped filters:
//     dX = W' · im2col'(dY), with im2col' packed straight from dY (im2col.Packer).
//     The same multiply-adds as Wᵀ·dY, as one long product instead of a short one,
//     and no col2im;
//   - chunk 0 adds its images' parameter gradients to the parameters' gradients, the
//     others sum theirs into their own buffers, added in chunk order at the end
//     (fastSumLoop): the bits depend on the number of workers, not on which
//     goroutine runs which chunk.

// convFast is what the fast backward pass keeps, sized by Reshape.
type convFast struct {
	// transposedGrad: the chunks sum dWᵀ, (G, K, Mg), rather than dW.
	transposedGrad bool
	geomFor        *im2col.Geometry // the forward geometry backGeom was made for
	chunksFor      int              // and the number of chunks
	// backGeom is im2col' of the top's gradient (its channels, the flipped kernel,
	// padding k−1−p), nil where the bottom's gradient goes through col2im.
	backGeom    *im2col.Geometry
	backPackers []*im2col.Packer // per chunk
	flipped     []float32        // W' per group: (convIn/G, Mg·kernel volume)
	wsums       [][]float32      // per chunk: its weight gradient, dW or dWᵀ
	bsums       [][]float32      // per chunk: its bias gradient (num_output)
	back        fastBackwardLoop
	sum         fastSumLoop
	flip        flipLoop
}

// reshapeFast sizes the fast backward pass's buffers for the current geometry.
func (l *baseConv) reshapeFast() error {
	f := &l.fast
	mg := l.convOut / l.group
	// dWᵀ saves packing each image's col (K·S values) and costs a transposed add of
	// the weights (Mg·K) per chunk: worth it where a chunk's images have more
	// positions than the layer has filters.
	perChunk := (l.num + l.chunks - 1) / l.chunks
	f.transposedGrad = !l.reverse && mg <= 256 && perChunk*l.convOutS >= 2*mg
	// Chunk 0 adds dW straight to the weights' gradient; the others (all of them,
	// for dWᵀ) sum into their own buffers.
	own := l.chunks - 1
	if f.transposedGrad {
		own = l.chunks
	}
	f.wsums = resizeBuffers(f.wsums, own, l.blobs[0].Count())
	nb := 0
	if l.biasTerm {
		nb = l.numOutput
	}
	f.bsums = resizeBuffers(f.bsums, l.chunks-1, nb)

	if f.geomFor == l.geom && f.chunksFor == l.chunks {
		return nil // the same geometry and workers as the last Reshape
	}
	f.geomFor, f.chunksFor = l.geom, l.chunks
	f.backGeom, f.backPackers = nil, f.backPackers[:0]
	if l.reverse || l.nSpatial != 2 || l.forceND || l.is1x1 {
		return nil
	}
	g := l.geom
	same := true
	for i := range 2 {
		same = same && g.Stride[i] == 1 && g.Dilation[i] == 1 && g.Pad[i] <= g.Kernel[i]-1
	}
	// The flipped convolution costs In/Out times the multiply-adds of Wᵀ·dY. Its
	// packing grows with the filters (Mg·kernel volume rows of im2col'), col2im's
	// with the input channels (Cg·kernel volume rows of col): measured at one
	// thread, the flip wins where Mg = Cg (cifar10_quick's conv2, AlexNet's conv4
	// and conv5, ResNet's 3×3) and loses where Mg > 2·Cg (AlexNet's conv2, 128
	// filters on 48 channels: 62 ms against 55). And W' is written once a pass,
	// a scattered copy of the weights, which on a small batch of deep layers costs
	// more than col2im of every image (ResNet-50's res4 and res5 at batch 1; res5
	// flips 2.4 million weights where col2im adds 0.2 million values).
	flipPerImage := l.blobs[0].Count() / max(l.num, 1)
	if !same || g.In[0]*g.In[1] > g.Out[0]*g.Out[1] || mg > 2*(l.convIn/l.group) ||
		flipPerImage > l.group*l.kernelDim*l.convOutS {
		return nil
	}
	pad := []int{g.Kernel[0] - 1 - g.Pad[0], g.Kernel[1] - 1 - g.Pad[1]}
	bg, err := im2col.New(l.convOut, g.Out, g.Kernel, pad, []int{1, 1}, []int{1, 1})
	if err != nil {
		return err
	}
	if !slices.Equal(bg.Out, g.In) {
		return nil // cannot happen for unit strides; keep col2im if it does
	}
	if !im2col.PacksFast(bg) {
		return nil
	}
	f.backGeom = bg
	for range l.chunks {
		f.backPackers = append(f.backPackers, im2col.NewPacker(bg, blas.SliverCols))
	}
	f.flipped = blob.Grow(f.flipped, l.blobs[0].Count())
	return nil
}

// fastBackward is the backward pass for one bottom in the fast numerics: x the
// bottom's data, dy the top's gradient, dx the bottom's gradient or nil.
func (l *baseConv) fastBackward(x, dy, dx []float32) {
	f := &l.fast
	if dx != nil && f.backGeom != nil {
		l.flipWeights()
	}
	f.back = fastBackwardLoop{l: l, x: x, dy: dy, dx: dx}
	parallel.Run(l.chunks, 1, &f.back)
	f.back = fastBackwardLoop{}
	if len(f.wsums) > 0 && l.paramDown(0) {
		f.sum = fastSumLoop{l: l}
		parallel.Run(l.convOut, 8, &f.sum)
		f.sum = fastSumLoop{}
	}
	if l.biasTerm && l.paramDown(1) {
		for _, part := range f.bsums {
			vec.Add(l.blobs[1].Diff, l.blobs[1].Diff, part)
		}
	}
}

// flipWeights writes W' from W, its filters split over the cores (flipLoop).
func (l *baseConv) flipWeights() {
	l.fast.flip = flipLoop{l: l}
	parallel.Run(l.convOut, 4, &l.fast.flip)
	l.fast.flip = flipLoop{}
}

// flipLoop writes W' from W: for each group, row ci (an input channel) holds, for
// each output channel m and kernel offset, W[m][ci] rotated by 180°.
//
//	W  (convOut, Cg, kh, kw)    W' (G, Cg, Mg, kh, kw)
type flipLoop struct{ l *baseConv }

// Range flips the filters [lo, hi).
func (p *flipLoop) Range(lo, hi int) {
	l := p.l
	w, f := l.blobs[0].Data, l.fast.flipped
	mg, cg := l.convOut/l.group, l.convIn/l.group
	kv := l.kernelDim / cg
	for gm := lo; gm < hi; gm++ {
		g, m := gm/mg, gm%mg
		for ci := range cg {
			src := w[(gm*cg+ci)*kv:][:kv]
			dst := f[((g*cg+ci)*mg+m)*kv:][:kv]
			for i, v := range src {
				dst[kv-1-i] = v
			}
		}
	}
}

// fastBackwardLoop runs the fast backward pass chunk by chunk: for each image, the
// bias and weight gradients into the chunk's sums, then the bottom's gradient.
type fastBackwardLoop struct {
	l         *baseConv
	x, dy, dx []float32 // the whole batch
}

// Range runs the chunks [lo, hi).
func (p *fastBackwardLoop) Range(lo, hi int) {
	l := p.l
	for c := lo; c < hi; c++ {
		first, last := l.chunkRange(c)
		for n := first; n < last; n++ {
			x, dy := p.x[n*l.bottomDim:(n+1)*l.bottomDim], p.dy[n*l.topDim:(n+1)*l.topDim]
			beta := float32(1)
			if n == first {
				beta = 0
			}
			// The image side's data and the output side's gradient (see baseConv).
			im, dout := x, dy
			if l.reverse {
				im, dout = dy, x
			}
			l.fastParamGrads(c, im, dout, dy, beta)
			if p.dx == nil {
				continue
			}
			dx := p.dx[n*l.bottomDim : (n+1)*l.bottomDim]
			if l.reverse {
				l.convForward(dy, dx, c)
			} else {
				l.fastDataGrad(c, dy, dx)
			}
		}
	}
}

// fastParamGrads adds one image's parameter gradients to chunk c's sums (beta 0 for
// the chunk's first image, which overwrites them; chunk 0 adds dW and db to the
// parameters' gradients themselves), im being the image side's data, dout the
// output side's gradient and dtop the top's:
//
//	db  += dtop · 1
//	dWᵀ (K, Mg) += col · doutᵀ, or dW (Mg, K) += dout · colᵀ, group by group
func (l *baseConv) fastParamGrads(c int, im, dout, dtop []float32, beta float32) {
	f := &l.fast
	if l.biasTerm && l.paramDown(1) {
		db, b := l.blobs[1].Diff, float32(1)
		if c > 0 {
			db, b = f.bsums[c-1], beta
		}
		blas.GemvOnes(false, l.numOutput, l.topSpatial, 1, dtop, b, db)
	}
	if !l.paramDown(0) {
		return // frozen (lr_mult 0): no weight gradient
	}
	col := im
	if !l.is1x1 {
		col = l.cols[c]
		l.im2col(im, col)
	}
	mg, k, s := l.convOut/l.group, l.kernelDim, l.convOutS
	var dw []float32
	switch {
	case f.transposedGrad:
		dw = f.wsums[c]
	case c == 0:
		dw, beta = l.blobs[0].Diff, 1
	default:
		dw = f.wsums[c-1]
	}
	for g := range l.group {
		cg, dg, dwg := col[g*k*s:(g+1)*k*s], dout[g*mg*s:(g+1)*mg*s], dw[g*mg*k:(g+1)*mg*k]
		if f.transposedGrad {
			l.gemm(false, true, k, mg, s, 1, cg, dg, beta, dwg)
		} else {
			l.gemm(false, true, mg, k, s, 1, dg, cg, beta, dwg)
		}
	}
}

// fastDataGrad writes one image's bottom gradient: the flipped convolution of dy
// where the geometry allows (see convFast), else col2im(Wᵀ·dy).
func (l *baseConv) fastDataGrad(c int, dy, dx []float32) {
	f := &l.fast
	if f.backGeom == nil || !blas.TakesPacker() {
		l.convBackward(dy, dx, l.cols[c])
		return
	}
	mg, cg := l.convOut/l.group, l.convIn/l.group
	kd := mg * (l.kernelDim / cg) // the flipped product's depth: Mg · kernel volume
	hw := l.geom.In[0] * l.geom.In[1]
	pk := f.backPackers[c]
	pk.SetImage(dy)
	for g := range l.group {
		pk.SetRows(g * kd)
		l.gemmPacked(false, cg, hw, kd, f.flipped[g*cg*kd:(g+1)*cg*kd], pk, 0, dx[g*cg*hw:(g+1)*cg*hw])
	}
}

// fastSumLoop adds the chunks' weight sums to the weights' gradient in chunk order,
// filter by filter: dW[m] += Σc sums[c][m]; for dWᵀ, the chunks' sums added up
// first, then transposed into dW once.
type fastSumLoop struct{ l *baseConv }

// Range adds the filters [lo, hi).
func (p *fastSumLoop) Range(lo, hi int) {
	l := p.l
	f := &l.fast
	k := l.kernelDim
	mg := l.convOut / l.group
	dw := l.blobs[0].Diff
	if !f.transposedGrad {
		for _, part := range f.wsums {
			vec.Add(dw[lo*k:hi*k], dw[lo*k:hi*k], part[lo*k:hi*k])
		}
		return
	}
	// The filters' columns of every group's dWᵀ (K, Mg) are strided: sum the chunks
	// along them, then add.
	for m := lo; m < hi; m++ {
		row := dw[m*k : (m+1)*k]
		g, mi := m/mg, m%mg
		first := f.wsums[0][g*mg*k:]
		for i := range row {
			v := first[i*mg+mi]
			for _, part := range f.wsums[1:] {
				v += part[g*mg*k+i*mg+mi]
			}
			row[i] += v
		}
	}
}
