package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/filler"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/im2col"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/internal/math/vec"
	"github.com/gocaffe/gocaffe/proto/caffepb"
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

	// The loops, kept in the layer so that starting one allocates nothing.
	toOutput toOutputLoop
	toImage  toImageLoop
	ordGrad  orderedGradLoop
}

// setupConv reads the convolution parameters (Caffe's LayerSetUp), checks them
// against the bottom, and creates and fills the weights.
func (l *baseConv) setupConv(bottom []*blob.Blob) error {
	cp := l.param.GetConvolutionParam()
	l.forceND = cp.GetForceNdIm2Col()
	axis, err := bottom[0].CanonicalAxis(int(cp.GetAxis()))
	if err != nil {
		return fmt.Errorf("convolution_param.axis: %w", err)
	}
	l.axis = axis
	l.nSpatial = bottom[0].NumAxes() - axis - 1
	if l.nSpatial > im2col.MaxAxes {
		return fmt.Errorf("bottom %s has %d spatial axes, at most %d are supported", bottom[0].ShapeString(), l.nSpatial, im2col.MaxAxes)
	}

	if l.kernel, err = spatialParam("kernel_size", "kernel", cp.GetKernelSize(), cp.KernelH != nil || cp.KernelW != nil,
		cp.GetKernelH(), cp.GetKernelW(), l.nSpatial, 0); err != nil {
		return err
	}
	for i, k := range l.kernel {
		if k <= 0 {
			return fmt.Errorf("convolution_param: kernel size must be positive, got %d on spatial axis %d (give kernel_size, or kernel_h and kernel_w)", k, i)
		}
	}
	if l.stride, err = spatialParam("stride", "stride", cp.GetStride(), cp.StrideH != nil || cp.StrideW != nil,
		cp.GetStrideH(), cp.GetStrideW(), l.nSpatial, 1); err != nil {
		return err
	}
	for i, s := range l.stride {
		if s <= 0 {
			return fmt.Errorf("convolution_param: stride must be positive, got %d on spatial axis %d", s, i)
		}
	}
	if l.pad, err = spatialParam("pad", "pad", cp.GetPad(), cp.PadH != nil || cp.PadW != nil,
		cp.GetPadH(), cp.GetPadW(), l.nSpatial, 0); err != nil {
		return err
	}
	if l.dilation, err = spatialParam("dilation", "dilation", cp.GetDilation(), false, 0, 0, l.nSpatial, 1); err != nil {
		return err
	}
	for i, d := range l.dilation {
		if d <= 0 {
			return fmt.Errorf("convolution_param: dilation must be positive, got %d on spatial axis %d", d, i)
		}
	}
	l.is1x1 = true
	for i := range l.nSpatial {
		l.is1x1 = l.is1x1 && l.kernel[i] == 1 && l.stride[i] == 1 && l.pad[i] == 0
	}

	l.channels = bottom[0].Dim(axis)
	l.numOutput = int(cp.GetNumOutput())
	if l.numOutput <= 0 {
		return fmt.Errorf("convolution_param.num_output must be given and positive")
	}
	l.group = int(cp.GetGroup())
	if l.group <= 0 {
		return fmt.Errorf("convolution_param.group must be positive, got %d", l.group)
	}
	if l.channels%l.group != 0 {
		return fmt.Errorf("convolution_param.group: the bottom's %d channels (axis %d of %s) are not divisible by group %d",
			l.channels, axis, bottom[0].ShapeString(), l.group)
	}
	if l.numOutput%l.group != 0 {
		return fmt.Errorf("convolution_param.num_output %d is not divisible by group %d", l.numOutput, l.group)
	}
	if l.reverse {
		l.convOut, l.convIn = l.channels, l.numOutput
	} else {
		l.convOut, l.convIn = l.numOutput, l.channels
	}

	// blobs[0]: the filters, (convOut, convIn/G, k0, k1, …); blobs[1]: the biases.
	wshape := append([]int{l.convOut, l.convIn / l.group}, l.kernel...)
	weight := blob.New(wshape...)
	if err := filler.Fill(weight, cp.GetWeightFiller(), l.ctx.RNG); err != nil {
		return fmt.Errorf("convolution_param.weight_filler: %w", err)
	}
	l.blobs = []*blob.Blob{weight}
	l.biasTerm = cp.GetBiasTerm()
	if l.biasTerm {
		bias := blob.New(l.numOutput)
		if err := filler.Fill(bias, cp.GetBiasFiller(), l.ctx.RNG); err != nil {
			return fmt.Errorf("convolution_param.bias_filler: %w", err)
		}
		l.blobs = append(l.blobs, bias)
	}
	l.kernelDim = weight.CountFrom(1)
	return nil
}

