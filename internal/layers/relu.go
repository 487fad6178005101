package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/internal/math/vec"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("ReLU", newReLU) }

// relu is the rectifier y = max(x, 0) + negative_slope·min(x, 0). It may run in
// place (top and bottom the same blob): backward then reads the sign from the top,
// which has the input's sign.
type relu struct {
	base
	slope float32
	fwd   reluForward
	bwd   reluBackward
}

func newReLU(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	l := &relu{base: newBase(p, ctx), slope: p.GetReluParam().GetNegativeSlope()}
	l.fwd.l, l.bwd.l = l, l
	return l, nil
}

func (l *relu) BlobCounts() BlobCounts                 { return Exactly(1, 1) }
func (l *relu) Reshape(bottom, top []*blob.Blob) error { top[0].ReshapeLike(bottom[0]); return nil }

// Forward: y = x > 0 ? x : slope·x, the elements split over the cores.
func (l *relu) Forward(bottom, top []*blob.Blob) error {
	l.fwd.x, l.fwd.y = bottom[0].Data, top[0].Data
	parallel.Run(len(l.fwd.x), elementwiseGrain, &l.fwd)
	l.fwd.x, l.fwd.y = nil, nil
	return nil
}

// Backward: dx = dy · (x > 0 ? 1 : slope).
func (l *relu) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	l.bwd.x, l.bwd.dy, l.bwd.dx = bottom[0].Data, top[0].Diff, bottom[0].Diff
	parallel.Run(len(l.bwd.x), elementwiseGrain, &l.bwd)
	l.bwd.x, l.bwd.dy, l.bwd.dx = nil, nil, nil
}

// reluForward is ReLU's forward loop.
//
//	x, y (count)
type reluForward struct {
	l    *relu
	x, y []float32
}

// Range computes the elements [lo, hi).
func (p *reluForward) Range(lo, hi int) { vec.Relu(p.y[lo:hi], p.x[lo:hi], p.l.slope) }

// reluBackward is ReLU's backward loop.
//
//	x, dy, dx (count)
type reluBackward struct {
	l         *relu
	x, dy, dx []float32
}

// Range computes the elements [lo, hi).
func (p *reluBackward) Range(lo, hi int) {
	vec.ReluGrad(p.dx[lo:hi], p.x[lo:hi], p.dy[lo:hi], p.l.slope)
}
