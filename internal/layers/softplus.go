package layers

import (
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
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
	fwd softplusForward
	bwd softplusBackward
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
	l.fwd = softplusForward{x: bottom[0].Data, y: top[0].Data}
	parallel.Run(len(l.fwd.x), elementwiseGrain, &l.fwd)
	l.fwd = softplusForward{} // the layer holds no blob's storage between passes
	return nil
}

// softplusForward is Forward's loop.
//
//	x, y (count)
type softplusForward struct{ x, y []float32 }

// Range computes the elements [lo, hi).
func (p *softplusForward) Range(lo, hi int) {
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
	l.bwd = softplusBackward{y: top[0].Data, dy: top[0].Diff, dx: bottom[0].Diff}
	parallel.Run(len(l.bwd.dx), elementwiseGrain, &l.bwd)
	l.bwd = softplusBackward{}
}

// softplusBackward is Backward's loop.
//
//	y, dy, dx (count)
type softplusBackward struct{ y, dy, dx []float32 }

// Range computes the elements [lo, hi).
func (p *softplusBackward) Range(lo, hi int) {
	y, dy, dx := p.y, p.dy, p.dx
	for i := lo; i < hi; i++ {
		dx[i] = dy[i] * float32(-math.Expm1(-float64(y[i])))
	}
}
