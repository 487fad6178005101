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
}

func newReLU(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &relu{newBase(p, ctx), p.GetReluParam().GetNegativeSlope()}, nil
}

func (l *relu) BlobCounts() BlobCounts                 { return Exactly(1, 1) }
func (l *relu) Setup(bottom, top []*blob.Blob) error   { return l.Reshape(bottom, top) }
func (l *relu) Reshape(bottom, top []*blob.Blob) error { top[0].ReshapeLike(bottom[0]); return nil }

// elementwiseGrain is the least number of elements worth a goroutine of its own.
const elementwiseGrain = 1 << 14

// Forward: y = x > 0 ? x : slope·x.
func (l *relu) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	parallel.For(len(x), elementwiseGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if v := x[i]; v > 0 {
				y[i] = v
			} else {
				y[i] = l.slope * v
			}
		}
	})
	return nil
}

// Backward: dx = dy · (x > 0 ? 1 : slope).
func (l *relu) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	x, dy, dx := bottom[0].Data, top[0].Diff, bottom[0].Diff
	parallel.For(len(x), elementwiseGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if x[i] > 0 {
				dx[i] = dy[i]
			} else {
				dx[i] = l.slope * dy[i]
			}
		}
	})
}
