package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Concat", newConcat) }

// concat joins its bottoms along one axis (concat_param.axis, or the legacy
// concat_dim). The bottoms agree on every other dimension.
//
//	bottom i (outer, C_i, inner)
//	top      (outer, ΣC_i, inner)
//
// With a single bottom the top is a view of it (see shareView).
type concat struct {
	base
	axis         int
	outer, inner int
}

func newConcat(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	cp := p.GetConcatParam()
	if cp != nil && cp.Axis != nil && cp.ConcatDim != nil {
		return nil, fmt.Errorf("concat_param: give either axis or concat_dim, not both")
	}
	return &concat{base: newBase(p, ctx)}, nil
}

func (l *concat) BlobCounts() BlobCounts {
	return BlobCounts{MinBottom: 1, MaxBottom: Any, MinTop: 1, MaxTop: 1}
}

func (l *concat) Setup(bottom, top []*blob.Blob) error { return l.Reshape(bottom, top) }

func (l *concat) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	b0 := bottom[0]
	n := b0.NumAxes()
	cp := l.param.GetConcatParam()
	if cp != nil && cp.ConcatDim != nil {
		l.axis = int(cp.GetConcatDim())
		if l.axis >= n {
			return fmt.Errorf("concat_param.concat_dim %d out of range for the %d-axis bottom %s", l.axis, n, b0.ShapeString())
		}
	} else {
		a, err := b0.CanonicalAxis(int(cp.GetAxis()))
		if err != nil {
			return fmt.Errorf("concat_param.axis: %w", err)
		}
		l.axis = a
	}
	shape := append([]int(nil), b0.Shape()...)
	for i, b := range bottom[1:] {
		if b.NumAxes() != n {
			return fmt.Errorf("all inputs must have the same number of axes: bottom 0 is %s, bottom %d is %s",
				b0.ShapeString(), i+1, b.ShapeString())
		}
		for j := 0; j < n; j++ {
			if j != l.axis && b.Dim(j) != b0.Dim(j) {
				return fmt.Errorf("all inputs must have the same shape, except at the concat axis %d: bottom 0 is %s, bottom %d is %s",
					l.axis, b0.ShapeString(), i+1, b.ShapeString())
			}
		}
		shape[l.axis] += b.Dim(l.axis)
	}
	l.outer, l.inner = b0.CountRange(0, l.axis), b0.CountFrom(l.axis+1)
	if len(bottom) == 1 {
		shareView(top[0], b0, shape)
		return nil
	}
	top[0].Reshape(shape...)
	return nil
}

// Forward: top[o, off_i : off_i+C_i, :] = bottom_i[o, :, :], where off_i = Σ_{j<i} C_j.
func (l *concat) Forward(bottom, top []*blob.Blob) error {
	if len(bottom) == 1 {
		shareView(top[0], bottom[0], bottom[0].Shape())
		return nil
	}
	y := top[0].Data
	topC := top[0].Dim(l.axis)
	off := 0
	for _, b := range bottom {
		c := b.Dim(l.axis)
		rows := c * l.inner
		for o := 0; o < l.outer; o++ {
			copy(y[(o*topC+off)*l.inner:][:rows], b.Data[o*rows:][:rows])
		}
		off += c
	}
	return nil
}

// Backward: dbottom_i[o, :, :] = dtop[o, off_i : off_i+C_i, :].
func (l *concat) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if len(bottom) == 1 {
		reshareDiff(top[0], bottom[0])
		return
	}
	dy := top[0].Diff
	topC := top[0].Dim(l.axis)
	off := 0
	for i, b := range bottom {
		c := b.Dim(l.axis)
		rows := c * l.inner
		if down[i] {
			for o := 0; o < l.outer; o++ {
				copy(b.Diff[o*rows:][:rows], dy[(o*topC+off)*l.inner:][:rows])
			}
		}
		off += c
	}
}