// spatialParam reads one of the per-axis parameters: either the repeated field name
// (once for every axis, or once per axis; def when absent) or, for 2-D only, the pair
// hw_h and hw_w.
func spatialParam(name, hw string, repeated []uint32, hasHW bool, h, w uint32, nSpatial, def int) ([]int, error) {
	out := make([]int, nSpatial)
	if hasHW {
		if nSpatial != 2 {
			return nil, fmt.Errorf("convolution_param: %s_h and %s_w can only be used for 2-D convolution, the bottom has %d spatial axes", hw, hw, nSpatial)
		}
		if len(repeated) != 0 {
			return nil, fmt.Errorf("convolution_param: give either %s or %s_h and %s_w, not both", name, hw, hw)
		}
		out[0], out[1] = int(h), int(w)
		return out, nil
	}
	switch n := len(repeated); {
	case n == 0 && name == "kernel_size":
		return nil, fmt.Errorf("convolution_param: kernel_size (or kernel_h and kernel_w) must be given")
	case n == 0:
		for i := range out {
			out[i] = def
		}
	case n == 1:
		for i := range out {
			out[i] = int(repeated[0])
		}
	case n == nSpatial:
		for i := range out {
			out[i] = int(repeated[i])
		}
	default:
		return nil, fmt.Errorf("convolution_param: %s must be given once, or once per spatial axis (given %d times; the bottom has %d spatial axes)",
			name, n, nSpatial)
	}
	return out, nil
}

// reshapeConv checks the bottoms, shapes the tops and sizes the buffers (Caffe's
// BaseConvolutionLayer::Reshape). outSize computes the top's spatial size from the
// bottom's along one axis.
func (l *baseConv) reshapeConv(bottom, top []*blob.Blob, outSize func(axis, in int) int) error {
	b0 := bottom[0]
	if b0.NumAxes() != l.axis+1+l.nSpatial {
		return fmt.Errorf("bottom %s has %d axes; the layer was set up for %d (the number of axes may not change)",
			b0.ShapeString(), b0.NumAxes(), l.axis+1+l.nSpatial)
	}
	if c := b0.Dim(l.axis); c != l.channels {
		return fmt.Errorf("input size incompatible with convolution kernel: bottom %s has %d channels on axis %d, the weights take %d",
			b0.ShapeString(), c, l.axis, l.channels)
	}
	for i, b := range bottom[1:] {
		if !equalInts(b.Shape(), b0.Shape()) {
			return fmt.Errorf("all bottoms must have the same shape: bottom %d is %s, bottom 0 is %s", i+1, b.ShapeString(), b0.ShapeString())
		}
	}
	l.num = b0.CountRange(0, l.axis)
	inShape := b0.Shape()[l.axis+1:]
	// Reshape may run before every forward pass (Caffe's Layer::Forward does): while
	// the spatial shape stays the same, keep the geometry and allocate nothing.
	if l.geom == nil || !equalInts(inShape, l.inShape) {
		if err := l.reshapeGeometry(inShape, b0, outSize); err != nil {
			return err
		}
	}
	l.topShape = append(append(append(l.topShape[:0], b0.Shape()[:l.axis]...), l.numOutput), l.outShape...)
	for _, t := range top {
		t.Reshape(l.topShape...)
	}
	l.convOutS = l.geom.ColCols()
	l.bottomDim = b0.CountFrom(l.axis)
	l.topDim = top[0].CountFrom(l.axis)
	l.topSpatial = top[0].CountFrom(l.axis + 1)

	l.imDim, l.outDim = l.bottomDim, l.topDim
	if l.reverse {
		l.imDim, l.outDim = l.topDim, l.bottomDim
	}

	l.chunks = max(min(parallel.Workers(), l.num), 1)
	colSize := 0
	if !l.is1x1 {
		colSize = l.group * l.kernelDim * l.convOutS
	}
	l.cols = resizeBuffers(l.cols, l.chunks, colSize)
	if len(l.packers) != l.chunks || (len(l.packers) > 0 && l.packers[0].Geometry() != l.geom) {
		l.packers = l.packers[:0]
		if l.nSpatial == 2 && !l.forceND && !l.is1x1 && im2col.PacksFast(l.geom) {
			for range l.chunks {
				l.packers = append(l.packers, im2col.NewPacker(l.geom, blas.SliverCols))
			}
		}
	}
	// The gradients' buffers of both numerics: the numerics may change between
	// passes (a test does), and neither is large beside the columns.
	mg := l.convOut / l.group
	l.kBlocks = blas.KBlocks(mg, l.kernelDim, l.convOutS)
	l.wparts = resizeBuffers(l.wparts, l.chunks*l.group*l.kBlocks, mg*l.kernelDim)
	return l.reshapeFast()
}

