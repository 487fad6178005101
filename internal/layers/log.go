package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Log", newLog) }

// logLayer is y = log_base(shift + scale·x), base −1 meaning e.
//
//	bottom any shape
//	top    the bottom's shape
//	in     a copy of the bottom, only in place: backward reads x
type logLayer struct {
	base
	loop         elementLoop
	scale, shift float32
	baseScale    float32 // 1/ln(base): turns the natural log into log_base
	numScale     float32 // scale/ln(base): the derivative's numerator (Caffe's backward_num_scale_)
	in           savedInput
}

func newLog(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	lp := p.GetLogParam()
	logBase, err := logOfBase("log_param", lp.GetBase())
	if err != nil {
		return nil, err
	}
	if logBase == 0 {
		return nil, fmt.Errorf("log_param.base must not be 1 (there is no logarithm to base 1)")
	}
	return &logLayer{base: newBase(p, ctx), scale: lp.GetScale(), shift: lp.GetShift(), baseScale: 1 / logBase,
		numScale: lp.GetScale() / logBase}, nil
}

func (l *logLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *logLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	l.in.reshape(bottom[0], top[0])
	return nil
}

// Forward: y = ln(shift + scale·x) / ln(base).
func (l *logLayer) Forward(bottom, top []*blob.Blob) error {
	l.in.save(bottom[0])
	x, y := bottom[0].Data, top[0].Data
	l.loop.forward(l, x, y)
	return nil
}

// forwardRange runs Forward on the elements [lo, hi), as Caffe's passes: caffe_scal
// by scale, caffe_add_scalar of shift (each only when it changes something), logf,
// and caffe_scal by 1/ln(base). The product is rounded before the shift is added.
func (l *logLayer) forwardRange(p *elementForward, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		y[i] = scalElem(l.baseScale, cmath.Logf(l.shifted(x[i])))
	}
}

// shifted is shift + scale·x as Caffe's passes compute it.
func (l *logLayer) shifted(x float32) float32 {
	if l.scale != 1 {
		x = scalElem(l.scale, x)
	}
	if l.shift != 0 {
		x += l.shift
	}
	return x
}

// Backward: dx = dy · scale / ((shift + scale·x) · ln(base)).
func (l *logLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	l.loop.backward(l, l.in.input(bottom[0]), nil, top[0].Diff, bottom[0].Diff)
}

// backwardRange runs Backward on the elements [lo, hi), as Caffe's passes:
// (shift + scale·x)^−1 by caffe_powx (powf, not a division), caffe_scal by
// scale/ln(base), then the product with dy.
func (l *logLayer) backwardRange(p *elementBackward, lo, hi int) {
	x, dy, dx := p.x, p.dy, p.dx
	for i := lo; i < hi; i++ {
		dx[i] = dy[i] * scalElem(l.numScale, cmath.Powf(l.shifted(x[i]), -1))
	}
}
