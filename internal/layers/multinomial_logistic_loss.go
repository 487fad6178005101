package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("MultinomialLogisticLoss", newMultinomialLogisticLoss) }

// logThreshold is Caffe's kLOG_THRESHOLD: probabilities are clamped to it before their
// logarithm is taken, so that a zero probability costs 46 rather than infinity.
const logThreshold = 1e-20

// multinomialLogisticLoss is the negative log-likelihood of given probabilities
// (a Softmax's output, say):
//
//	loss = −Σ_n log(max(p_n[l_n], 1e-20)) / N
//
//	bottom[0] probabilities p (N, K...) — everything after the first axis is the K classes
//	bottom[1] labels (N values in [0, K))
//	top[0] loss (scalar)
type multinomialLogisticLoss struct {
	lossBase
	num, dim int // N, K
}

func newMultinomialLogisticLoss(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &multinomialLogisticLoss{lossBase: lossBase{newBase(p, ctx)}}, nil
}

func (l *multinomialLogisticLoss) Reshape(bottom, top []*blob.Blob) error {
	p, lab := bottom[0], bottom[1]
	if p.NumAxes() == 0 || lab.NumAxes() == 0 || p.Dim(0) != lab.Dim(0) || lab.Count() != p.Dim(0) {
		return fmt.Errorf("the labels must be one per item of the probabilities: probabilities %s, labels %s (want %d labels)",
			p.ShapeString(), lab.ShapeString(), p.Num())
	}
	l.num, l.dim = p.Dim(0), p.CountFrom(1)
	l.reshapeLoss(top)
	return nil
}

func (l *multinomialLogisticLoss) Forward(bottom, top []*blob.Blob) error {
	p, label := bottom[0].Data, bottom[1].Data
	var loss float32
	for n := 0; n < l.num; n++ {
		lab := int(label[n])
		if lab < 0 || lab >= l.dim {
			return fmt.Errorf("label %d of item %d is out of range [0, %d)", lab, n, l.dim)
		}
		loss -= cmath.Logf(max(p[n*l.dim+lab], logThreshold))
	}
	top[0].Data[0] = loss / float32(l.num)
	return nil
}

// Backward: dp_nk = −dloss / (N·max(p_nk, 1e-20)) for the true class k = l_n, else 0.
func (l *multinomialLogisticLoss) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	p, label, dp := bottom[0].Data, bottom[1].Data, bottom[0].Diff
	clear(dp)
	scale := -top[0].Diff[0] / float32(l.num)
	for n := 0; n < l.num; n++ {
		i := n*l.dim + int(label[n])
		dp[i] = scale / max(p[i], logThreshold)
	}
}
