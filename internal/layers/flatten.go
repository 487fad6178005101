package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Flatten", newFlatten) }

// flatten merges the axes [axis, end_axis] of its bottom into one. Nothing moves in
// memory, so the top is a view: it shares the bottom's values and gradient.
//
//	bottom (d0, …, d_{a-1}, d_a, …, d_e, d_{e+1}, …)
//	top    (d0, …, d_{a-1}, d_a·…·d_e, d_{e+1}, …)
type flatten struct {
	base
	topShape []int
}

func newFlatten(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &flatten{base: newBase(p, ctx)}, nil
}

func (l *flatten) BlobCounts() BlobCounts { return Exactly(1, 1) }

func (l *flatten) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	b := bottom[0]
	fp := l.param.GetFlattenParam()
	start, err := b.CanonicalAxis(int(fp.GetAxis()))
	if err != nil {
		return fmt.Errorf("flatten_param.axis: %w", err)
	}
	end, err := b.CanonicalAxis(int(fp.GetEndAxis()))
	if err != nil {
		return fmt.Errorf("flatten_param.end_axis: %w", err)
	}
	// Caffe takes count(start, end+1), which needs end+1 >= start; end = start−1
	// inserts an axis of size 1.
	if end < start-1 {
		return fmt.Errorf("flatten_param.end_axis %d (axis %d) comes before axis %d (axis %d) of bottom %s",
			fp.GetEndAxis(), end, fp.GetAxis(), start, b.ShapeString())
	}
	l.topShape = append(l.topShape[:0], b.Shape()[:start]...)
	l.topShape = append(l.topShape, b.CountRange(start, end+1))
	l.topShape = append(l.topShape, b.Shape()[end+1:]...)
	shareView(top[0], b, l.topShape)
	return nil
}

// Forward shares again: since Reshape the bottom may have been given new storage.
func (l *flatten) Forward(bottom, top []*blob.Blob) error {
	shareView(top[0], bottom[0], l.topShape)
	return nil
}

// Backward: the gradient is already in the bottom, which the top shares.
func (l *flatten) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	reshareDiff(top[0], bottom[0])
}

// shareView makes top a view of bottom in the given shape, whose count is the
// bottom's: the same storage for the values and for the gradient. Flatten and
// Reshape (and Concat of one bottom, Slice into one top) pass data through this way,
// as Caffe's do, and share again at the start of Forward and Backward, because a
// Reshape upstream may have given the bottom new storage.
//
// In place is refused (a view of itself in another shape would reshape the bottom
// under its producer). A layer that runs in place on the view's top — a ReLU after a
// Flatten — writes through to the bottom's storage, exactly as in Caffe, and its
// in-place gradient lands in the bottom's gradient, where the producer reads it.
func shareView(top, bottom *blob.Blob, shape []int) {
	top.ShareData(bottom)
	top.ShareDiff(bottom)
	top.Reshape(shape...) // the same count: keeps the shared storage
}

// reshareDiff runs at the start of a view's Backward. If the top's gradient storage
// has come apart from the bottom's (the top was given storage of its own after the
// layer's Forward), the gradient the layers above wrote there is copied down before
// the storage is shared again; otherwise there is nothing to do.
func reshareDiff(top, bottom *blob.Blob) {
	if sameStorage(top.Diff, bottom.Diff) {
		return
	}
	copy(bottom.Diff, top.Diff)
	top.ShareDiff(bottom)
}

// sameStorage reports whether two slices are the same memory.
func sameStorage(a, b []float32) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// rejectInPlace returns an error if a top is also a bottom, for the layers whose tops
// cannot overwrite their bottoms.
func rejectInPlace(bottom, top []*blob.Blob) error {
	for _, t := range top {
		for _, b := range bottom {
			if t == b {
				return fmt.Errorf("this layer does not allow in-place computation: give its top a name other than its bottom's")
			}
		}
	}
	return nil
}
