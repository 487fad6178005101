package layers

import (
	"fmt"
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("SigmoidCrossEntropyLoss", newSigmoidCrossEntropyLoss) }

// sigmoidCrossEntropyLoss is the cross-entropy of independent sigmoids against
// targets in [0, 1], computed from the scores x in the form that cannot overflow:
//
//	loss = −Σ_i [x_i·(t_i − [x_i≥0]) − log(1 + exp(x_i − 2·x_i·[x_i≥0]))] / normalizer
//
// over the elements whose target, truncated to an integer, is not ignore_label.
//
//	bottom[0] scores x (N, ...); bottom[1] targets t, the same count
//	top[0] loss (scalar)
type sigmoidCrossEntropyLoss struct {
	lossBase
	sig        *blob.Blob // σ(x), kept from Forward for Backward; the shape of bottom[0]
	outer      int        // N, the batch size
	inner      int        // elements per item
	hasIgnore  bool
	ignore     int
	mode       caffepb.LossParameter_NormalizationMode
	normalizer float32 // of the last Forward, reused by Backward
}

func newSigmoidCrossEntropyLoss(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	lp := p.GetLossParam()
	// Unlike SoftmaxWithLoss, this layer divides by the batch size when neither
	// normalization nor the legacy normalize is given: that was its only behaviour
	// before it learned loss_param, and Caffe kept it as the default.
	mode := caffepb.LossParameter_BATCH_SIZE
	if lp != nil && (lp.Normalization != nil || lp.Normalize != nil) {
		mode = normalizationMode(lp)
	}
	return &sigmoidCrossEntropyLoss{
		lossBase:  lossBase{newBase(p, ctx)},
		sig:       blob.New(),
		hasIgnore: lp != nil && lp.IgnoreLabel != nil,
		ignore:    int(lp.GetIgnoreLabel()),
		mode:      mode,
	}, nil
}

func (l *sigmoidCrossEntropyLoss) Reshape(bottom, top []*blob.Blob) error {
	x, t := bottom[0], bottom[1]
	if x.NumAxes() == 0 || t.NumAxes() == 0 || x.Dim(0) != t.Dim(0) || x.Count() != t.Count() {
		return fmt.Errorf("the scores and targets must have the same first dimension and the same count: scores %s, targets %s",
			x.ShapeString(), t.ShapeString())
	}
	l.outer, l.inner = x.Dim(0), x.CountFrom(1)
	l.reshapeLoss(top)
	l.sig.ReshapeLike(x)
	return nil
}

func (l *sigmoidCrossEntropyLoss) Forward(bottom, top []*blob.Blob) error {
	x, t, sig := bottom[0].Data, bottom[1].Data, l.sig.Data
	var loss float32
	valid := 0
	for i, xi := range x {
		// Caffe's Sigmoid layer computes σ through tanh.
		sig[i] = float32(float64(0.5*math.Tanh(0.5*float64(xi))) + 0.5)
		if l.hasIgnore && int(t[i]) == l.ignore {
			continue
		}
		var pos float32 // [x ≥ 0]
		if xi >= 0 {
			pos = 1
		}
		// Caffe's x·(t − [x ≥ 0]) − log(1 + exp(x − 2x·[x ≥ 0])) is all float:
		// expf, logf, and the product rounded before the subtraction.
		loss -= float32(xi*(t[i]-pos)) - cmath.Logf(1+cmath.Expf(xi-float32(2*xi*pos)))
		valid++
	}
	l.normalizer = normalizer(l.mode, l.outer, l.inner, valid)
	top[0].Data[0] = loss / l.normalizer
	return nil
}

// Backward: dx = (σ(x) − t)·dloss/normalizer, 0 where the target is ignored.
func (l *sigmoidCrossEntropyLoss) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	dx, t := bottom[0].Diff, bottom[1].Data
	// Caffe's caffe_sub, zeros for the ignored targets, then caffe_scal.
	scale := top[0].Diff[0] / l.normalizer
	for i, s := range l.sig.Data {
		v := s - t[i]
		if l.hasIgnore && int(t[i]) == l.ignore {
			v = 0
		}
		dx[i] = scalElem(scale, v)
	}
}
