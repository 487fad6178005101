package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("ELU", newELU) }

// eluLayer is the exponential linear unit y = x for x > 0, α·(eˣ − 1) otherwise.
//
//	bottom any shape
//	top    the bottom's shape
//	in     a copy of the bottom, only in place: backward reads the sign of x
type eluLayer struct {
	base
	loop  elementLoop
	alpha float32
	in    savedInput
}

func newELU(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &eluLayer{base: newBase(p, ctx), alpha: p.GetEluParam().GetAlpha()}, nil
}

func (l *eluLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *eluLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	l.in.reshape(bottom[0], top[0])
	return nil
}

// Forward: y = x > 0 ? x : α·(eˣ − 1).
func (l *eluLayer) Forward(bottom, top []*blob.Blob) error {
	l.in.save(bottom[0])
	x, y := bottom[0].Data, top[0].Data
	l.loop.forward(l, x, y)
	return nil
}

// forwardRange runs Forward on the elements [lo, hi).
func (l *eluLayer) forwardRange(p *elementForward, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		if x[i] > 0 {
			y[i] = x[i]
		} else {
			// Caffe's α·(exp(x) − 1), with expf rather than expm1: it loses
			// precision near 0 just as Caffe does.
			y[i] = l.alpha * (cmath.Expf(x[i]) - 1)
		}
	}
}

// Backward: dx = dy · (x > 0 ? 1 : α·eˣ), and α·eˣ = y + α there.
func (l *eluLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	x, y, dy, dx := l.in.input(bottom[0]), top[0].Data, top[0].Diff, bottom[0].Diff
	l.loop.backward(l, x, y, dy, dx)
}

// backwardRange runs Backward on the elements [lo, hi).
func (l *eluLayer) backwardRange(p *elementBackward, lo, hi int) {
	x, y, dy, dx := p.x, p.y, p.dy, p.dx
	for i := lo; i < hi; i++ {
		if x[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = dy[i] * (y[i] + l.alpha)
		}
	}
}
