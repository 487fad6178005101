package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Accuracy", newAccuracy) }

// accuracy is the fraction of positions whose true class is among the top_k scores,
// counted as Caffe counts it: a position is right when fewer than top_k other classes
// score at least as high as the true class. Ties therefore count against the
// prediction (all-equal scores are wrong for top_k 1). A NaN score never counts as
// right: Caffe's comparison alone counts a NaN true-class score, which nothing is >=
// to, as right, and a diverged net scored accuracy = 1.
//
//	bottom[0] scores (outer, C, inner); bottom[1] labels (outer·inner values)
//	top[0] accuracy (scalar); top[1], if present, per-class accuracy (C)
type accuracy struct {
	base
	topK                   int
	hasIgnore              bool
	ignore                 int
	outer, channels, inner int
	perClassCount          []float32 // (C) labels seen per class, for top[1]
}

func newAccuracy(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	ap := p.GetAccuracyParam()
	if ap.GetTopK() < 1 {
		return nil, fmt.Errorf("accuracy_param.top_k must be at least 1, got %d", ap.GetTopK())
	}
	return &accuracy{
		base:      newBase(p, ctx),
		topK:      int(ap.GetTopK()),
		hasIgnore: ap != nil && ap.IgnoreLabel != nil,
		ignore:    int(ap.GetIgnoreLabel()),
	}, nil
}

func (l *accuracy) BlobCounts() BlobCounts { return BlobCounts{2, 2, 1, 2, false} }

// AllowForceBackward: Accuracy has no gradient, so force_backward never reaches it.
func (l *accuracy) AllowForceBackward(int) bool { return false }

func (l *accuracy) Reshape(bottom, top []*blob.Blob) error {
	axis, err := bottom[0].CanonicalAxis(int(l.param.GetAccuracyParam().GetAxis()))
	if err != nil {
		return fmt.Errorf("accuracy_param.axis: %w", err)
	}
	l.outer, l.channels, l.inner = bottom[0].CountRange(0, axis), bottom[0].Dim(axis), bottom[0].CountFrom(axis+1)
	if l.outer*l.inner != bottom[1].Count() {
		return fmt.Errorf("number of labels must match number of predictions: with accuracy_param.axis %d and predictions %s, "+
			"the labels must count %d (integers in [0, %d)), got %s",
			axis, bottom[0].ShapeString(), l.outer*l.inner, l.channels, bottom[1].ShapeString())
	}
	if l.topK > l.channels {
		return fmt.Errorf("accuracy_param.top_k %d must be at most the number of classes, %d (predictions %s, axis %d)",
			l.topK, l.channels, bottom[0].ShapeString(), axis)
	}
	top[0].Reshape()
	if len(top) > 1 {
		top[1].Reshape(l.channels)
		if cap(l.perClassCount) < l.channels {
			l.perClassCount = make([]float32, l.channels)
		}
		l.perClassCount = l.perClassCount[:l.channels]
	}
	return nil
}

func (l *accuracy) Forward(bottom, top []*blob.Blob) error {
	x, label := bottom[0].Data, bottom[1].Data
	var perClass []float32
	if len(top) > 1 {
		perClass = top[1].Data
		clear(perClass)
		clear(l.perClassCount)
	}
	var correct float32
	count := 0
	for o := 0; o < l.outer; o++ {
		xo := x[o*l.channels*l.inner:]
		for in := 0; in < l.inner; in++ {
			lab := int(label[o*l.inner+in])
			if l.hasIgnore && lab == l.ignore {
				continue
			}
			if lab < 0 || lab >= l.channels {
				return fmt.Errorf("label %d at position %d is out of range [0, %d)", lab, o*l.inner+in, l.channels)
			}
			if perClass != nil {
				l.perClassCount[lab]++
			}
			// The true class counts itself as "at least as high", hence the −1. A NaN
			// score, the true class's or another's, makes the prediction wrong
			// (Caffe's comparison alone counts a NaN true class as right).
			truth := xo[lab*l.inner+in]
			better := -1
			if truth != truth {
				better = l.topK
			}
			for c := 0; c < l.channels && better < l.topK; c++ {
				if v := xo[c*l.inner+in]; v >= truth {
					better++
				} else if v != v {
					better = l.topK
				}
			}
			if better < l.topK {
				correct++
				if perClass != nil {
					perClass[lab]++
				}
			}
			count++
		}
	}
	top[0].Data[0] = 0
	if count > 0 {
		top[0].Data[0] = correct / float32(count)
	}
	for c := range perClass {
		if l.perClassCount[c] > 0 {
			perClass[c] /= l.perClassCount[c]
		}
	}
	return nil
}

// Backward does nothing: Accuracy has no gradient, and the net never asks it for one
// (it contributes nothing to the loss).
func (l *accuracy) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {}
