package layers

import (
	"math"

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
//
// Both values are computed and one kept by a conditional move (see pick): the sign
// of an activation is a coin toss, and a branch on it mispredicted half the time.
func (l *relu) Range(lo, hi int) {
	p, slope := &l.pass, l.slope
	if !p.backward {
		reluForward(p.x[lo:hi], p.y[lo:hi], slope)
		return
	}
	reluBackward(p.x[lo:hi], p.dy[lo:hi], p.dx[lo:hi], slope)
}

func reluForward(x, y []float32, slope float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = pick(v > 0, v, slope*v)
	}
}

func reluBackward(x, dy, dx []float32, slope float32) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	for i, v := range x {
		dx[i] = pick(v > 0, dy[i], slope*dy[i])
	}
}

// pick returns a if c, else b, without a branch: the compiler turns a choice
// between integers into a conditional move, not one between floats.
func pick(c bool, a, b float32) float32 {
	ra, rb := math.Float32bits(a), math.Float32bits(b)
	if c {
		rb = ra
	}
	return math.Float32frombits(rb)
}
