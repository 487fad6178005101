package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("EuclideanLoss", newEuclideanLoss) }

// euclideanLoss is half the mean squared distance between two blobs, for regression:
//
//	loss = Σ_i (a_i − b_i)² / 2N, N the first dimension
//
//	bottom[0] a, bottom[1] b: N first, the same count (shapes may differ after axis 0)
//	top[0] loss (scalar)
type euclideanLoss struct {
	lossBase
	diff *blob.Blob // a − b, kept from Forward for Backward; the shape of bottom[0]
}

func newEuclideanLoss(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &euclideanLoss{lossBase: lossBase{newBase(p, ctx)}, diff: blob.New()}, nil
}

// AllowForceBackward: both inputs get a gradient; the loss is symmetric in them.
func (l *euclideanLoss) AllowForceBackward(int) bool { return true }

func (l *euclideanLoss) Reshape(bottom, top []*blob.Blob) error {
	a, b := bottom[0], bottom[1]
	if a.NumAxes() == 0 || b.NumAxes() == 0 || a.Dim(0) != b.Dim(0) || a.CountFrom(1) != b.CountFrom(1) {
		return fmt.Errorf("the two inputs must have the same first dimension and the same size per item: %s vs %s",
			a.ShapeString(), b.ShapeString())
	}
	l.reshapeLoss(top)
	l.diff.ReshapeLike(a)
	return nil
}

func (l *euclideanLoss) Forward(bottom, top []*blob.Blob) error {
	a, b, d := bottom[0].Data, bottom[1].Data, l.diff.Data
	for i := range d {
		d[i] = a[i] - b[i]
	}
	// Caffe's caffe_cpu_dot: OpenBLAS's sdot order.
	top[0].Data[0] = blas.Dot(d, d) / float32(bottom[0].Dim(0)) / 2
	return nil
}

// Backward: da = (a − b)·dloss/N, db = −da, as Caffe's caffe_cpu_axpby(alpha, diff,
// 0, dbottom): sscal by 0, then saxpy.
func (l *euclideanLoss) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	for i := 0; i < 2; i++ {
		if !down[i] {
			continue
		}
		var sign float32 = 1
		if i == 1 {
			sign = -1
		}
		alpha := sign * top[0].Diff[0] / float32(bottom[i].Dim(0))
		blas.Axpby(alpha, l.diff.Data, 0, bottom[i].Diff)
	}
}
