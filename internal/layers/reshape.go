package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Reshape", newReshape) }

// reshape gives its bottom a new shape without moving anything: the top is a view
// that shares the bottom's values and gradient (see shareView).
//
// reshape_param.shape replaces the bottom's axes [axis, axis+num_axes) (num_axes −1:
// to the end; a negative axis counts from the end, −1 being past the last axis). In
// the new dimensions, 0 copies the bottom's dimension at the same position and one −1
// is inferred from the count.
//
//	bottom (…)                 count n
//	top    the new shape       count n
type reshape struct {
	base
	copyAxes      []int // positions in shape holding 0
	inferredAxis  int   // position in shape holding −1, or −1
	constantCount int   // the product of the explicit dimensions
	topShape      []int
}

func newReshape(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	rp := p.GetReshapeParam()
	l := &reshape{base: newBase(p, ctx), inferredAxis: -1, constantCount: 1}
	for i, d := range rp.GetShape().GetDim() {
		switch {
		case d == 0:
			l.copyAxes = append(l.copyAxes, i)
		case d == -1:
			if l.inferredAxis >= 0 {
				return nil, fmt.Errorf("reshape_param.shape: new shape contains multiple -1 dims (at %d and %d); at most one dimension may be inferred",
					l.inferredAxis, i)
			}
			l.inferredAxis = i
		case d < -1:
			return nil, fmt.Errorf("reshape_param.shape: dimension %d is %d; dimensions are positive, 0 (copy the bottom's) or -1 (infer)", i, d)
		default:
			l.constantCount *= int(d)
		}
	}
	if rp.GetNumAxes() < -1 {
		return nil, fmt.Errorf("reshape_param.num_axes must be >= 0, or -1 for all, got %d", rp.GetNumAxes())
	}
	return l, nil
}

func (l *reshape) BlobCounts() BlobCounts { return Exactly(1, 1) }

func (l *reshape) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	b := bottom[0]
	rp := l.param.GetReshapeParam()
	n := b.NumAxes()
	inputAxis := int(rp.GetAxis())
	start := inputAxis
	if start < 0 {
		start = n + inputAxis + 1
	}
	if start < 0 || start > n {
		return fmt.Errorf("reshape_param.axis %d out of range for the %d-axis bottom %s", inputAxis, n, b.ShapeString())
	}
	numAxes := int(rp.GetNumAxes())
	end := n
	if numAxes != -1 {
		end = start + numAxes
	}
	if end > n {
		return fmt.Errorf("reshape_param: axis + num_axes = %d is out of range for the %d-axis bottom %s", end, n, b.ShapeString())
	}
	dims := rp.GetShape().GetDim()
	l.topShape = append(l.topShape[:0], b.Shape()[:start]...)
	for _, d := range dims {
		l.topShape = append(l.topShape, int(d))
	}
	l.topShape = append(l.topShape, b.Shape()[end:]...)
	for _, i := range l.copyAxes {
		if start+i >= n {
			return fmt.Errorf("reshape_param.shape: dimension %d is 0, but the bottom %s has no axis %d to copy", i, b.ShapeString(), start+i)
		}
		l.topShape[start+i] = b.Dim(start + i)
	}
	if l.inferredAxis >= 0 {
		explicit := l.constantCount * b.CountRange(0, start) * b.CountFrom(end)
		for _, i := range l.copyAxes {
			explicit *= l.topShape[start+i]
		}
		if explicit == 0 || b.Count()%explicit != 0 {
			return fmt.Errorf("reshape_param.shape: bottom count (%d, bottom %s) must be divisible by the product of the specified dimensions (%d)",
				b.Count(), b.ShapeString(), explicit)
		}
		l.topShape[start+l.inferredAxis] = b.Count() / explicit
	}
	count := 1
	for _, d := range l.topShape {
		count *= d
	}
	if count != b.Count() {
		return fmt.Errorf("reshape_param: output count must match input count: the new shape %s does not fit bottom %s",
			blob.ShapeString(l.topShape), b.ShapeString())
	}
	shareView(top[0], b, l.topShape)
	return nil
}

// Forward shares again: since Reshape the bottom may have been given new storage.
func (l *reshape) Forward(bottom, top []*blob.Blob) error {
	shareView(top[0], bottom[0], l.topShape)
	return nil
}

// Backward: the gradient is already in the bottom, which the top shares.
func (l *reshape) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	reshareDiff(top[0], bottom[0])
}
