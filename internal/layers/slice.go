package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Slice", newSlice) }

// slice cuts its bottom along one axis (slice_param.axis, or the legacy slice_dim)
// into its tops: at the slice_points, or into equal parts when none are given.
//
//	bottom (outer, C, inner)
//	top i  (outer, C_i, inner)   ΣC_i = C
//
// With a single top the top is a view of the bottom (see shareView). The copies run
// in pieces split over the cores, as Concat's (axisParts).
type slice struct {
	base
	axisJoin
}

func newSlice(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	sp := p.GetSliceParam()
	if sp != nil && sp.Axis != nil && sp.SliceDim != nil {
		return nil, fmt.Errorf("slice_param: give either axis or slice_dim, not both")
	}
	return &slice{base: newBase(p, ctx)}, nil
}

func (l *slice) BlobCounts() BlobCounts {
	return BlobCounts{MinBottom: 1, MaxBottom: 1, MinTop: 1, MaxTop: Any}
}

func (l *slice) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	b := bottom[0]
	sp := l.param.GetSliceParam()
	if sp != nil && sp.SliceDim != nil {
		l.axis = int(sp.GetSliceDim())
		if l.axis >= b.NumAxes() {
			return fmt.Errorf("slice_param.slice_dim %d out of range for the %d-axis bottom %s", l.axis, b.NumAxes(), b.ShapeString())
		}
	} else {
		a, err := b.CanonicalAxis(int(sp.GetAxis()))
		if err != nil {
			return fmt.Errorf("slice_param.axis: %w", err)
		}
		l.axis = a
	}
	dim := b.Dim(l.axis)
	l.outer, l.inner = b.CountRange(0, l.axis), b.CountFrom(l.axis+1)
	shape := append([]int(nil), b.Shape()...)
	points := sp.GetSlicePoint()
	if len(points) > 0 {
		if len(points) != len(top)-1 {
			return fmt.Errorf("slice_param.slice_point: %d points give %d slices, but the layer has %d tops",
				len(points), len(points)+1, len(top))
		}
		if len(top) > dim {
			return fmt.Errorf("slice_param: %d tops cannot slice axis %d of bottom %s, of size %d", len(top), l.axis, b.ShapeString(), dim)
		}
		prev := 0
		for i, p := range points {
			if int(p) <= prev {
				return fmt.Errorf("slice_param.slice_point must be increasing and positive: %v", points)
			}
			if int(p) > dim {
				return fmt.Errorf("slice_param.slice_point %d is beyond axis %d of bottom %s, of size %d", p, l.axis, b.ShapeString(), dim)
			}
			shape[l.axis] = int(p) - prev
			top[i].Reshape(shape...)
			prev = int(p)
		}
		shape[l.axis] = dim - prev
		top[len(top)-1].Reshape(shape...)
	} else {
		if dim%len(top) != 0 {
			return fmt.Errorf("slice_param: the number of top blobs (%d) should evenly divide the input slice axis (axis %d of bottom %s, of size %d)",
				len(top), l.axis, b.ShapeString(), dim)
		}
		shape[l.axis] = dim / len(top)
		for _, t := range top {
			t.Reshape(shape...)
		}
	}
	if len(top) == 1 {
		shareView(top[0], b, b.Shape())
		return nil
	}
	l.parts.reshape(l.outer, l.inner, l.axis, top)
	return nil
}

// Forward: top_i[o, :, :] = bottom[o, off_i : off_i+C_i, :], where off_i = Σ_{j<i} C_j.
func (l *slice) Forward(bottom, top []*blob.Blob) error {
	if len(top) == 1 {
		shareView(top[0], bottom[0], bottom[0].Shape())
		return nil
	}
	for i, t := range top {
		l.parts.bufs[i] = t.Data
	}
	l.scatterFrom(bottom[0].Data)
	return nil
}

// Backward: dbottom[o, off_i : off_i+C_i, :] = dtop_i[o, :, :].
func (l *slice) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if len(top) == 1 {
		reshareDiff(top[0], bottom[0])
		return
	}
	if !down[0] {
		return
	}
	for i, t := range top {
		l.parts.bufs[i] = t.Diff
	}
	l.gatherTo(bottom[0].Diff)
}
