package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
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
	mean, std                    []float32 // (groups) Caffe's mean_ and variance_ (σ + eps after Forward)
	temp                         []float32 // (count) the squares of forward; dy's copy in place
}

func newMVN(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	mp := p.GetMvnParam()
	return &mvn{base: newBase(p, ctx), normVariance: mp.GetNormalizeVariance(), acrossChannels: mp.GetAcrossChannels(), eps: mp.GetEps()}, nil
}

func (l *mvn) BlobCounts() BlobCounts { return Exactly(1, 1) }

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
	l.mean = blob.Grow(l.mean, l.groups)
	l.std = blob.Grow(l.std, l.groups)
	l.temp = blob.Grow(l.temp, b.Count())
	return nil
}

// Forward: per group, y = x − μ, then y /= σ + eps, with Caffe's calls: the means as a
// matrix-vector product of the (groups, dim) matrix with ones scaled by 1/dim
// (OpenBLAS's sgemv order), the variances likewise from the squares (caffe_powx: powf),
// σ = powf(σ², 0.5), and one rounding per element for the rest.
func (l *mvn) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	n, d := l.groups, l.dim
	if n == 0 || d == 0 {
		return nil
	}
	x, y = x[:n*d], y[:n*d]
	alpha := float32(1 / float64(d))
	blas.GemvOnes(false, n, d, alpha, x, 0, l.mean)
	for g, m := range l.mean {
		for i := g * d; i < (g+1)*d; i++ {
			y[i] = x[i] + -m
		}
	}
	if !l.normVariance {
		return nil
	}
	blas.Powx(y, 2, l.temp)
	blas.GemvOnes(false, n, d, alpha, l.temp, 0, l.std)
	blas.Powx(l.std, 0.5, l.std)
	for g := range l.std {
		l.std[g] += l.eps
	}
	for g, sd := range l.std {
		for i := g * d; i < (g+1)*d; i++ {
			y[i] /= sd
		}
	}
	return nil
}

// Backward, with means over the group:
//
//	mean only:           dx = dy − mean(dy)
//	normalize_variance:  dx = (dy − mean(dy) − mean(dy·y)·y) / (σ + eps)
//
// computed with Caffe's calls: sums over the group as products with ones (scaled by
// 1/dim for the mean-only case), broadcasts by products with k = 1 (one rounding
// each), Caffe's axpby (sscal by −1/dim, then saxpy of dy) and a division by σ + eps.
// Caffe's sequence reads dy after it has written dx, so in place (dx over dy) Caffe
// gets another gradient than its forward's; here dy is first copied aside in place,
// which gives Caffe's out-of-place result.
func (l *mvn) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	n, d := l.groups, l.dim
	if n == 0 || d == 0 {
		return
	}
	y, dy, dx := top[0].Data[:n*d], top[0].Diff[:n*d], bottom[0].Diff[:n*d]
	if top[0] == bottom[0] {
		copy(l.temp, dy)
		dy = l.temp
	}
	if !l.normVariance {
		blas.GemvOnes(false, n, d, float32(1/float64(d)), dy, 0, l.mean)
		for g, m := range l.mean {
			for i := g * d; i < (g+1)*d; i++ {
				dx[i] = dy[i] + -m
			}
		}
		return
	}
	for i, v := range y {
		dx[i] = v * dy[i]
	}
	blas.GemvOnes(false, n, d, 1, dx, 0, l.mean)
	for g, m := range l.mean {
		for i := g * d; i < (g+1)*d; i++ {
			dx[i] = y[i] * m
		}
	}
	blas.GemvOnes(false, n, d, 1, dy, 0, l.mean)
	for g, m := range l.mean {
		for i := g * d; i < (g+1)*d; i++ {
			dx[i] += m
		}
	}
	blas.Axpby(1, dy, float32(-1/float64(d)), dx)
	for g, sd := range l.std {
		for i := g * d; i < (g+1)*d; i++ {
			dx[i] /= sd
		}
	}
}
