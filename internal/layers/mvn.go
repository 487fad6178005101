package layers

import (
	"fmt"
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("MVN", newMVN) }

// mvn normalises the mean (and, with normalize_variance, the variance) of every
// channel of every instance — of every instance with across_channels:
//
//	y = (x − μ) / (σ + eps)   or   y = x − μ
//
// where μ and σ² are the group's mean and (biased) variance. Note that eps is added
// to σ, not to σ² as in BatchNorm: Caffe's formula.
//
//	bottom (N, C, H, W)        at most 4 axes, seen as Caffe's legacy 4-D shape
//	top    (N, C, H, W)        4 axes, whatever the bottom has
//	std    (groups)            σ + eps of the last Forward; groups = N, or N·C
type mvn struct {
	base
	normVariance, acrossChannels bool
	eps                          float32
	groups, dim                  int
	std                          []float32
}

func newMVN(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	mp := p.GetMvnParam()
	return &mvn{base: newBase(p, ctx), normVariance: mp.GetNormalizeVariance(), acrossChannels: mp.GetAcrossChannels(), eps: mp.GetEps()}, nil
}

func (l *mvn) BlobCounts() BlobCounts { return Exactly(1, 1) }

func (l *mvn) Setup(bottom, top []*blob.Blob) error { return l.Reshape(bottom, top) }

func (l *mvn) Reshape(bottom, top []*blob.Blob) error {
	b := bottom[0]
	if b.NumAxes() > 4 {
		return fmt.Errorf("bottom %s has more than 4 axes; MVN works on (num, channels, height, width)", b.ShapeString())
	}
	num, ch, h, w := b.Num(), b.Channels(), b.Height(), b.Width()
	top[0].Reshape(num, ch, h, w) // in place too, as Caffe does
	l.groups = num * ch
	if l.acrossChannels {
		l.groups = num
	}
	l.dim = 0
	if l.groups > 0 {
		l.dim = b.Count() / l.groups
	}
	l.std = resizeFloat32(l.std, l.groups)
	return nil
}

// Forward: per group, y = x − μ, then y /= σ + eps.
func (l *mvn) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	d := l.dim
	for g := 0; g < l.groups; g++ {
		xs, ys := x[g*d:(g+1)*d], y[g*d:(g+1)*d]
		var s float64
		for _, v := range xs {
			s += float64(v)
		}
		mu := float32(s / float64(d))
		for i, v := range xs {
			ys[i] = v - mu
		}
		if !l.normVariance {
			continue
		}
		var ss float64
		for _, v := range ys {
			ss += float64(v) * float64(v)
		}
		sd := float32(math.Sqrt(float64(float32(ss/float64(d))))) + l.eps
		l.std[g] = sd
		for i := range ys {
			ys[i] /= sd
		}
	}
	return nil
}

// Backward, with means over the group:
//
//	mean only:           dx = dy − mean(dy)
//	normalize_variance:  dx = (dy − mean(dy) − mean(dy·y)·y) / (σ + eps)
//
// The group's sums are taken before its dx is written, and dx[i] reads only dy[i],
// so in place (dx over dy) is safe. (Caffe's own backward reads dy after writing dx
// there and so gets in-place gradients wrong; this is the gradient of its forward.)
func (l *mvn) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	y, dy, dx := top[0].Data, top[0].Diff, bottom[0].Diff
	d := l.dim
	for g := 0; g < l.groups; g++ {
		ys, dys, dxs := y[g*d:(g+1)*d], dy[g*d:(g+1)*d], dx[g*d:(g+1)*d]
		var sumDy, sumDyY float64
		for i, v := range dys {
			sumDy += float64(v)
			sumDyY += float64(v) * float64(ys[i])
		}
		meanDy := float32(sumDy / float64(d))
		if !l.normVariance {
			for i, v := range dys {
				dxs[i] = v - meanDy
			}
			continue
		}
		meanDyY, sd := float32(sumDyY/float64(d)), l.std[g]
		for i, v := range dys {
			dxs[i] = (v - meanDy - meanDyY*ys[i]) / sd
		}
	}
}
