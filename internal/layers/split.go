package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/internal/math/vec"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Split", newSplit) }

// split is the Split layer, which the net inserts where one blob feeds several layers:
// every top shares the bottom's values, and the bottom's gradient is the sum of the
// tops' gradients.
type split struct {
	base
	back splitBackward
}

func newSplit(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &split{base: newBase(p, ctx)}, nil
}

func (l *split) BlobCounts() BlobCounts { return BlobCounts{1, 1, 1, Any, false} }

func (l *split) Reshape(bottom, top []*blob.Blob) error {
	for _, t := range top {
		t.ReshapeLike(bottom[0])
		t.ShareData(bottom[0])
	}
	return nil
}

func (l *split) Forward(bottom, top []*blob.Blob) error {
	for _, t := range top {
		t.ShareData(bottom[0])
	}
	return nil
}

// Backward: dbottom = Σ_i dtop_i.
func (l *split) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	l.back = splitBackward{dx: bottom[0].Diff, tops: top}
	parallel.Run(bottom[0].Count(), elementwiseGrain, &l.back)
	l.back = splitBackward{}
}

// splitBackward is Split's backward loop over the elements: the tops' gradients
// added in top order, as Caffe's caffe_add of the first two and caffe_axpy (with 1:
// one rounding) of the others compute them, in both numerics.
type splitBackward struct {
	dx   []float32
	tops []*blob.Blob
}

// Range sums the elements [lo, hi).
func (p *splitBackward) Range(lo, hi int) {
	dx := p.dx[lo:hi]
	if len(p.tops) == 1 {
		copy(dx, p.tops[0].Diff[lo:hi])
		return
	}
	vec.Add(dx, p.tops[0].Diff[lo:hi], p.tops[1].Diff[lo:hi])
	for _, t := range p.tops[2:] {
		vec.Add(dx, dx, t.Diff[lo:hi])
	}
}
