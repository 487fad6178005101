package layers

import (
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Swish", newSwish) }

// swish is y = x·σ(βx), σ the logistic function (β = swish_param.beta, 1 by
// default). Backward reads y and σ(βx), so the layer may run in place.
//
//	bottom any shape
//	top    the bottom's shape
//	sig    the bottom's shape: σ(βx) of the last Forward
type swish struct {
	base
	loop elementLoop
	beta float32
	sig  []float32
}

func newSwish(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &swish{base: newBase(p, ctx), beta: p.GetSwishParam().GetBeta()}, nil
}

func (l *swish) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *swish) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	l.sig = blob.Grow(l.sig, bottom[0].Count())
	return nil
}

// Forward: s = σ(βx) in the Sigmoid layer's form ½·tanh(½βx) + ½, then y = x·s.
func (l *swish) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	l.loop.forward(l, x, y)
	return nil
}

// forwardRange runs Forward on the elements [lo, hi).
func (l *swish) forwardRange(p *elementForward, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		s := float32(float64(0.5*math.Tanh(0.5*float64(l.beta*x[i]))) + 0.5)
		l.sig[i] = s
		y[i] = x[i] * s
	}
}

// Backward: dx = dy·(βy + s·(1 − βy)), which is the derivative of x·σ(βx) written
// with y and s.
func (l *swish) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	y, dy, dx := top[0].Data, top[0].Diff, bottom[0].Diff
	l.loop.backward(l, nil, y, dy, dx)
}

// backwardRange runs Backward on the elements [lo, hi).
func (l *swish) backwardRange(p *elementBackward, lo, hi int) {
	y, dy, dx := p.y, p.dy, p.dx
	for i := lo; i < hi; i++ {
		by := l.beta * y[i]
		dx[i] = dy[i] * (by + l.sig[i]*(1-by))
	}
}
