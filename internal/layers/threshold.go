package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Threshold", newThreshold) }

// thresholdLayer is the step y = 1 if x > threshold, 0 otherwise.
//
//	bottom any shape
//	top    the bottom's shape
type thresholdLayer struct {
	base
	loop      elementLoop
	threshold float32
}

func newThreshold(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &thresholdLayer{base: newBase(p, ctx), threshold: p.GetThresholdParam().GetThreshold()}, nil
}

func (l *thresholdLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *thresholdLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	return nil
}

// Forward: y = x > threshold ? 1 : 0.
func (l *thresholdLayer) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	l.loop.forward(l, x, y)
	return nil
}

// forwardRange runs Forward on the elements [lo, hi).
func (l *thresholdLayer) forwardRange(p *elementForward, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		if x[i] > l.threshold {
			y[i] = 1
		} else {
			y[i] = 0
		}
	}
}

// AllowForceBackward is false: Caffe's Threshold has no backward (it aborts if asked),
// so the net never asks for the bottom's gradient, not even with force_backward, and
// gradient checks skip the layer.
func (l *thresholdLayer) AllowForceBackward(int) bool { return false }

// Backward: should anything call it, it writes the step's derivative, 0 wherever it
// exists, so that the bottom's gradient is overwritten as every Backward does.
func (l *thresholdLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if down[0] {
		clear(bottom[0].Diff)
	}
}
