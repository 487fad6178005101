package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Concat", newConcat) }

// concat joins its bottoms along one axis (concat_param.axis, or the legacy
// concat_dim). The bottoms agree on every other dimension.
//
//	bottom i (outer, C_i, inner)
//	top      (outer, ΣC_i, inner)
//
// With a single bottom the top is a view of it (see shareView). The copies run in
// pieces split over the cores (gatherAxis, scatterAxis): copies, the same bits in
// both numerics.
type concat struct {
	base
	axisJoin
}

// axisJoin is what Concat and Slice, each the other's backward pass, share: the
// axis they join or cut along, the sizes around it, the parts' geometry, and the
// loops that copy the parts into the joined blob (gather) and out of it (scatter).
type axisJoin struct {
	axis         int
	outer, inner int
	parts        axisParts
	gather       gatherAxis
	scatter      scatterAxis
}

// gatherTo copies the parts' buffers (parts.bufs, set by the caller) into joined,
// and lets go of them.
func (j *axisJoin) gatherTo(joined []float32) {
	j.gather = gatherAxis{a: &j.parts, joined: joined}
	j.parts.run(&j.gather)
	j.gather = gatherAxis{}
	clear(j.parts.bufs)
}

// scatterFrom copies joined out into the parts' buffers (parts.bufs, set by the
// caller; a nil one is skipped), and lets go of them.
func (j *axisJoin) scatterFrom(joined []float32) {
	j.scatter = scatterAxis{a: &j.parts, joined: joined}
	j.parts.run(&j.scatter)
	j.scatter = scatterAxis{}
	clear(j.parts.bufs)
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
	l.parts.reshape(l.outer, l.inner, l.axis, bottom)
	return nil
}

// Forward: top[o, off_i : off_i+C_i, :] = bottom_i[o, :, :], where off_i = Σ_{j<i} C_j.
func (l *concat) Forward(bottom, top []*blob.Blob) error {
	if len(bottom) == 1 {
		shareView(top[0], bottom[0], bottom[0].Shape())
		return nil
	}
	for i, b := range bottom {
		l.parts.bufs[i] = b.Data
	}
	l.gatherTo(top[0].Data)
	return nil
}

// Backward: dbottom_i[o, :, :] = dtop[o, off_i : off_i+C_i, :].
func (l *concat) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if len(bottom) == 1 {
		reshareDiff(top[0], bottom[0])
		return
	}
	for i, b := range bottom {
		if down[i] {
			l.parts.bufs[i] = b.Diff
		}
	}
	l.scatterFrom(top[0].Diff)
}

// axisParts is the geometry of blobs joined along an axis, for the copies of Concat
// and Slice: the joined blob (outer, ΣC_i, inner) and part i (outer, C_i, inner).
// The copies are cut into pieces of at most copyPiece values, a part's block of one
// o being one or more pieces, and the pieces split over the cores.
type axisParts struct {
	outer    int
	size     []int       // per part: C_i·inner, its block of one o
	off      []int       // per part: Σ_{j<i} C_j·inner, where its block starts in the joined one's
	joined   int         // ΣC_i·inner, the joined blob's block of one o
	pieces   []int       // per part: the pieces of its block
	perOuter int         // Σ pieces
	bufs     [][]float32 // per part: the values a pass copies (nil: none), set by the layer
}

// copyPiece is the most values one piece of a copy holds.
const copyPiece = elementwiseGrain

// reshape sets the geometry for the parts, whose axis axis is the joined one.
func (a *axisParts) reshape(outer, inner, axis int, parts []*blob.Blob) {
	n := len(parts)
	a.outer = outer
	a.size, a.off, a.pieces = resizeInts(a.size, n), resizeInts(a.off, n), resizeInts(a.pieces, n)
	if cap(a.bufs) < n {
		a.bufs = make([][]float32, n)
	}
	a.bufs = a.bufs[:n]
	a.joined, a.perOuter = 0, 0
	for i, p := range parts {
		a.size[i] = p.Dim(axis) * inner
		a.off[i] = a.joined
		a.joined += a.size[i]
		a.pieces[i] = max(1, (a.size[i]+copyPiece-1)/copyPiece)
		a.perOuter += a.pieces[i]
	}
}

// run runs loop over the pieces on the workers, a worker taking pieces of at least
// copyPiece values in all.
func (a *axisParts) run(loop parallel.Ranger) {
	n := a.outer * a.perOuter
	if n == 0 {
		return
	}
	perPiece := max(1, a.outer*a.joined/n)
	parallel.Run(n, max(1, copyPiece/perPiece), loop)
}

// piece returns piece k's part i and o, and the values [lo, hi) of the part's block
// it holds.
func (a *axisParts) piece(k int) (i, o, lo, hi int) {
	o, r := k/a.perOuter, k%a.perOuter
	for r >= a.pieces[i] {
		r -= a.pieces[i]
		i++
	}
	lo = r * copyPiece
	return i, o, lo, min(lo+copyPiece, a.size[i])
}

// gatherAxis copies the parts (a.bufs) into the joined blob: the forward pass of
// Concat, the backward pass of Slice.
type gatherAxis struct {
	a      *axisParts
	joined []float32
}

// Range copies the pieces [lo, hi).
func (p *gatherAxis) Range(lo, hi int) {
	a := p.a
	for k := lo; k < hi; k++ {
		i, o, s, e := a.piece(k)
		if src := a.bufs[i]; src != nil {
			copy(p.joined[o*a.joined+a.off[i]+s:o*a.joined+a.off[i]+e], src[o*a.size[i]+s:o*a.size[i]+e])
		}
	}
}

// scatterAxis copies the joined blob into the parts (a.bufs, those not nil): the
// forward pass of Slice, the backward pass of Concat.
type scatterAxis struct {
	a      *axisParts
	joined []float32
}

// Range copies the pieces [lo, hi).
func (p *scatterAxis) Range(lo, hi int) {
	a := p.a
	for k := lo; k < hi; k++ {
		i, o, s, e := a.piece(k)
		if dst := a.bufs[i]; dst != nil {
			copy(dst[o*a.size[i]+s:o*a.size[i]+e], p.joined[o*a.joined+a.off[i]+s:o*a.joined+a.off[i]+e])
		}
	}
}
