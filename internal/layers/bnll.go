package layers

import (
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("BNLL", newBNLL) }

// bnllLayer is the binomial normal log likelihood y = log(1 + eˣ), computed as Caffe
// computes it. (Softplus is the same function, computed more precisely for very
// negative x.)
//
//	bottom any shape
//	top    the bottom's shape
//	in     a copy of the bottom, only in place: backward reads x
type bnllLayer struct {
	base
	loop elementLoop
	in   savedInput
}

func newBNLL(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &bnllLayer{base: newBase(p, ctx)}, nil
}

func (l *bnllLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *bnllLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	l.in.reshape(bottom[0], top[0])
	return nil
}

// bnllThreshold caps the exponent of backward: past it eˣ/(eˣ + 1) is 1 in float.
const bnllThreshold = 50

// Forward: y = x + log(1 + e^−x) for x > 0, log(1 + eˣ) otherwise, so that the
// exponent is never positive and e to it cannot overflow.
func (l *bnllLayer) Forward(bottom, top []*blob.Blob) error {
	l.in.save(bottom[0])
	x, y := bottom[0].Data, top[0].Data
	l.loop.forward(l, x, y)
	return nil
}

// forwardRange runs Forward on the elements [lo, hi).
func (l *bnllLayer) forwardRange(p *elementForward, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		// As Caffe's x + log(1. + exp(−x)): exp of the float is expf, the rest
		// float64, log included.
		v := float64(x[i])
		if v > 0 {
			y[i] = float32(v + math.Log(1+float64(cmath.Expf(-x[i]))))
		} else {
			y[i] = float32(math.Log(1 + float64(cmath.Expf(x[i]))))
		}
	}
}

// Backward: dx = dy · eˣ/(eˣ + 1), with x capped at bnllThreshold.
func (l *bnllLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	x, dy, dx := l.in.input(bottom[0]), top[0].Diff, bottom[0].Diff
	l.loop.backward(l, x, nil, dy, dx)
}

// backwardRange runs Backward on the elements [lo, hi).
func (l *bnllLayer) backwardRange(p *elementBackward, lo, hi int) {
	x, dy, dx := p.x, p.dy, p.dx
	for i := lo; i < hi; i++ {
		// Caffe's dy·e / (e + 1.) with e = expf(min(x, 50)): dy·e in float, the
		// division in float64.
		e := cmath.Expf(min(x[i], bnllThreshold))
		dx[i] = float32(float64(dy[i]*e) / (float64(e) + 1))
	}
}
