package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("ReLU", newReLU) }

// relu is the rectifier y = max(x, 0) + negative_slope·min(x, 0). It may run in
// place (top and bottom the same blob): backward then reads the sign from the top,
// which has the input's sign.
type relu struct {
	base
	slope float32
	pass  reluPass // the running pass, for the workers (Range)
}

// reluPass is what a pass's loop reads: forward y from x, or backward dx from x
// and dy.
type reluPass struct {
	backward bool
	x, y     []float32
	dy, dx   []float32
}

func newReLU(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &relu{base: newBase(p, ctx), slope: p.GetReluParam().GetNegativeSlope()}, nil
}

func (l *relu) BlobCounts() BlobCounts                 { return Exactly(1, 1) }
func (l *relu) Setup(bottom, top []*blob.Blob) error   { return l.Reshape(bottom, top) }
func (l *relu) Reshape(bottom, top []*blob.Blob) error { top[0].ReshapeLike(bottom[0]); return nil }

// elementwiseGrain is the least number of elements worth a goroutine of its own.
const elementwiseGrain = 1 << 14

func (l *relu) Forward(bottom, top []*blob.Blob) error {
	l.pass = reluPass{x: bottom[0].Data, y: top[0].Data}
	parallel.Run(len(l.pass.x), elementwiseGrain, l)
	l.pass = reluPass{}
	return nil
}

func (l *relu) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	l.pass = reluPass{backward: true, x: bottom[0].Data, dy: top[0].Diff, dx: bottom[0].Diff}
	parallel.Run(len(l.pass.x), elementwiseGrain, l)
	l.pass = reluPass{}
}

// Range runs the current pass over the elements [lo, hi):
//
//	forward:  y = x > 0 ? x : slope·x
//	backward: dx = dy · (x > 0 ? 1 : slope)
func (l *relu) Range(lo, hi int) {
	p := &l.pass
	if !p.backward {
		x, y := p.x[lo:hi], p.y[lo:hi]
		for i, v := range x {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = l.slope * v
			}
		}
		return
	}
	x, dy, dx := p.x[lo:hi], p.dy[lo:hi], p.dx[lo:hi]
	for i := range x {
		if x[i] > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = l.slope * dy[i]
		}
	}
}
