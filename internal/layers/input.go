package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Input", newInput) }

// input is the Input layer: tops of the shapes input_param gives, which the caller
// fills before Forward (a deploy net's data, a gradient check's random values).
type input struct{ base }

func newInput(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &input{newBase(p, ctx)}, nil
}

func (l *input) BlobCounts() BlobCounts { return BlobCounts{0, 0, 1, Any, false} }

func (l *input) Setup(bottom, top []*blob.Blob) error {
	shapes := l.param.GetInputParam().GetShape()
	if n := len(shapes); n != 0 && n != 1 && n != len(top) {
		return fmt.Errorf("input_param gives %d shapes for %d tops: give one shape for all tops or one per top", n, len(top))
	}
	for i, t := range top {
		if len(shapes) == 0 {
			continue // the caller shapes the tops
		}
		s := shapes[0]
		if len(shapes) > 1 {
			s = shapes[i]
		}
		shape, err := shapeFromProto(s)
		if err != nil {
			return fmt.Errorf("input_param shape %d: %w", i, err)
		}
		t.Reshape(shape...)
	}
	return nil
}

func (l *input) Reshape(bottom, top []*blob.Blob) error                      { return nil }
func (l *input) Forward(bottom, top []*blob.Blob) error                      { return nil }
func (l *input) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {}

// shapeFromProto checks a BlobShape from a user's file and returns it as ints.
func shapeFromProto(s *caffepb.BlobShape) ([]int, error) {
	dims := s.GetDim()
	if len(dims) > blob.MaxAxes {
		return nil, fmt.Errorf("%d axes, at most %d", len(dims), blob.MaxAxes)
	}
	shape := make([]int, len(dims))
	count := int64(1)
	for i, d := range dims {
		if d < 0 {
			return nil, fmt.Errorf("dimension %d is %d, must not be negative", i, d)
		}
		count *= d
		if count > 1<<40 {
			return nil, fmt.Errorf("shape %v is too large", dims)
		}
		shape[i] = int(d)
	}
	return shape, nil
}
