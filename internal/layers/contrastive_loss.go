package layers

import (
	"fmt"
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("ContrastiveLoss", newContrastiveLoss) }

// contrastiveLoss trains siamese nets: similar pairs are pulled together, dissimilar
// ones pushed at least margin apart. With d_n = ‖a_n − b_n‖ and y_n the similarity flag,
//
//	loss = Σ_n [y_n·d_n² + (1 − y_n)·max(margin − d_n, 0)²] / 2N
//
// or, with legacy_version, max(margin − d_n², 0) for the dissimilar pairs.
//
//	bottom[0] a (N, C), bottom[1] b (N, C) — (N, C, 1, 1) in Caffe's nets
//	bottom[2] y (N values, nonzero = similar)
//	top[0] loss (scalar)
type contrastiveLoss struct {
	lossBase
	margin   float32
	legacy   bool
	diff     *blob.Blob // a − b (N, C), kept from Forward for Backward
	distSq   []float32  // (N) d_n²
	num, dim int        // N, C
}

func newContrastiveLoss(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	cp := p.GetContrastiveLossParam()
	return &contrastiveLoss{
		lossBase: lossBase{newBase(p, ctx)},
		margin:   cp.GetMargin(),
		legacy:   cp.GetLegacyVersion(),
		diff:     blob.New(),
	}, nil
}

func (l *contrastiveLoss) BlobCounts() BlobCounts { return Exactly(3, 1) }

// AllowForceBackward: both feature inputs get a gradient, the similarity flags not.
func (l *contrastiveLoss) AllowForceBackward(i int) bool { return i != 2 }

func (l *contrastiveLoss) Reshape(bottom, top []*blob.Blob) error {
	a, b, y := bottom[0], bottom[1], bottom[2]
	for i, f := range []*blob.Blob{a, b} {
		if f.NumAxes() < 1 || f.NumAxes() > 4 || f.Height() != 1 || f.Width() != 1 {
			return fmt.Errorf("bottom[%d] must be features of shape (N, C) or (N, C, 1, 1), got %s", i, f.ShapeString())
		}
	}
	if a.Num() != b.Num() || a.Channels() != b.Channels() {
		return fmt.Errorf("the two feature inputs must have the same shape: %s vs %s", a.ShapeString(), b.ShapeString())
	}
	if y.Count() != a.Num() {
		return fmt.Errorf("the similarity input must hold one flag per pair: %d pairs, got %s", a.Num(), y.ShapeString())
	}
	l.num, l.dim = a.Num(), a.Channels()
	l.reshapeLoss(top)
	l.diff.Reshape(l.num, l.dim)
	if cap(l.distSq) < l.num {
		l.distSq = make([]float32, l.num)
	}
	l.distSq = l.distSq[:l.num]
	return nil
}

func (l *contrastiveLoss) Forward(bottom, top []*blob.Blob) error {
	a, b, y, d := bottom[0].Data, bottom[1].Data, bottom[2].Data, l.diff.Data
	var loss float32
	for n := 0; n < l.num; n++ {
		row := d[n*l.dim : (n+1)*l.dim]
		for c := range row {
			row[c] = a[n*l.dim+c] - b[n*l.dim+c]
		}
		sq := blas.Dot(row, row) // Caffe's caffe_cpu_dot
		l.distSq[n] = sq
		switch {
		case int(y[n]) != 0: // similar
			loss += sq
		case l.legacy:
			loss += cppMax(l.margin-sq, 0)
		default:
			m := cppMax(l.margin-float32(math.Sqrt(float64(sq))), 0)
			loss += m * m
		}
	}
	top[0].Data[0] = loss / float32(l.num) / 2
	return nil
}

// Backward, with α = ±dloss/N (+ for a, − for b):
//
//	similar:     d·α
//	dissimilar:  −d·α                           (legacy, while margin − d² > 0)
//	             −d·α·(margin − ‖d‖)/(‖d‖ + 1e-4)  (while margin − ‖d‖ > 0)
//
// and 0 for dissimilar pairs already beyond the margin. The 1e-4 is Caffe's guard
// against a zero distance.
func (l *contrastiveLoss) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	y, d := bottom[2].Data, l.diff.Data
	for i := 0; i < 2; i++ {
		if !down[i] {
			continue
		}
		var sign float32 = 1
		if i == 1 {
			sign = -1
		}
		alpha := sign * top[0].Diff[0] / float32(l.num)
		dx := bottom[i].Diff
		for n := 0; n < l.num; n++ {
			row, drow := d[n*l.dim:(n+1)*l.dim], dx[n*l.dim:(n+1)*l.dim]
			beta := alpha
			if int(y[n]) == 0 {
				var mdist float32
				if l.legacy {
					mdist = l.margin - l.distSq[n]
					beta = -alpha
				} else {
					dist := float32(math.Sqrt(float64(l.distSq[n])))
					mdist = l.margin - dist
					beta = -alpha * mdist / (dist + 1e-4)
				}
				if !(mdist > 0) {
					clear(drow)
					continue
				}
			}
			blas.Axpby(beta, row, 0, drow) // Caffe's caffe_cpu_axpby onto zeros
		}
	}
}
