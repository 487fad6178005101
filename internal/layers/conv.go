package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/im2col"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/internal/math/vec"
)

// baseConv is what Convolution and Deconvolution share (Caffe's BaseConvolutionLayer):
// the parameters, the weights, and the three GEMMs of a convolution done by im2col.
//
// It is written in terms of the underlying convolution, whose input is the "image"
// and whose output is the "columns" side. For Convolution the image is the bottom and
// the output the top; Deconvolution swaps them (reverse), so its forward pass is the
// convolution's backward pass and vice versa.
//
// Per image, with G groups and K = (image channels / G)·kernel volume:
//
//	weight  (convOut, convIn/G, k0, k1, …)   — convOut = num_output, or the bottom's channels when reversed
//	col     (G·K, S)                         — im2col of the image; S = the output's spatial volume
//	output  (convOut, S)
//	bias    (num_output)
//
// The batch is split into chunks, one per worker, each with its own column buffer;
// each pass is a loop over the chunks (toOutputLoop, toImageLoop, the backward
// loops) that the parallel package runs. The parameter gradients are sums over the
// images, whose rounding depends on the order they are added in: in the caffe
// numerics they are added image after image, as Caffe adds them (orderedGradLoop);
// the fast numerics takes its own route (conv_fast.go).
type baseConv struct {
	base
	reverse bool // Deconvolution

	axis     int // the channel axis; the axes after it are spatial
	nSpatial int
	kernel   []int
	stride   []int
	pad      []int
	dilation []int
	is1x1    bool // 1×1 kernel, stride 1, no padding: im2col is the identity
	forceND  bool

	channels  int // of the bottom
	numOutput int
	group     int
	convIn    int // channels of the image side
	convOut   int // channels of the output side
	biasTerm  bool
	kernelDim int // K: convIn/G · kernel volume

	// Set by Reshape.
	num        int              // images: the product of the axes before axis
	geom       *im2col.Geometry // the window over the image side
	inShape    []int            // spatial shape of the bottom the geometry is for
	outShape   []int            // spatial shape of the top
	topShape   []int            // the top's whole shape
	convOutS   int              // S: spatial volume of the output side
	bottomDim  int              // values per image in the bottom
	topDim     int              // values per image in the top
	topSpatial int              // spatial volume of the top (the bias is added per position)
	imDim      int              // values per image on the image side (bottomDim, or topDim when reversed)
	outDim     int              // values per image on the output side
	chunks     int              // pieces the batch is split into, one per worker
	cols       [][]float32      // per chunk: (G·K, S)
	packers    []*im2col.Packer // per chunk, for 2-D geometries: col packed straight from the image
	wparts     [][]float32      // caffe: per chunk, group and k block: (convOut/G, K), one image's weight gradient
	kBlocks    int              // caffe: the k blocks of one group's weight-gradient product
	fast       convFast         // the fast numerics' backward pass
	// colParts splits im2col and col2im over the cores by channels where one chunk
	// holds the whole batch (a batch of one): empty otherwise. colPartsFor is the
	// geometry and workers they were made for.
	colParts    []colPart
	colPartsFor struct {
		g       *im2col.Geometry
		workers int
	}

	// The loops, kept in the layer so that starting one allocates nothing.
	toOutput toOutputLoop
	toImage  toImageLoop
	ordGrad  orderedGradLoop
	colSplit colSplitLoop
}

// colPart is the channels [c0, c1) of the image side as a geometry of their own:
// their planes are contiguous in the image, their rows in the column matrix.
type colPart struct {
	g      *im2col.Geometry
	c0, c1 int
}

// gemm is blas.Gemm for a product of one chunk: on the calling goroutine alone when
// the batch is split into chunks (their goroutines are all busy with their own), on
// every core when one chunk holds the whole batch (a batch of one).
func (l *baseConv) gemm(transA, transB bool, m, n, k int, alpha float32, a, b []float32, beta float32, c []float32) {
	if l.chunks > 1 {
		blas.GemmOne(transA, transB, m, n, k, alpha, a, b, beta, c)
		return
	}
	blas.Gemm(transA, transB, m, n, k, alpha, a, b, beta, c)
}

// gemmPacked is blas.GemmPacked for a product of one chunk (see gemm).
func (l *baseConv) gemmPacked(transA bool, m, n, k int, a []float32, b blas.BPacker, beta float32, c []float32) {
	if l.chunks > 1 {
		blas.GemmPackedOne(transA, m, n, k, a, b, beta, c)
		return
	}
	blas.GemmPacked(transA, m, n, k, a, b, beta, c)
}

