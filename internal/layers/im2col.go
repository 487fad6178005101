package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/im2col"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Im2col", newIm2col) }

// im2colLayer lays every convolution window of its bottom out along the channel axis:
// the column matrix of internal/math/im2col, one per image, as a blob. It reads the
// window from convolution_param (kernel, stride, pad, dilation, axis,
// force_nd_im2col); num_output, group and the fillers are not used.
//
//	bottom (outer, C, in0, in1, …)              outer = the count before convolution_param.axis
//	top    (outer, C·k0·k1·…, out0, out1, …)    out_i = (in_i + 2p_i − (d_i(k_i−1)+1))/s_i + 1
type im2colLayer struct {
	base
	axis, nSpatial           int
	kernel, stride, pad, dil []int
	forceND                  bool
	geom                     *im2col.Geometry
	num, bottomDim, topDim   int
}

func newIm2col(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &im2colLayer{base: newBase(p, ctx), forceND: p.GetConvolutionParam().GetForceNdIm2Col()}, nil
}

func (l *im2colLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }

// Setup reads the window as Caffe's Im2colLayer::LayerSetUp does.
func (l *im2colLayer) Setup(bottom, top []*blob.Blob) error {
	cp := l.param.GetConvolutionParam()
	axis, err := bottom[0].CanonicalAxis(int(cp.GetAxis()))
	if err != nil {
		return fmt.Errorf("convolution_param.axis: %w", err)
	}
	l.axis = axis
	l.nSpatial = bottom[0].NumAxes() - axis - 1
	if l.nSpatial < 1 {
		return fmt.Errorf("bottom %s has no spatial axis after the channel axis %d", bottom[0].ShapeString(), axis)
	}
	if l.kernel, err = spatialParam("kernel_size", "kernel", cp.GetKernelSize(), cp.KernelH != nil || cp.KernelW != nil,
		cp.GetKernelH(), cp.GetKernelW(), l.nSpatial, 0); err != nil {
		return err
	}
	if l.stride, err = spatialParam("stride", "stride", cp.GetStride(), cp.StrideH != nil || cp.StrideW != nil,
		cp.GetStrideH(), cp.GetStrideW(), l.nSpatial, 1); err != nil {
		return err
	}
	if l.pad, err = spatialParam("pad", "pad", cp.GetPad(), cp.PadH != nil || cp.PadW != nil,
		cp.GetPadH(), cp.GetPadW(), l.nSpatial, 0); err != nil {
		return err
	}
	if l.dil, err = spatialParam("dilation", "dilation", cp.GetDilation(), false, 0, 0, l.nSpatial, 1); err != nil {
		return err
	}
	for i := range l.nSpatial {
		switch {
		case l.kernel[i] <= 0:
			return fmt.Errorf("convolution_param: kernel size must be positive, got %d on spatial axis %d", l.kernel[i], i)
		case l.stride[i] <= 0:
			return fmt.Errorf("convolution_param: stride must be positive, got %d on spatial axis %d", l.stride[i], i)
		case l.dil[i] <= 0:
			return fmt.Errorf("convolution_param: dilation must be positive, got %d on spatial axis %d", l.dil[i], i)
		}
	}
	return nil
}

func (l *im2colLayer) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	b := bottom[0]
	if b.NumAxes() != l.axis+1+l.nSpatial {
		return fmt.Errorf("bottom %s must have %d axes, as when the layer was set up", b.ShapeString(), l.axis+1+l.nSpatial)
	}
	g, err := im2col.New(b.Dim(l.axis), b.Shape()[l.axis+1:], l.kernel, l.pad, l.stride, l.dil)
	if err != nil {
		return fmt.Errorf("convolution_param and bottom %s: %w", b.ShapeString(), err)
	}
	l.geom = g
	shape := append([]int(nil), b.Shape()[:l.axis]...)
	shape = append(shape, g.ColRows())
	shape = append(shape, g.Out...)
	top[0].Reshape(shape...)
	l.num = b.CountRange(0, l.axis)
	l.bottomDim, l.topDim = b.CountFrom(l.axis), top[0].CountFrom(l.axis)
	return nil
}

// Forward: top[n] = im2col(bottom[n]) for every image n.
func (l *im2colLayer) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	for n := 0; n < l.num; n++ {
		im, col := x[n*l.bottomDim:(n+1)*l.bottomDim], y[n*l.topDim:(n+1)*l.topDim]
		if l.forceND {
			im2col.Im2colND(l.geom, im, col)
		} else {
			im2col.Im2col(l.geom, im, col)
		}
	}
	return nil
}

// Backward: dbottom[n] = col2im(dtop[n]), the adjoint: each column value goes back
// to the pixel it was taken from, summed.
func (l *im2colLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	dy, dx := top[0].Diff, bottom[0].Diff
	for n := 0; n < l.num; n++ {
		col, im := dy[n*l.topDim:(n+1)*l.topDim], dx[n*l.bottomDim:(n+1)*l.bottomDim]
		if l.forceND {
			im2col.Col2imND(l.geom, col, im)
		} else {
			im2col.Col2im(l.geom, col, im)
		}
	}
}
