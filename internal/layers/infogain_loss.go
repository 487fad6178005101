package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("InfogainLoss", newInfogainLoss) }

// infogainLoss generalises SoftmaxWithLoss with an information-gain matrix H (K×K)
// that says what predicting each class is worth for each true class. The scores go
// through a softmax along the infogain axis, then
//
//	loss = −Σ_i Σ_k H[l_i, k]·log(max(p_i[k], 1e-20)) / normalizer
//
// over the positions i whose label is not ignore_label. With H = I it is
// SoftmaxWithLoss (but for the clamp, 1e-20 here against FLT_MIN there).
//
//	bottom[0] scores (outer, K, inner); bottom[1] labels (outer·inner values)
//	bottom[2], if present, H (K² values); otherwise H is read from infogain_loss_param.source
//	top[0] loss (scalar); top[1], if present, the probabilities (outer, K, inner)
type infogainLoss struct {
	lossBase
	h                    *blob.Blob // H from the source file; nil when it is bottom[2]
	prob                 *blob.Blob // (outer, K, inner)
	rowSum               []float32  // (K) Σ_k H[l, k], for Backward
	outer, labels, inner int
	hasIgnore            bool
	ignore               int
	mode                 caffepb.LossParameter_NormalizationMode
	normalizer           float32 // of the last Forward, reused by Backward
}

func newInfogainLoss(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	lp := p.GetLossParam()
	if lp != nil && lp.Normalize != nil {
		// Caffe refuses the legacy flag here rather than interpreting it.
		return nil, fmt.Errorf("loss_param.normalize is deprecated and not accepted by InfogainLoss; use loss_param.normalization")
	}
	return &infogainLoss{
		lossBase:  lossBase{newBase(p, ctx)},
		prob:      blob.New(),
		hasIgnore: lp != nil && lp.IgnoreLabel != nil,
		ignore:    int(lp.GetIgnoreLabel()),
		mode:      lp.GetNormalization(),
	}, nil
}

func (l *infogainLoss) BlobCounts() BlobCounts { return BlobCounts{2, 3, 1, 2, false} }

// AllowForceBackward: only the scores get a gradient, not the labels nor H. (Caffe
// allows force_backward to reach a bottom H and then stops with a fatal error.)
func (l *infogainLoss) AllowForceBackward(i int) bool { return i == 0 }

func (l *infogainLoss) Setup(bottom, top []*blob.Blob) error {
	if len(bottom) < 3 {
		ip := l.param.GetInfogainLossParam()
		if ip.GetSource() == "" {
			return fmt.Errorf("infogain_loss_param.source must name the file of the infogain matrix H when H is not given as a third bottom")
		}
		h, err := readInfogainMatrix(ip.GetSource())
		if err != nil {
			return fmt.Errorf("infogain_loss_param.source: %w", err)
		}
		l.h = h
	}
	return nil
}

// readInfogainMatrix reads H from a binary BlobProto file (what Caffe's
// caffe.io.array_to_blobproto writes). Its shape does not matter, only its count.
func readInfogainMatrix(path string) (*blob.Blob, error) {
	bp, err := protofile.ReadBlobProto(path)
	if err != nil {
		return nil, err
	}
	h := blob.New()
	if err := h.FromProto(bp, true); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

func (l *infogainLoss) Reshape(bottom, top []*blob.Blob) error {
	x, lab := bottom[0], bottom[1]
	if x.NumAxes() == 0 || lab.NumAxes() == 0 || x.Dim(0) != lab.Dim(0) {
		return fmt.Errorf("the scores and labels should have the same first dimension: scores %s, labels %s",
			x.ShapeString(), lab.ShapeString())
	}
	axis, err := x.CanonicalAxis(int(l.param.GetInfogainLossParam().GetAxis()))
	if err != nil {
		return fmt.Errorf("infogain_loss_param.axis: %w", err)
	}
	l.outer, l.labels, l.inner = x.CountRange(0, axis), x.Dim(axis), x.CountFrom(axis+1)
	if l.outer*l.inner != lab.Count() {
		return fmt.Errorf("number of labels must match number of predictions: with infogain_loss_param.axis %d and scores %s, "+
			"the labels must count %d (integers in [0, %d)), got %s",
			axis, x.ShapeString(), l.outer*l.inner, l.labels, lab.ShapeString())
	}
	if h := l.matrix(bottom); h.Count() != l.labels*l.labels {
		from := "bottom[2]"
		if l.h != nil {
			from = l.param.GetInfogainLossParam().GetSource()
		}
		return fmt.Errorf("the infogain matrix H from %s has shape %s; with %d classes it must hold %d×%d = %d values",
			from, h.ShapeString(), l.labels, l.labels, l.labels, l.labels*l.labels)
	}
	l.reshapeLoss(top)
	l.prob.ReshapeLike(x)
	if len(top) > 1 {
		top[1].ReshapeLike(x)
	}
	if cap(l.rowSum) < l.labels {
		l.rowSum = make([]float32, l.labels)
	}
	l.rowSum = l.rowSum[:l.labels]
	return nil
}

// matrix is H: read from the source file, or the third bottom.
func (l *infogainLoss) matrix(bottom []*blob.Blob) *blob.Blob {
	if l.h != nil {
		return l.h
	}
	return bottom[2]
}

func (l *infogainLoss) Forward(bottom, top []*blob.Blob) error {
	softmaxForward(bottom[0].Data, l.prob.Data, l.outer, l.labels, l.inner)
	prob, label, h := l.prob.Data, bottom[1].Data, l.matrix(bottom).Data
	K := l.labels
	var loss float32
	valid := 0
	for o := 0; o < l.outer; o++ {
		for in := 0; in < l.inner; in++ {
			lab := int(label[o*l.inner+in])
			if l.hasIgnore && lab == l.ignore {
				continue
			}
			if lab < 0 || lab >= K {
				return fmt.Errorf("label %d at position %d is out of range [0, %d)", lab, o*l.inner+in, K)
			}
			for k := 0; k < K; k++ {
				p := prob[(o*K+k)*l.inner+in]
				loss -= h[lab*K+k] * cmath.Logf(max(p, logThreshold))
			}
			valid++
		}
	}
	l.normalizer = normalizer(l.mode, l.outer, l.inner, valid)
	top[0].Data[0] = loss / l.normalizer
	if len(top) > 1 {
		copy(top[1].Data, prob)
	}
	return nil
}

// Backward: dx_ik = (p_ik·Σ_k' H[l_i, k'] − H[l_i, k])·dloss/normalizer, 0 at ignored
// positions. (The softmax's Jacobian folded into the loss's gradient.)
func (l *infogainLoss) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	prob, label, h, dx := l.prob.Data, bottom[1].Data, l.matrix(bottom).Data, bottom[0].Diff
	K := l.labels
	for r := 0; r < K; r++ {
		var s float32
		for k := 0; k < K; k++ {
			s += h[r*K+k]
		}
		l.rowSum[r] = s
	}
	scale := top[0].Diff[0] / l.normalizer
	for o := 0; o < l.outer; o++ {
		for in := 0; in < l.inner; in++ {
			lab := int(label[o*l.inner+in])
			ignored := l.hasIgnore && lab == l.ignore
			for k := 0; k < K; k++ {
				i := (o*K+k)*l.inner + in
				if ignored {
					dx[i] = 0
					continue
				}
				dx[i] = (prob[i]*l.rowSum[lab] - h[lab*K+k]) * scale
			}
		}
	}
}
