package layers

import (
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Sigmoid", newSigmoid) }

// sigmoidLayer is the logistic function y = 1 / (1 + e^−x). Backward reads only y,
// so the layer may run in place.
//
//	bottom any shape
//	top    the bottom's shape
type sigmoidLayer struct {
	base
	loop elementLoop
}

func newSigmoid(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &sigmoidLayer{base: newBase(p, ctx)}, nil
}

func (l *sigmoidLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *sigmoidLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	return nil
}

// Forward: y = ½·tanh(½x) + ½, which equals 1/(1 + e^−x) but never overflows e^−x
// (Caffe's form).
func (l *sigmoidLayer) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	l.loop.forward(l, x, y)
	return nil
}

// forwardRange runs Forward on the elements [lo, hi).
func (l *sigmoidLayer) forwardRange(p *elementForward, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		// Caffe's 0.5·tanh(0.5·x) + 0.5 is in double (its constants are), with the C
		// library's double tanh; Go's math.Tanh stands in for it.
		y[i] = float32(float64(0.5*math.Tanh(0.5*float64(x[i]))) + 0.5)
	}
}

// Backward: dx = dy · y · (1 − y).
func (l *sigmoidLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	y, dy, dx := top[0].Data, top[0].Diff, bottom[0].Diff
	l.loop.backward(l, nil, y, dy, dx)
}

// backwardRange runs Backward on the elements [lo, hi).
func (l *sigmoidLayer) backwardRange(p *elementBackward, lo, hi int) {
	y, dy, dx := p.y, p.dy, p.dx
	for i := lo; i < hi; i++ {
		// Caffe's dy·y·(1. − y): the first product in float, the second in double.
		dx[i] = float32(float64(dy[i]*y[i]) * (1 - float64(y[i])))
	}
}
