package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Filter", newFilter) }

// filter passes on the items of a batch whose selector is not zero: with K blobs to
// filter and the selector last,
//
//	bottom[k] (N, D_k…)      k < K
//	bottom[K] (N, 1, …, 1)   the selector: an item goes through where it is non-zero
//	top[k]    (M, D_k…)      M = the number of selected items
//	selected  (M)            the selected items, in batch order
//
// M depends on the selector's values, so the tops are shaped by Reshape, which the net
// runs before every Forward, once the selector has been computed. At set-up the values
// are not there yet and the tops get all N items, as in Caffe.
type filter struct {
	base
	selector int // the selector's bottom index, K
	selected []int
	shape    []int // scratch for a top's shape
	setUp    bool  // the first Reshape, at set-up, has shaped the tops
}

func newFilter(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &filter{base: newBase(p, ctx)}, nil
}

func (l *filter) BlobCounts() BlobCounts { return BlobCounts{2, Any, 1, Any, false} }

func (l *filter) Setup(bottom, top []*blob.Blob) error {
	if len(top) != len(bottom)-1 {
		return fmt.Errorf("needs one top per filtered bottom (the last bottom is the selector): %d bottoms, %d tops",
			len(bottom), len(top))
	}
	l.selector = len(bottom) - 1
	return nil
}

func (l *filter) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	sel := bottom[len(bottom)-1]
	if sel.NumAxes() == 0 {
		return fmt.Errorf("the selector (bottom %d) must have a batch axis, got a scalar", len(bottom)-1)
	}
	for i := 1; i < sel.NumAxes(); i++ {
		if sel.Dim(i) != 1 {
			return fmt.Errorf("the selector (bottom %d, %s) must have one value per item: every axis but the first must be 1",
				len(bottom)-1, sel.ShapeString())
		}
	}
	n := sel.Dim(0)
	for k, b := range bottom[:len(bottom)-1] {
		if b.NumAxes() == 0 || b.Dim(0) != n {
			return fmt.Errorf("bottom %d (%s) must have the selector's %d items on its first axis", k, b.ShapeString(), n)
		}
	}
	l.selected = l.selected[:0]
	// (No values while only shapes are computed, see blob.ShapesOnly.)
	for item, v := range sel.Data[:min(n, len(sel.Data))] {
		if v != 0 {
			l.selected = append(l.selected, item)
		}
	}
	m := len(l.selected)
	if !l.setUp {
		m, l.setUp = n, true
	}
	for k, t := range top {
		l.shape = append(append(l.shape[:0], m), bottom[k].Shape()[1:]...)
		t.Reshape(l.shape...)
	}
	return nil
}

// Forward: top[k][j] = bottom[k][selected[j]].
func (l *filter) Forward(bottom, top []*blob.Blob) error {
	for k, t := range top {
		x, y, d := bottom[k].Data, t.Data, bottom[k].CountFrom(1)
		for j, item := range l.selected {
			copy(y[j*d:(j+1)*d], x[item*d:(item+1)*d])
		}
	}
	return nil
}

// Backward: dbottom[k][selected[j]] = dtop[k][j], zero for the items not selected.
// The selection is not differentiable: the net never asks for the selector's gradient
// (AllowForceBackward; Caffe stops with an error if one is asked for), and asked
// directly the layer gives zero.
func (l *filter) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	for k, t := range top {
		if !down[k] {
			continue
		}
		dx, dy, d := bottom[k].Diff, t.Diff, bottom[k].CountFrom(1)
		clear(dx)
		for j, item := range l.selected {
			copy(dx[item*d:(item+1)*d], dy[j*d:(j+1)*d])
		}
	}
	if down[l.selector] {
		clear(bottom[l.selector].Diff)
	}
}

// AllowForceBackward: force_backward does not reach the selector.
func (l *filter) AllowForceBackward(bottom int) bool { return bottom != l.selector }
