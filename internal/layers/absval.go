package layers

import (
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("AbsVal", newAbsVal) }

// absValLayer is the absolute value y = |x|.
//
//	bottom any shape
//	top    the bottom's shape
//	in     a copy of the bottom, only in place: backward needs the sign of x, which
//	       y has lost
type absValLayer struct {
	base
	loop elementLoop
	in   savedInput
}

func newAbsVal(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &absValLayer{base: newBase(p, ctx)}, nil
}

func (l *absValLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *absValLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	l.in.reshape(bottom[0], top[0])
	return nil
}

// Forward: y = |x|.
func (l *absValLayer) Forward(bottom, top []*blob.Blob) error {
	l.in.save(bottom[0])
	x, y := bottom[0].Data, top[0].Data
	l.loop.forward(l, x, y)
	return nil
}

// forwardRange runs Forward on the elements [lo, hi).
func (l *absValLayer) forwardRange(p *elementForward, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		y[i] = float32(math.Abs(float64(x[i])))
	}
}

// Backward: dx = dy · sign(x), with sign(0) = 0 as in Caffe.
func (l *absValLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	x, dy, dx := l.in.input(bottom[0]), top[0].Diff, bottom[0].Diff
	l.loop.backward(l, x, nil, dy, dx)
}

// backwardRange runs Backward on the elements [lo, hi).
func (l *absValLayer) backwardRange(p *elementBackward, lo, hi int) {
	x, dy, dx := p.x, p.dy, p.dx
	for i := lo; i < hi; i++ {
		// Caffe's caffe_cpu_sign of x, times dy.
		dx[i] = dy[i] * caffeSign(x[i])
	}
}