// reshapeGeometry computes the top's spatial shape and the im2col geometry for a
// bottom of spatial shape inShape.
func (l *baseConv) reshapeGeometry(inShape []int, b0 *blob.Blob, outSize func(axis, in int) int) error {
	out := make([]int, l.nSpatial)
	for i := range l.nSpatial {
		out[i] = outSize(i, inShape[i])
		if out[i] <= 0 {
			return fmt.Errorf("output size %d on spatial axis %d is not positive: input %d, kernel %d, pad %d, stride %d, dilation %d (bottom %s)",
				out[i], i, inShape[i], l.kernel[i], l.pad[i], l.stride[i], l.dilation[i], b0.ShapeString())
		}
	}
	// The underlying convolution maps the image side to the output side.
	imSpatial, colSpatial := inShape, out
	if l.reverse {
		imSpatial, colSpatial = out, inShape
	}
	g, err := im2col.New(l.convIn, imSpatial, l.kernel, l.pad, l.stride, l.dilation)
	if err != nil {
		return err
	}
	if !equalInts(g.Out, colSpatial) {
		return fmt.Errorf("deconvolution geometry does not invert: %v → %v, want %v", imSpatial, g.Out, colSpatial)
	}
	l.geom, l.outShape = g, out
	l.inShape = append([]int(nil), inShape...)
	return nil
}

// resizeBuffers returns n buffers of size values each, reusing bufs' storage.
func resizeBuffers(bufs [][]float32, n, size int) [][]float32 {
	for len(bufs) < n {
		bufs = append(bufs, nil)
	}
	bufs = bufs[:n]
	for i := range bufs {
		bufs[i] = blob.Grow(bufs[i], size) // checked against the memory limit
	}
	return bufs
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
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
	if l.forceND {
		im2col.Im2colND(l.geom, im, col)
	} else {
		im2col.Im2col(l.geom, im, col)
	}
}

func (l *baseConv) col2im(col, im []float32) {
	if l.forceND {
		im2col.Col2imND(l.geom, col, im)
	} else {
		im2col.Col2im(l.geom, col, im)
	}
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

// BlobCounts implements Counter: one top per bottom, all sharing the weights.
func (l *baseConv) BlobCounts() BlobCounts {
	return BlobCounts{MinBottom: 1, MaxBottom: Any, MinTop: 1, MaxTop: Any, EqualBottomTop: true}
}

// checkConvParam checks what the constructors can check before seeing a bottom.
func checkConvParam(p *caffepb.LayerParameter) error {
	cp := p.GetConvolutionParam()
	if cp == nil {
		return fmt.Errorf("convolution_param must be given (at least num_output and kernel_size)")
	}
	if cp.GetNumOutput() == 0 {
		return fmt.Errorf("convolution_param.num_output must be given and positive")
	}
	if (cp.KernelH != nil || cp.KernelW != nil) && len(cp.GetKernelSize()) > 0 {
		return fmt.Errorf("convolution_param: give either kernel_size or kernel_h and kernel_w, not both")
	}
	if (cp.KernelH != nil) != (cp.KernelW != nil) {
		return fmt.Errorf("convolution_param: kernel_h and kernel_w must be given together")
	}
	if len(cp.GetKernelSize()) == 0 && cp.KernelH == nil {
		return fmt.Errorf("convolution_param: kernel_size (or kernel_h and kernel_w) must be given")
	}
	if cp.GetGroup() == 0 {
		return fmt.Errorf("convolution_param.group must be positive")
	}
	return nil
}
