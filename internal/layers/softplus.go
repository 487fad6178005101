package layers

import (
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Softplus", newSoftplus) }

// softplusLayer is y = log(1 + eˣ), a smooth ReLU. It is not one of Caffe's layers:
// docs/new-layer.md builds it step by step. (Caffe's BNLL is the same function; this
// one keeps its precision for very negative x.) Backward reads only y, so the layer
// may run in place.
//
//	bottom any shape
//	top    the bottom's shape
type softplusLayer struct {
	base
	loop elementLoop
}

func newSoftplus(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &softplusLayer{base: newBase(p, ctx)}, nil
}

func (l *softplusLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *softplusLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	return nil
}

// Forward: y = max(x, 0) + log(1 + e^−|x|). The exponent is never positive, so e to
// it cannot overflow; log1p keeps e^−|x| where it is far below 1.
func (l *softplusLayer) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	l.loop.forward(l, x, y)
	return nil
}

// forwardRange runs Forward on the elements [lo, hi).
func (l *softplusLayer) forwardRange(p *elementLoop, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		v := float64(x[i])
		y[i] = float32(math.Max(v, 0) + math.Log1p(math.Exp(-math.Abs(v))))
	}
}

// Backward: dy/dx = eˣ/(1 + eˣ) = sigmoid(x). As e^y = 1 + eˣ, that is 1 − e^−y:
// dx = dy · (1 − e^−y), from the top alone (expm1 keeps it precise for small y).
func (l *softplusLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	y, dy, dx := top[0].Data, top[0].Diff, bottom[0].Diff
	l.loop.backward(l, nil, y, dy, dx)
}

// backwardRange runs Backward on the elements [lo, hi).
func (l *softplusLayer) backwardRange(p *elementLoop, lo, hi int) {
	y, dy, dx := p.y, p.dy, p.dx
	for i := lo; i < hi; i++ {
		dx[i] = dy[i] * float32(-math.Expm1(-float64(y[i])))
	}
}
