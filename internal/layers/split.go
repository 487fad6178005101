package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Split", newSplit) }

// split is the Split layer, which the net inserts where one blob feeds several layers:
// every top shares the bottom's values, and the bottom's gradient is the sum of the
// tops' gradients.
type split struct {
	base
	sum struct{ bottom, tops []*blob.Blob } // what Range adds up, set by Backward
}

func newSplit(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &split{base: newBase(p, ctx)}, nil
}

func (l *split) BlobCounts() BlobCounts { return BlobCounts{1, 1, 1, Any, false} }

func (l *split) Setup(bottom, top []*blob.Blob) error { return l.Reshape(bottom, top) }

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
	l.sum.bottom, l.sum.tops = bottom, top
	parallel.Run(bottom[0].Count(), elementwiseGrain, l)
	l.sum.bottom, l.sum.tops = nil, nil
}

// Range sums the tops' diffs into the bottom's, in top order, for elements lo to
// hi−1: the elements are split over the cores.
func (l *split) Range(lo, hi int) {
	d := l.sum.bottom[0].Diff[lo:hi]
	copy(d, l.sum.tops[0].Diff[lo:hi])
	for _, t := range l.sum.tops[1:] {
		for i, v := range t.Diff[lo:hi] {
			d[i] += v
		}
	}
}
