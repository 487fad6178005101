package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Parameter", newParameter) }

// parameter outputs a learned blob of parameter_param.shape (zeros until trained or
// loaded), so that other layers can take a parameter as a bottom. The top shares the
// blob's values and gradient, as in Caffe: the layer reading the top writes the
// parameter's gradient.
//
//	(no bottom)
//	blobs[0] parameter_param.shape
//	top      the same blob
type parameter struct {
	base
	shape []int
}

func newParameter(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	dims := p.GetParameterParam().GetShape().GetDim()
	if len(dims) > blob.MaxAxes {
		return nil, fmt.Errorf("parameter_param.shape has %d axes, at most %d", len(dims), blob.MaxAxes)
	}
	shape := make([]int, len(dims))
	for i, d := range dims {
		if d < 0 {
			return nil, fmt.Errorf("parameter_param.shape: dimension %d is %d, want >= 0", i, d)
		}
		shape[i] = int(d)
	}
	return &parameter{base: newBase(p, ctx), shape: shape}, nil
}

func (l *parameter) BlobCounts() BlobCounts { return Exactly(0, 1) }

func (l *parameter) Setup(bottom, top []*blob.Blob) error {
	if len(l.blobs) == 0 {
		l.blobs = []*blob.Blob{blob.New(l.shape...)}
	}
	return nil
}

func (l *parameter) Reshape(bottom, top []*blob.Blob) error {
	shareView(top[0], l.blobs[0], l.blobs[0].Shape())
	return nil
}

// Forward shares again: the blob may have been given new storage (weights loaded or
// shared with another layer's).
func (l *parameter) Forward(bottom, top []*blob.Blob) error {
	shareView(top[0], l.blobs[0], l.blobs[0].Shape())
	return nil
}

// Backward: the gradient is already in the blob, which the top shares.
func (l *parameter) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	reshareDiff(top[0], l.blobs[0])
}
