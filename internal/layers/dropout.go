package layers

import (
	"fmt"
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/internal/math/vec"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Dropout", newDropout) }

// dropoutLayer zeroes each input with probability p in TRAIN and scales the kept ones
// by 1/(1 − p), so that the expected output is the input ("inverted" dropout, as in
// Caffe); in TEST it is the identity.
//
//	bottom any shape
//	top    the bottom's shape
//	keep   (the bottom's count) the mask of the last TRAIN forward: true where x was kept
type dropoutLayer struct {
	base
	ratio float32 // p, the probability of dropping
	scale float32 // 1/(1 − p)
	keep  []bool
	// The TRAIN passes' loops: out = keep ? in·scale : in·0, the forward pass (in
	// x, out y) and the backward pass (in dy, out dx) alike.
	fwd, bwd dropoutMask
}

func newDropout(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	ratio := p.GetDropoutParam().GetDropoutRatio()
	if !(ratio >= 0 && ratio < 1) {
		return nil, fmt.Errorf("dropout_param.dropout_ratio must be in [0, 1), got %g", ratio)
	}
	return &dropoutLayer{base: newBase(p, ctx), ratio: ratio, scale: float32(1 / (1 - float64(ratio)))}, nil
}

func (l *dropoutLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *dropoutLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	if n := bottom[0].Count(); cap(l.keep) < n {
		l.keep = make([]bool, n)
	} else {
		l.keep = l.keep[:n]
	}
	return nil
}

// Forward: in TRAIN, keep ~ Bernoulli(1 − p) and y = keep ? x/(1 − p) : 0;
// in TEST, y = x.
func (l *dropoutLayer) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	if l.phase() != caffepb.Phase_TRAIN {
		if !sameStorage(x, y) {
			copy(y, x)
		}
		return nil
	}
	l.drawMask()
	l.fwd = dropoutMask{l: l, in: x, out: y}
	parallel.Run(len(x), elementwiseGrain, &l.fwd)
	l.fwd = dropoutMask{}
	return nil
}

// drawMask draws the mask, in order, on the caller's goroutine: a seeded run (and
// the gradient checker, which reseeds) gets the same mask again. It is Caffe's:
// caffe_rng_bernoulli(count, 1. - threshold_, mask) draws one
// bernoulli_distribution<double> of the double 1 − ratio per element from the net's
// source, true when the engine's output u ≤ (1 − ratio)·(2³² − 1) in double (see
// rng.Bernoulli): for an integer u, when u ≤ the floor of that bound.
func (l *dropoutLayer) drawMask() {
	bound := (1 - float64(l.ratio)) * math.MaxUint32
	if bound <= 0 {
		clear(l.keep) // Bernoulli(0) draws nothing (ratio < 1: cannot happen)
		return
	}
	thr := uint64(math.Floor(min(bound, math.MaxUint32)))
	r := l.ctx.RNG
	for i := range l.keep {
		l.keep[i] = uint64(r.Uint32()) <= thr
	}
}

// Backward: in TRAIN, dx = keep ? dy/(1 − p) : 0, with the mask of forward;
// in TEST, dx = dy.
func (l *dropoutLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	dy, dx := top[0].Diff, bottom[0].Diff
	if l.phase() != caffepb.Phase_TRAIN {
		if !sameStorage(dy, dx) {
			copy(dx, dy)
		}
		return
	}
	l.bwd = dropoutMask{l: l, in: dy, out: dx}
	parallel.Run(len(dy), elementwiseGrain, &l.bwd)
	l.bwd = dropoutMask{}
}

// dropoutMask is the loop of the TRAIN passes over the elements: the kept values
// scaled, the dropped ones times 0 (vec.MaskScale). Caffe computes in·mask·scale, so
// a dropped negative value is −0 (and a dropped infinity NaN), as in·0 is here.
type dropoutMask struct {
	l       *dropoutLayer
	in, out []float32
}

// Range computes the elements [lo, hi).
func (p *dropoutMask) Range(lo, hi int) {
	vec.MaskScale(p.out[lo:hi], p.in[lo:hi], p.l.keep[lo:hi], p.l.scale)
}
