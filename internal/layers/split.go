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
type split struct{ base }

func newSplit(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &split{newBase(p, ctx)}, nil
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
	// d = Σ top diffs, added in top order, the elements split over the cores.
	d := bottom[0].Diff
	parallel.For(len(d), elementwiseGrain, func(lo, hi int) {
		ds := d[lo:hi]
		copy(ds, top[0].Diff[lo:hi])
		for _, t := range top[1:] {
			for i, v := range t.Diff[lo:hi] {
				ds[i] += v
			}
		}
	})
}