// chunkRange is the images [lo, hi) of chunk c.
func (l *baseConv) chunkRange(c int) (lo, hi int) {
	return c * l.num / l.chunks, (c + 1) * l.num / l.chunks
}

func (l *baseConv) im2col(im, col []float32) {
	switch {
	case l.forceND:
		im2col.Im2colND(l.geom, im, col)
	case len(l.colParts) > 1:
		l.splitCols(im, col, true)
	default:
		im2col.Im2col(l.geom, im, col)
	}
}

func (l *baseConv) col2im(col, im []float32) {
	switch {
	case l.forceND:
		im2col.Col2imND(l.geom, col, im)
	case len(l.colParts) > 1:
		l.splitCols(im, col, false)
	default:
		im2col.Col2im(l.geom, col, im)
	}
}

// splitCols runs im2col (toCol) or col2im over colParts, a part a worker. Each
// channel's values are the same either way: im2col copies, and col2im adds to a
// channel's pixels only from that channel's rows, in the same order.
func (l *baseConv) splitCols(im, col []float32, toCol bool) {
	l.colSplit = colSplitLoop{l: l, im: im, col: col, toCol: toCol}
	parallel.Run(len(l.colParts), 1, &l.colSplit)
	l.colSplit = colSplitLoop{}
}

// colSplitLoop is splitCols's loop over the parts.
type colSplitLoop struct {
	l       *baseConv
	im, col []float32 // one image, and its column matrix
	toCol   bool
}

// Range converts the parts [lo, hi).
func (p *colSplitLoop) Range(lo, hi int) {
	g := p.l.geom
	plane, rows := g.ImSize()/g.Channels, g.ColRows()/g.Channels
	cols := g.ColCols()
	for _, part := range p.l.colParts[lo:hi] {
		im := p.im[part.c0*plane : part.c1*plane]
		col := p.col[part.c0*rows*cols : part.c1*rows*cols]
		if p.toCol {
			im2col.Im2col(part.g, im, col)
		} else {
			im2col.Col2im(part.g, col, im)
		}
	}
}

// splitChannels sets colParts for the current geometry and chunks: one part a
// worker where a single chunk takes the batch, the channels shared evenly. While
// the geometry and the workers stay the same it keeps them, and allocates nothing.
func (l *baseConv) splitChannels() error {
	w, g := parallel.Workers(), l.geom
	if l.chunks != 1 || w < 2 || l.forceND || l.is1x1 || g.Channels < 2 {
		l.colParts = l.colParts[:0]
		return nil
	}
	if l.colPartsFor.g == g && l.colPartsFor.workers == w && len(l.colParts) > 0 {
		return nil
	}
	l.colPartsFor.g, l.colPartsFor.workers = g, w
	l.colParts = l.colParts[:0]
	parts := min(w, g.Channels)
	for i := range parts {
		c0, c1 := i*g.Channels/parts, (i+1)*g.Channels/parts
		pg, err := im2col.New(c1-c0, g.In, g.Kernel, g.Pad, g.Stride, g.Dilation)
		if err != nil {
			return err
		}
		l.colParts = append(l.colParts, colPart{g: pg, c0: c0, c1: c1})
	}
	return nil
}

// convForward is the convolution proper for one image (Caffe's forward_cpu_gemm),
// with chunk c's buffers:
//
//	col (G·K, S) = im2col(im)              — skipped for 1×1
//	out (convOut, S) = W (convOut, K) · col, group by group
//
// For a 2-D image the product packs col straight from the image (im2col.Packer), as
// it would pack the stored col: the same bits, without writing col.
func (l *baseConv) convForward(im, out []float32, c int) {
	mg, k, s := l.convOut/l.group, l.kernelDim, l.convOutS
	w := l.blobs[0].Data
	if len(l.packers) > 0 && k >= 2 && blas.TakesPacker() {
		pk := l.packers[c]
		pk.SetImage(im)
		for g := range l.group {
			pk.SetRows(g * k)
			l.gemmPacked(false, mg, s, k, w[g*mg*k:(g+1)*mg*k], pk, 0, out[g*mg*s:(g+1)*mg*s])
		}
		return
	}
	col := l.cols[c]
	if l.is1x1 {
		col = im
	} else {
		l.im2col(im, col)
	}
	for g := range l.group {
		l.gemm(false, false, mg, s, k, 1, w[g*mg*k:(g+1)*mg*k], col[g*k*s:(g+1)*k*s], 0, out[g*mg*s:(g+1)*mg*s])
	}
}

