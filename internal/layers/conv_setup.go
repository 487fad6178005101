package layers

import (
	"fmt"
	"slices"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/im2col"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The set-up of Convolution and Deconvolution (baseConv): reading and checking
// convolution_param, creating the weights, and shaping the tops, the im2col geometry
// and the buffers of each chunk. The passes are in conv.go and conv_fast.go.

// Setup reads the convolution parameters (Caffe's LayerSetUp), checks them against
// the bottom, and creates and fills the weights; the Reshape that follows shapes the
// tops.
func (l *baseConv) Setup(bottom, top []*blob.Blob) error {
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
	l.biasTerm = cp.GetBiasTerm()
	if err := l.setWeights("convolution_param", wshape, cp.GetWeightFiller(), l.biasTerm, l.numOutput, cp.GetBiasFiller()); err != nil {
		return err
	}
	l.kernelDim = l.blobs[0].CountFrom(1)
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

// Reshape checks the bottoms, shapes the tops and sizes the buffers (Caffe's
// BaseConvolutionLayer::Reshape).
func (l *baseConv) Reshape(bottom, top []*blob.Blob) error {
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
		if !slices.Equal(b.Shape(), b0.Shape()) {
			return fmt.Errorf("all bottoms must have the same shape: bottom %d is %s, bottom 0 is %s", i+1, b.ShapeString(), b0.ShapeString())
		}
	}
	l.num = b0.CountRange(0, l.axis)
	inShape := b0.Shape()[l.axis+1:]
	// Reshape may run before every forward pass (Caffe's Layer::Forward does): while
	// the spatial shape stays the same, keep the geometry and allocate nothing.
	if l.geom == nil || !slices.Equal(inShape, l.inShape) {
		if err := l.reshapeGeometry(inShape, b0); err != nil {
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
	if err := l.splitChannels(); err != nil {
		return err
	}
	// The gradients' buffers of both numerics: the numerics may change between
	// passes (a test does), and neither is large beside the columns.
	mg := l.convOut / l.group
	l.kBlocks = blas.KBlocks(mg, l.kernelDim, l.convOutS)
	l.wparts = resizeBuffers(l.wparts, l.chunks*l.group*l.kBlocks, mg*l.kernelDim)
	return l.reshapeFast()
}

// outSize is the top's spatial size along axis i for a bottom of size in: the
// convolution's output size, rounded down; reversed, the size whose convolution
// gives in.
func (l *baseConv) outSize(i, in int) int {
	if l.reverse {
		extent := l.dilation[i]*(l.kernel[i]-1) + 1
		return l.stride[i]*(in-1) + extent - 2*l.pad[i]
	}
	return im2col.OutSize(in, l.kernel[i], l.pad[i], l.stride[i], l.dilation[i])
}

// reshapeGeometry computes the top's spatial shape and the im2col geometry for a
// bottom of spatial shape inShape.
func (l *baseConv) reshapeGeometry(inShape []int, b0 *blob.Blob) error {
	out := make([]int, l.nSpatial)
	for i := range l.nSpatial {
		out[i] = l.outSize(i, inShape[i])
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
	if !slices.Equal(g.Out, colSpatial) {
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
