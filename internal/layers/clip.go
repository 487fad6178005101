package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Clip", newClip) }

// clip limits every value to [clip_param.min, clip_param.max]:
// y = max(min, min(x, max)). Backward reads x, so in place it keeps a copy.
//
//	bottom any shape
//	top    the bottom's shape
//	in     a copy of the bottom, only in place
type clip struct {
	base
	loop   elementLoop
	lo, hi float32
	in     []float32
}

func newClip(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	cp := p.GetClipParam()
	if cp == nil || cp.Min == nil || cp.Max == nil {
		return nil, fmt.Errorf("clip_param.min and clip_param.max must be given")
	}
	if cp.GetMin() > cp.GetMax() {
		return nil, fmt.Errorf("clip_param: min %g is greater than max %g", cp.GetMin(), cp.GetMax())
	}
	return &clip{base: newBase(p, ctx), lo: cp.GetMin(), hi: cp.GetMax()}, nil
}

func (l *clip) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *clip) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	if top[0] == bottom[0] {
		l.in = blob.Grow(l.in, bottom[0].Count())
	}
	return nil
}

// Forward: y = max(min, min(x, max)).
func (l *clip) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	if top[0] == bottom[0] {
		copy(l.in, x)
	}
	l.loop.forward(l, x, y)
	return nil
}

// forwardRange runs Forward on the elements [lo, hi).
func (l *clip) forwardRange(p *elementForward, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		y[i] = max(l.lo, min(x[i], l.hi))
	}
}

// Backward: dx = dy where min <= x <= max, 0 elsewhere (the bounds included, as in
// Caffe).
func (l *clip) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	x, dy, dx := bottom[0].Data, top[0].Diff, bottom[0].Diff
	if top[0] == bottom[0] {
		x = l.in
	}
	l.loop.backward(l, x, nil, dy, dx)
}

// backwardRange runs Backward on the elements [lo, hi).
func (l *clip) backwardRange(p *elementBackward, lo, hi int) {
	x, dy, dx := p.x, p.dy, p.dx
	for i := lo; i < hi; i++ {
		if x[i] >= l.lo && x[i] <= l.hi {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}