// convBackward is the adjoint of convForward for one image (Caffe's backward_cpu_gemm),
// overwriting im:
//
//	col (G·K, S) = Wᵀ (K, convOut) · out, group by group
//	im = col2im(col)
func (l *baseConv) convBackward(out, im, col []float32) {
	if l.is1x1 {
		col = im
	}
	mg, k, s := l.convOut/l.group, l.kernelDim, l.convOutS
	w := l.blobs[0].Data
	for g := range l.group {
		l.gemm(true, false, k, s, mg, 1, w[g*mg*k:(g+1)*mg*k], out[g*mg*s:(g+1)*mg*s], 0, col[g*k*s:(g+1)*k*s])
	}
	if !l.is1x1 {
		l.col2im(col, im)
	}
}

// addBias adds the bias to every position of one image of the top:
// top (num_output, S) += bias ⊗ 1.
func (l *baseConv) addBias(top []float32) {
	s := l.topSpatial
	for o, b := range l.blobs[1].Data {
		vec.AddConst(top[o*s:(o+1)*s], b)
	}
}

// biasGrad adds one image's bias gradient: db (num_output) += dtop (num_output, S) · 1.
// It is Caffe's backward_cpu_bias, a gemv with a vector of ones, and adds in
// OpenBLAS's order (see blas.Gemv), not row by row: every sum is split into lanes.
func (l *baseConv) biasGrad(dtop, db []float32) {
	blas.GemvOnes(false, len(db), l.topSpatial, 1, dtop, 1, db)
}

// toOutputLoop takes every image of the batch from the image side to the output side,
// image after image in each chunk:
//
//	out[n] (convOut, S) = W · im2col(im[n])  (+ bias ⊗ 1)
//
// It is Convolution's forward pass (bottom → top, with the bias) and Deconvolution's
// bottom gradient (the top's gradient → the bottom's).
type toOutputLoop struct {
	l       *baseConv
	im, out []float32 // the whole batch: imDim and outDim values per image
	bias    bool
}

// Range runs the chunks [lo, hi).
func (p *toOutputLoop) Range(lo, hi int) {
	l := p.l
	for c := lo; c < hi; c++ {
		first, last := l.chunkRange(c)
		for n := first; n < last; n++ {
			out := p.out[n*l.outDim : (n+1)*l.outDim]
			l.convForward(p.im[n*l.imDim:(n+1)*l.imDim], out, c)
			if p.bias {
				l.addBias(out)
			}
		}
	}
}

// toImageLoop takes every image of the batch from the output side back to the image
// side, image after image in each chunk:
//
//	im[n] = col2im(Wᵀ · out[n])  (+ bias ⊗ 1)
//
// It is Convolution's bottom gradient (the top's gradient → the bottom's) and
// Deconvolution's forward pass (bottom → top, with the bias).
type toImageLoop struct {
	l       *baseConv
	out, im []float32 // the whole batch: outDim and imDim values per image
	bias    bool
}

// Range runs the chunks [lo, hi).
func (p *toImageLoop) Range(lo, hi int) {
	l := p.l
	for c := lo; c < hi; c++ {
		first, last := l.chunkRange(c)
		for n := first; n < last; n++ {
			im := p.im[n*l.imDim : (n+1)*l.imDim]
			l.convBackward(p.out[n*l.outDim:(n+1)*l.outDim], im, l.cols[c])
			if p.bias {
				l.addBias(im)
			}
		}
	}
}

// toOutputs runs toOutputLoop over the batch.
func (l *baseConv) toOutputs(im, out []float32, bias bool) {
	l.toOutput = toOutputLoop{l: l, im: im, out: out, bias: bias}
	parallel.Run(l.chunks, 1, &l.toOutput)
	l.toOutput = toOutputLoop{}
}

// toImages runs toImageLoop over the batch.
func (l *baseConv) toImages(out, im []float32, bias bool) {
	l.toImage = toImageLoop{l: l, out: out, im: im, bias: bias}
	parallel.Run(l.chunks, 1, &l.toImage)
	l.toImage = toImageLoop{}
}

// Backward runs backward for every bottom, whose gradient is computed where down
// says so; the parameter gradients are added for all.
func (l *baseConv) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	for i := range top {
		var dx []float32
		if down[i] {
			dx = bottom[i].Diff
		}
		l.backward(bottom[i].Data, top[i].Diff, dx)
	}
}

