package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("TanH", newTanH) }

// tanhLayer is the hyperbolic tangent y = tanh(x). Backward reads only y, so the
// layer may run in place.
//
//	bottom any shape
//	top    the bottom's shape
type tanhLayer struct {
	base
	loop elementLoop
}

func newTanH(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &tanhLayer{base: newBase(p, ctx)}, nil
}

func (l *tanhLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *tanhLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	return nil
}

// Forward: y = tanh(x).
func (l *tanhLayer) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	l.loop.forward(l, x, y)
	return nil
}

// forwardRange runs Forward on the elements [lo, hi).
func (l *tanhLayer) forwardRange(p *elementForward, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		y[i] = cmath.Tanhf(x[i]) // Caffe's tanh of a float: glibc's tanhf
	}
}

// Backward: dx = dy · (1 − y²).
func (l *tanhLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	y, dy, dx := top[0].Data, top[0].Diff, bottom[0].Diff
	l.loop.backward(l, nil, y, dy, dx)
}

// backwardRange runs Backward on the elements [lo, hi).
func (l *tanhLayer) backwardRange(p *elementBackward, lo, hi int) {
	y, dy, dx := p.y, p.dy, p.dx
	for i := lo; i < hi; i++ {
		dx[i] = dy[i] * (1 - float32(y[i]*y[i]))
	}
}
