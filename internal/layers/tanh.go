package layers

import (
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("TanH", newTanH) }

// tanhLayer is the hyperbolic tangent y = tanh(x). Backward reads only y, so the
// layer may run in place.
//
//	bottom any shape
//	top    the bottom's shape
type tanhLayer struct{ base }

func newTanH(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &tanhLayer{newBase(p, ctx)}, nil
}

func (l *tanhLayer) BlobCounts() BlobCounts               { return Exactly(1, 1) }
func (l *tanhLayer) Setup(bottom, top []*blob.Blob) error { return l.Reshape(bottom, top) }
func (l *tanhLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	return nil
}

// Forward: y = tanh(x).
func (l *tanhLayer) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	parallel.For(len(x), elementwiseGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = float32(math.Tanh(float64(x[i])))
		}
	})
	return nil
}

// Backward: dx = dy · (1 − y²).
func (l *tanhLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	y, dy, dx := top[0].Data, top[0].Diff, bottom[0].Diff
	parallel.For(len(y), elementwiseGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dx[i] = dy[i] * (1 - y[i]*y[i])
		}
	})
}