// backward is the backward pass for one bottom, given its data x, the top's
// gradient dy and the bottom's gradient dx (nil when not wanted):
//
//	dbias += Σn dy[n] · 1
//	dW    += Σn dout[n] · im2col(im[n])ᵀ
//	dx[n]  = the adjoint of the forward pass, applied to dy[n]
//
// where im is the image side's data and dout the output side's gradient: x and dy
// for a convolution; dy and x for a deconvolution, whose weights map its top to its
// bottom. In the caffe numerics, Caffe's order (orderedParamGrads, then the data
// gradient image by image); in the fast numerics, fastBackward.
func (l *baseConv) backward(x, dy, dx []float32) {
	if !numerics.IsCaffe() {
		l.fastBackward(x, dy, dx)
		return
	}
	im, dout := x, dy
	if l.reverse {
		im, dout = dy, x
	}
	l.orderedParamGrads(im, dout, dy)
	switch {
	case dx == nil:
	case l.reverse:
		l.toOutputs(dy, dx, false)
	default:
		l.toImages(dy, dx, false)
	}
}

// orderedParamGrads adds the parameter gradients in Caffe's order
// (BaseConvolutionLayer's backward): the bias gradients image after image, then the
// weight gradients image after image. With several workers the weight gradients are
// computed a wave of images at a time, one per worker, as the sums of each product's
// k blocks (blas.GemmBlocks), and added in image order: the bits of Caffe's Gemm
// calls one after the other, which one worker makes as they are.
func (l *baseConv) orderedParamGrads(im, dout, dtop []float32) {
	if l.biasTerm && l.paramDown(1) {
		for n := range l.num {
			l.biasGrad(dtop[n*l.topDim:(n+1)*l.topDim], l.blobs[1].Diff)
		}
	}
	if !l.paramDown(0) {
		return // frozen (lr_mult 0): no weight gradient
	}
	mg, k, s := l.convOut/l.group, l.kernelDim, l.convOutS
	dw := l.blobs[0].Diff
	if l.chunks == 1 {
		// One worker (or one image): Caffe's calls themselves, each image's product
		// added to dW by the product (beta 1), its products on all the cores.
		for n := range l.num {
			im, dout := im[n*l.imDim:(n+1)*l.imDim], dout[n*l.outDim:(n+1)*l.outDim]
			col := im
			if !l.is1x1 {
				col = l.cols[0]
				l.im2col(im, col)
			}
			for g := range l.group {
				blas.Gemm(false, true, mg, k, s, 1, dout[g*mg*s:(g+1)*mg*s], col[g*k*s:(g+1)*k*s], 1, dw[g*mg*k:(g+1)*mg*k])
			}
		}
		return
	}
	for first := 0; first < l.num; first += l.chunks {
		wave := min(l.chunks, l.num-first)
		l.ordGrad = orderedGradLoop{l: l, im: im, dout: dout, first: first}
		parallel.Run(wave, 1, &l.ordGrad)
		for c := range wave {
			for g := range l.group {
				blas.AddBlocks(dw[g*mg*l.kernelDim:(g+1)*mg*l.kernelDim], l.weightParts(c, g))
			}
		}
	}
	l.ordGrad = orderedGradLoop{}
}

// orderedGradLoop computes, for a wave of images first, first+1, … (one per chunk),
// the k blocks' sums of each image's weight gradient into its chunk's buffers
// (Caffe's weight_cpu_gemm, alpha 1):
//
//	col (G·K, S) = im2col(im[n])
//	dW (convOut, K) = dout[n] (convOut, S) · colᵀ, group by group
type orderedGradLoop struct {
	l        *baseConv
	im, dout []float32 // the whole batch
	first    int
}

// Range runs the chunks [lo, hi) of the wave.
func (p *orderedGradLoop) Range(lo, hi int) {
	l := p.l
	mg, k, s := l.convOut/l.group, l.kernelDim, l.convOutS
	for c := lo; c < hi; c++ {
		n := p.first + c
		im, dout := p.im[n*l.imDim:(n+1)*l.imDim], p.dout[n*l.outDim:(n+1)*l.outDim]
		col := l.cols[c]
		if l.is1x1 {
			col = im
		} else {
			l.im2col(im, col)
		}
		for g := range l.group {
			blas.GemmBlocks(false, true, mg, k, s, dout[g*mg*s:(g+1)*mg*s], col[g*k*s:(g+1)*k*s], l.weightParts(c, g))
		}
	}
}

// weightParts returns chunk c's buffers for the k blocks of group g's weight gradient.
func (l *baseConv) weightParts(c, g int) [][]float32 {
	i := (c*l.group + g) * l.kBlocks
	return l.wparts[i : i+l.kBlocks]
}
