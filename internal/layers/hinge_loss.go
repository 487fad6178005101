package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("HingeLoss", newHingeLoss) }

// hingeLoss is the one-vs-all hinge loss of K class scores per item:
//
//	m_nk = max(0, 1 − δ(l_n = k)·x_nk)   with δ = +1 for the true class, −1 otherwise
//	loss = Σ m_nk / N (L1)   or   Σ m_nk² / N (L2)
//
//	bottom[0] scores x (N, K...) — everything after the first axis is the K classes
//	bottom[1] labels (N values in [0, K))
//	top[0] loss (scalar)
type hingeLoss struct {
	lossBase
	norm   caffepb.HingeLossParameter_Norm
	margin *blob.Blob // the margins max(0, 1 ± x), kept from Forward for Backward; (N, K)
	num    int        // N
	dim    int        // K
}

func newHingeLoss(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	norm := p.GetHingeLossParam().GetNorm()
	if norm != caffepb.HingeLossParameter_L1 && norm != caffepb.HingeLossParameter_L2 {
		return nil, fmt.Errorf("hinge_loss_param.norm must be L1 or L2, got %v", norm)
	}
	return &hingeLoss{lossBase: lossBase{newBase(p, ctx)}, norm: norm, margin: blob.New()}, nil
}

func (l *hingeLoss) Reshape(bottom, top []*blob.Blob) error {
	x, lab := bottom[0], bottom[1]
	if x.NumAxes() == 0 || lab.NumAxes() == 0 || x.Dim(0) != lab.Dim(0) || lab.Count() != x.Dim(0) {
		return fmt.Errorf("the labels must be one per item of the scores: scores %s, labels %s (want %d labels)",
			x.ShapeString(), lab.ShapeString(), x.Num())
	}
	l.num, l.dim = x.Dim(0), x.CountFrom(1)
	l.reshapeLoss(top)
	l.margin.Reshape(l.num, l.dim)
	return nil
}

func (l *hingeLoss) Forward(bottom, top []*blob.Blob) error {
	x, label, m := bottom[0].Data, bottom[1].Data, l.margin.Data
	for n := 0; n < l.num; n++ {
		lab := int(label[n])
		if lab < 0 || lab >= l.dim {
			return fmt.Errorf("label %d of item %d is out of range [0, %d)", lab, n, l.dim)
		}
	}
	// Caffe's calls: the margins max(0, 1 ± x) (the true class's x negated), summed by
	// caffe_cpu_asum (L1) or caffe_cpu_dot with themselves (L2), in OpenBLAS's orders.
	copy(m, x[:len(m)])
	for n := 0; n < l.num; n++ {
		m[n*l.dim+int(label[n])] *= -1
	}
	for i, v := range m {
		m[i] = cppMax(0, 1+v)
	}
	var loss float32
	if l.norm == caffepb.HingeLossParameter_L1 {
		loss = blas.Asum(m)
	} else {
		loss = blas.Dot(m, m)
	}
	top[0].Data[0] = loss / float32(l.num)
	return nil
}

// Backward: dx_nk = ±[m_nk > 0]·dloss/N (L1), ±2·m_nk·dloss/N (L2), − for the true
// class: Caffe negates the true class's margin, then takes caffe_cpu_sign and
// caffe_scal (L1) or caffe_scal alone (L2).
func (l *hingeLoss) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	dx := bottom[0].Diff[:len(l.margin.Data)]
	copy(dx, l.margin.Data)
	label := bottom[1].Data
	for n := 0; n < l.num; n++ {
		dx[n*l.dim+int(label[n])] *= -1
	}
	lossWeight := top[0].Diff[0]
	if l.norm == caffepb.HingeLossParameter_L1 {
		for i, v := range dx {
			dx[i] = caffeSign(v)
		}
		blas.Scal(lossWeight/float32(l.num), dx)
		return
	}
	blas.Scal(lossWeight*2/float32(l.num), dx)
}
