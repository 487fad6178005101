package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("SoftmaxWithLoss", newSoftmaxWithLoss) }

// fltMin is C's FLT_MIN, the smallest normal float32: Caffe clamps probabilities to
// it before taking their logarithm.
const fltMin = 0x1p-126

// softmaxWithLoss is the multinomial logistic loss of a softmax, computed together
// for numerical stability:
//
//	loss = −Σ_i log(max(p_i[label_i], FLT_MIN)) / normalizer
//
// over the positions i whose label is not ignore_label.
//
//	bottom[0] scores (outer, C, inner); bottom[1] labels (outer·inner values)
//	top[0] loss (scalar); top[1], if present, the probabilities (outer, C, inner)
type softmaxWithLoss struct {
	lossBase
	prob                   *blob.Blob // (outer, C, inner)
	outer, channels, inner int
	hasIgnore              bool
	ignore                 int
	mode                   caffepb.LossParameter_NormalizationMode
	normalizer             float32 // of the last Forward, reused by Backward
}

func newSoftmaxWithLoss(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	lp := p.GetLossParam()
	if lp == nil {
		lp = &caffepb.LossParameter{}
	}
	return &softmaxWithLoss{
		lossBase:  lossBase{newBase(p, ctx)},
		prob:      blob.New(),
		hasIgnore: lp.IgnoreLabel != nil,
		ignore:    int(lp.GetIgnoreLabel()),
		mode:      normalizationMode(lp),
	}, nil
}

// normalizationMode applies Caffe's rule for the legacy normalize flag: when
// normalization is unset, normalize: false means BATCH_SIZE and true means VALID.
func normalizationMode(lp *caffepb.LossParameter) caffepb.LossParameter_NormalizationMode {
	if lp == nil {
		return caffepb.LossParameter_VALID
	}
	if lp.Normalization == nil && lp.Normalize != nil {
		if lp.GetNormalize() {
			return caffepb.LossParameter_VALID
		}
		return caffepb.LossParameter_BATCH_SIZE
	}
	return lp.GetNormalization()
}

// normalizer is what a loss over outer·inner positions, validCount of them not
// ignored, is divided by; never less than 1.
func normalizer(mode caffepb.LossParameter_NormalizationMode, outer, inner, validCount int) float32 {
	var n float32
	switch mode {
	case caffepb.LossParameter_FULL:
		n = float32(outer * inner)
	case caffepb.LossParameter_VALID:
		if validCount < 0 {
			n = float32(outer * inner)
		} else {
			n = float32(validCount)
		}
	case caffepb.LossParameter_BATCH_SIZE:
		n = float32(outer)
	case caffepb.LossParameter_NONE:
		n = 1
	}
	return max(n, 1)
}

func (l *softmaxWithLoss) BlobCounts() BlobCounts { return BlobCounts{2, 2, 1, 2, false} }

func (l *softmaxWithLoss) Reshape(bottom, top []*blob.Blob) error {
	if bottom[0].NumAxes() == 0 || bottom[1].NumAxes() == 0 || bottom[0].Dim(0) != bottom[1].Dim(0) {
		return fmt.Errorf("the data and label should have the same first dimension: data %s, label %s",
			bottom[0].ShapeString(), bottom[1].ShapeString())
	}
	axis, err := bottom[0].CanonicalAxis(int(l.param.GetSoftmaxParam().GetAxis()))
	if err != nil {
		return fmt.Errorf("softmax_param.axis: %w", err)
	}
	l.outer, l.channels, l.inner = bottom[0].CountRange(0, axis), bottom[0].Dim(axis), bottom[0].CountFrom(axis+1)
	if l.outer*l.inner != bottom[1].Count() {
		return fmt.Errorf("number of labels must match number of predictions: with softmax axis %d and predictions %s, "+
			"the labels must count %d (integers in [0, %d)), got %s",
			axis, bottom[0].ShapeString(), l.outer*l.inner, l.channels, bottom[1].ShapeString())
	}
	l.reshapeLoss(top)
	l.prob.ReshapeLike(bottom[0])
	if len(top) > 1 {
		top[1].ReshapeLike(bottom[0])
	}
	return nil
}

func (l *softmaxWithLoss) Forward(bottom, top []*blob.Blob) error {
	softmaxForward(bottom[0].Data, l.prob.Data, l.outer, l.channels, l.inner)
	prob, label := l.prob.Data, bottom[1].Data
	var loss float32
	valid := 0
	for o := 0; o < l.outer; o++ {
		for in := 0; in < l.inner; in++ {
			lab := int(label[o*l.inner+in])
			if l.hasIgnore && lab == l.ignore {
				continue
			}
			if lab < 0 || lab >= l.channels {
				return fmt.Errorf("label %d at position %d is out of range [0, %d)", lab, o*l.inner+in, l.channels)
			}
			p := prob[(o*l.channels+lab)*l.inner+in]
			loss -= cmath.Logf(cppMax(p, fltMin))
			valid++
		}
	}
	l.normalizer = normalizer(l.mode, l.outer, l.inner, valid)
	top[0].Data[0] = loss / l.normalizer
	if len(top) == 2 {
		copy(top[1].Data, prob)
	}
	return nil
}

// Backward: dscores = (p − onehot(label)) · dloss / normalizer, 0 at ignored positions.
func (l *softmaxWithLoss) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	dx, label := bottom[0].Diff, bottom[1].Data
	copy(dx, l.prob.Data)
	for o := 0; o < l.outer; o++ {
		for in := 0; in < l.inner; in++ {
			lab := int(label[o*l.inner+in])
			if l.hasIgnore && lab == l.ignore {
				for c := 0; c < l.channels; c++ {
					dx[(o*l.channels+c)*l.inner+in] = 0
				}
				continue
			}
			dx[(o*l.channels+lab)*l.inner+in]--
		}
	}
	blas.Scal(top[0].Diff[0]/l.normalizer, dx) // Caffe's caffe_scal
}
