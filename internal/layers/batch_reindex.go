package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("BatchReindex", newBatchReindex) }

// batchReindex picks items of the batch by index, in any order and with repeats:
// top[m] = bottom[0][idx[m]].
//
//	bottom[0] (N, D…)
//	bottom[1] (M)        the indices, integers in [0, N)
//	top       (M, D…)
type batchReindex struct {
	base
	inner int // values per item
}

func newBatchReindex(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &batchReindex{base: newBase(p, ctx)}, nil
}

func (l *batchReindex) BlobCounts() BlobCounts { return Exactly(2, 1) }

func (l *batchReindex) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	if bottom[1].NumAxes() != 1 {
		return fmt.Errorf("the indices (bottom 1, %s) must have 1 axis", bottom[1].ShapeString())
	}
	if bottom[0].NumAxes() == 0 {
		return fmt.Errorf("the data (bottom 0) must have a batch axis, got a scalar")
	}
	shape := append([]int{bottom[1].Dim(0)}, bottom[0].Shape()[1:]...)
	top[0].Reshape(shape...)
	l.inner = bottom[0].CountFrom(1)
	return nil
}

// Forward: top[m, :] = bottom[idx[m], :]. An index out of [0, N) is an error.
func (l *batchReindex) Forward(bottom, top []*blob.Blob) error {
	n := bottom[0].Dim(0)
	x, y, d := bottom[0].Data, top[0].Data, l.inner
	for m, v := range bottom[1].Data {
		i := int(v)
		if v < 0 || i >= n {
			return fmt.Errorf("index %g at position %d is out of the batch [0, %d)", v, m, n)
		}
		copy(y[m*d:(m+1)*d], x[i*d:(i+1)*d])
	}
	return nil
}

// AllowForceBackward is false for the indices: they have no gradient (Caffe aborts
// if asked for one).
func (l *batchReindex) AllowForceBackward(i int) bool { return i == 0 }

// Backward: dbottom[0][i, :] = Σ_{m: idx[m] = i} dtop[m, :], 0 for items not picked.
func (l *batchReindex) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if down[1] {
		clear(bottom[1].Diff)
	}
	if !down[0] {
		return
	}
	dy, dx, d := top[0].Diff, bottom[0].Diff, l.inner
	clear(dx)
	n := bottom[0].Dim(0)
	for m, v := range bottom[1].Data {
		i := int(v)
		if v < 0 || i >= n {
			continue // refused by Forward
		}
		row := dx[i*d : (i+1)*d]
		for j, g := range dy[m*d : (m+1)*d] {
			row[j] += g
		}
	}
}
