package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/internal/math/vec"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("LRN", newLRN) }

// lrn is Caffe's local response normalisation, in one of two regions:
//
// ACROSS_CHANNELS: every value is divided by the energy of its neighbours in the
// channels around it, n = local_size of them centred on its own:
//
//	scale_c = k + α/n · Σ_{c' = c−(n−1)/2 … c+(n−1)/2} x_c'²
//	y_c     = x_c · scale_c^−β
//
// WITHIN_CHANNEL: the neighbours are an n×n square around the value in its own
// channel. Caffe builds it from sub-layers — square, AVE pooling (kernel n, pad
// (n−1)/2, stride 1, so the divisor is always n² and the padding counts as zeros),
// Power(shift 1, scale α, power −β), and a product — and ignores k:
//
//	pooled = AVE(x²)
//	power  = (1 + α·pooled)^−β
//	y      = x · power
//
// It is done here directly with the same arithmetic, in the same order.
//
// In the caffe numerics both follow Caffe's calls value for value: x² as caffe_sqr (x·x) across channels
// and as a Power layer (powf(x, 2)) within; the running sums of the scales and of the
// backward ratios by caffe_axpy on (H, W) planes, whose products OpenBLAS fuses in
// blocks of 32 (blas.Axpy); every power by powf (caffe_powx, cmath.Powf), β = 0.75
// included; one rounding per element for the rest. The fast numerics differs in the
// powers of the across-channel region only: β = 0.75 by two float32 square roots
// (vec.PowScale), a few ulps from powf at a tenth of its cost.
//
//	bottom, top (N, C, H, W)
type lrn struct {
	base
	region         caffepb.LRNParameter_NormRegion
	size, prePad   int
	alpha, beta, k float32

	num, channels, height, width int

	// ACROSS_CHANNELS
	scale  []float32   // (N, C, H, W): the denominators before the power
	chunks int         // pieces the batch is split into
	accum  [][]float32 // per chunk: (H, W) running sum of the backward pass
	times  [][]float32 // per chunk: (H, W) x times that sum

	// WITHIN_CHANNEL
	geom   poolGeom  // the n×n window, pad (n−1)/2, stride 1
	pooled []float32 // (N, C, H, W): AVE of x² over the window
	power  []float32 // (N, C, H, W): (1 + α·pooled)^−β
	sq     []float32 // (N, C, H, W): x² in forward (both regions), its gradient in backward
	dpool  []float32 // (N, C, H, W): the gradient of pooled

	// The loops of the passes, one type each; kept here so that a pass allocates
	// nothing.
	squares  lrnSquares
	scales   lrnScales
	powScale lrnPowScale
	diffSum  lrnDiffSum
	withinF  lrnWithinForward
	withinB  lrnWithinBackward
}

func newLRN(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	lp := p.GetLrnParam()
	l := &lrn{
		base:   newBase(p, ctx),
		region: lp.GetNormRegion(),
		size:   int(lp.GetLocalSize()),
		alpha:  lp.GetAlpha(),
		beta:   lp.GetBeta(),
		k:      lp.GetK(),
	}
	if l.size <= 0 || l.size%2 != 1 {
		return nil, fmt.Errorf("lrn_param.local_size must be odd and positive, got %d", l.size)
	}
	switch l.region {
	case caffepb.LRNParameter_ACROSS_CHANNELS, caffepb.LRNParameter_WITHIN_CHANNEL:
	default:
		return nil, fmt.Errorf("lrn_param.norm_region: unknown normalisation region %v", l.region)
	}
	l.prePad = (l.size - 1) / 2
	return l, nil
}

func (l *lrn) BlobCounts() BlobCounts { return Exactly(1, 1) }

func (l *lrn) Reshape(bottom, top []*blob.Blob) error {
	b := bottom[0]
	if b.NumAxes() != 4 {
		return fmt.Errorf("input must have 4 axes (num, channels, height, width), got %s", b.ShapeString())
	}
	l.num, l.channels, l.height, l.width = b.Dim(0), b.Dim(1), b.Dim(2), b.Dim(3)
	top[0].ReshapeLike(b)
	n := b.Count()
	l.sq = blob.Grow(l.sq, n)
	if l.region == caffepb.LRNParameter_ACROSS_CHANNELS {
		l.scale = blob.Grow(l.scale, n)
		l.chunks = max(min(parallel.Workers(), l.num), 1)
		l.accum = resizeBuffers(l.accum, l.chunks, l.height*l.width)
		l.times = resizeBuffers(l.times, l.chunks, l.height*l.width)
		return nil
	}
	l.geom = poolGeom{
		h: l.height, w: l.width, kh: l.size, kw: l.size,
		padH: l.prePad, padW: l.prePad, strideH: 1, strideW: 1,
		outH: l.height, outW: l.width,
		// The tables kept for their room.
		rowMasks: l.geom.rowMasks, aveDiv: l.geom.aveDiv, backTable: l.geom.backTable, rowSpans: l.geom.rowSpans,
		backRows: l.geom.backRows,
	}
	l.geom.setInterior()
	l.pooled = blob.Grow(l.pooled, n)
	l.power = blob.Grow(l.power, n)
	l.dpool = blob.Grow(l.dpool, n)
	return nil
}

// Forward: across channels, sq = x², the scales from sq image by image, then
// y = x · scale^−β; within a channel, plane by plane.
func (l *lrn) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	if l.region != caffepb.LRNParameter_ACROSS_CHANNELS {
		l.withinF = lrnWithinForward{l: l, x: x, y: y}
		parallel.Run(l.num*l.channels, planeGrain(l.height*l.width), &l.withinF)
		l.withinF = lrnWithinForward{}
		return nil
	}
	l.squares = lrnSquares{l: l, x: x}
	parallel.Run(len(x), elementwiseGrain, &l.squares)
	l.squares = lrnSquares{}
	l.scales = lrnScales{l: l}
	parallel.Run(l.chunks, 1, &l.scales)
	l.powScale = lrnPowScale{l: l, dst: y, src: x}
	parallel.Run(len(x), elementwiseGrain, &l.powScale)
	l.powScale = lrnPowScale{}
	return nil
}

// Backward: across channels, dx = dy · scale^−β, then the sum over each window
// image by image; within a channel, plane by plane.
func (l *lrn) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	x, y, dy, dx := bottom[0].Data, top[0].Data, top[0].Diff, bottom[0].Diff
	if l.region != caffepb.LRNParameter_ACROSS_CHANNELS {
		l.withinB = lrnWithinBackward{l: l, x: x, dy: dy, dx: dx}
		parallel.Run(l.num*l.channels, planeGrain(l.height*l.width), &l.withinB)
		l.withinB = lrnWithinBackward{}
		return
	}
	l.powScale = lrnPowScale{l: l, dst: dx, src: dy}
	parallel.Run(len(x), elementwiseGrain, &l.powScale)
	l.powScale = lrnPowScale{}
	l.diffSum = lrnDiffSum{l: l, x: x, y: y, dy: dy, dx: dx}
	parallel.Run(l.chunks, 1, &l.diffSum)
	l.diffSum = lrnDiffSum{}
}

// lrnSquares is the first loop of the across-channel forward pass: sq = x·x (Caffe's
// caffe_sqr), over elements.
type lrnSquares struct {
	l *lrn
	x []float32 // (N, C, H, W)
}

// Range squares the elements [lo, hi).
func (p *lrnSquares) Range(lo, hi int) { vec.Mul(p.l.sq[lo:hi], p.x[lo:hi], p.x[lo:hi]) }

// lrnScales computes the scales from the squares over the chunks of the batch (the
// batch split into l.chunks pieces, one per worker).
type lrnScales struct{ l *lrn }

// Range computes the scales of the images of chunks [lo, hi).
func (p *lrnScales) Range(lo, hi int) {
	l := p.l
	for c := lo; c < hi; c++ {
		for n := c * l.num / l.chunks; n < (c+1)*l.num/l.chunks; n++ {
			l.acrossScales(n)
		}
	}
}

// lrnPowScale is dst = src · scale^−β over elements: the output (src x) in forward,
// the first half of the gradient (src dy) in backward. The caffe numerics takes the
// power by powf (caffe_powx); the fast one by vec.PowScale.
type lrnPowScale struct {
	l        *lrn
	dst, src []float32 // (N, C, H, W)
}

// Range computes the elements [lo, hi).
func (p *lrnPowScale) Range(lo, hi int) {
	if numerics.IsCaffe() {
		cmath.PowfScale(p.dst[lo:hi], p.l.scale[lo:hi], p.src[lo:hi], -p.l.beta)
		return
	}
	vec.PowScale(p.dst[lo:hi], p.l.scale[lo:hi], p.src[lo:hi], p.l.beta)
}

// lrnDiffSum is the second loop of the across-channel backward pass over the chunks
// of the batch, each chunk with its own scratch (accum, times).
type lrnDiffSum struct {
	l            *lrn
	x, y, dy, dx []float32 // (N, C, H, W)
}

// Range adds the window sums to dx for the images of chunks [lo, hi).
func (p *lrnDiffSum) Range(lo, hi int) {
	l := p.l
	for c := lo; c < hi; c++ {
		for n := c * l.num / l.chunks; n < (c+1)*l.num/l.chunks; n++ {
			l.acrossDiffSum(p.x, p.y, p.dy, p.dx, l.accum[c], l.times[c], n)
		}
	}
}

// lrnWithinForward is the within-channel forward pass, over the N·C planes.
type lrnWithinForward struct {
	l    *lrn
	x, y []float32 // (N, C, H, W)
}

// Range normalises the planes [lo, hi).
func (p *lrnWithinForward) Range(lo, hi int) {
	plane := p.l.height * p.l.width
	for q := lo; q < hi; q++ {
		o := q * plane
		p.l.withinForward(p.x[o:o+plane], p.y[o:o+plane], o)
	}
}

// lrnWithinBackward is the within-channel backward pass, over the N·C planes.
type lrnWithinBackward struct {
	l         *lrn
	x, dy, dx []float32 // (N, C, H, W)
}

// Range computes the gradient of the planes [lo, hi).
func (p *lrnWithinBackward) Range(lo, hi int) {
	plane := p.l.height * p.l.width
	for q := lo; q < hi; q++ {
		o := q * plane
		p.l.withinBackward(p.x[o:o+plane], p.dy[o:o+plane], p.dx[o:o+plane], o)
	}
}

// acrossScales computes image n's scales from the squares as a running sum over
// the channels — add the square entering the window, subtract the one leaving it —
// with Caffe's caffe_axpy on each (H, W) plane; the output is then y = scale^−β · x
// (lrnPowScale).
func (l *lrn) acrossScales(n int) {
	plane := l.height * l.width
	aos := l.alpha / float32(l.size)
	sq := l.sq[n*l.channels*plane : (n+1)*l.channels*plane]
	sc := l.scale[n*l.channels*plane : (n+1)*l.channels*plane]
	// The first channel's window: channels 0 … (n−1)/2 (the rest is padding, which
	// Caffe adds as zeros: no change).
	blas.Fill(sc[:plane], l.k)
	for c := 0; c <= l.prePad && c < l.channels; c++ {
		blas.Axpy(aos, sq[c*plane:(c+1)*plane], sc[:plane])
	}
	for c := 1; c < l.channels; c++ {
		s := sc[c*plane : (c+1)*plane]
		copy(s, sc[(c-1)*plane:c*plane])
		if head := c + l.prePad; head < l.channels {
			blas.Axpy(aos, sq[head*plane:(head+1)*plane], s)
		}
		if tail := c - 1 - l.prePad; tail >= 0 {
			blas.Axpy(-aos, sq[tail*plane:(tail+1)*plane], s)
		}
	}
}

// acrossDiffSum is the second half of Caffe's CrossChannelBackward for image n,
// after dx = dy · scale^−β (lrnPowScale):
//
//	dx_c −= (2αβ/n) · x_c · Σ_{c' whose window holds c} dy_c' · y_c' / scale_c'
//
// the sum again a running sum over the channels, kept in accum (H, W), and each
// channel's term added by caffe_axpy of x·accum (times, (H, W)).
func (l *lrn) acrossDiffSum(x, y, dy, dx, accum, times []float32, n int) {
	plane := l.height * l.width
	cache := float32(2 * float64(l.alpha) * float64(l.beta) / float64(l.size))
	off := n * l.channels * plane
	// ratio adds (sign +1) or removes (−1) channel c's dy·y/scale from the sum: an
	// axpy by ±1, which rounds once either way.
	ratio := func(c int, sign float32) {
		o := off + c*plane
		vec.AddQuotient(accum, dy[o:o+plane], y[o:o+plane], l.scale[o:o+plane], sign)
	}
	clear(accum)
	// Channels −(n−1)/2 … (n−1)/2 − 1 first, then one in and one out per channel.
	for c := 0; c < l.prePad && c < l.channels; c++ {
		ratio(c, 1)
	}
	for c := 0; c < l.channels; c++ {
		if head := c + l.prePad; head < l.channels {
			ratio(head, 1)
		}
		o := off + c*plane
		vec.Mul(times, x[o:o+plane], accum)
		blas.Axpy(-cache, times, dx[o:o+plane])
		if tail := c - l.prePad; tail >= 0 {
			ratio(tail, -1)
		}
	}
}

// withinForward: y = x · (1 + α·AVE(x²))^−β for the plane at offset o, as Caffe's
// sub-layers compute it: x² by a Power layer (powf(x, 2)), then AVE pooling, then a
// Power layer (caffe_scal by α, + 1, powf by −β), then the product.
func (l *lrn) withinForward(xs, ys []float32, o int) {
	plane := len(xs)
	sq := l.sq[o : o+plane]
	for i, v := range xs {
		sq[i] = cmath.Powf(v, 2)
	}
	pooled, pw := l.pooled[o:o+plane], l.power[o:o+plane]
	l.geom.aveForward(sq, pooled)
	for i, v := range pooled {
		pw[i] = cmath.Powf(l.withinBase(v), -l.beta)
		ys[i] = xs[i] * pw[i]
	}
}

// withinBase is 1 + α·pooled as the Power layer computes it.
func (l *lrn) withinBase(pooled float32) float32 {
	return scalElem(l.alpha, pooled) + 1
}

// withinBackward runs the backward passes of Caffe's sub-layers, in reverse:
//
//	product:  dx₁ = power · dy,  dpower = x · dy
//	power:    dpooled = dpower · ((−β·α)·(power / (α·pooled + 1)))
//	AVE pool: dsq = AVE backward of dpooled (each window's share, divided by n²)
//	square:   dx₂ = dsq · 2x
//	split:    dx = dx₁ + dx₂
//
// for the plane at offset o.
func (l *lrn) withinBackward(xs, dys, dxs []float32, o int) {
	plane := len(xs)
	diffScale := -l.beta * l.alpha
	pooled, pw := l.pooled[o:o+plane], l.power[o:o+plane]
	dpool, dsq := l.dpool[o:o+plane], l.sq[o:o+plane]
	for i := range dpool {
		if diffScale == 0 {
			// Power's backward sets 0 when the power does not depend on its input.
			dpool[i] = 0
			continue
		}
		dpower := xs[i] * dys[i]
		dpool[i] = dpower * scalElem(diffScale, pw[i]/l.withinBase(pooled[i]))
	}
	l.geom.aveBackward(dpool, dsq)
	for i := range dxs {
		// 2x as saxpy onto zeros computes it (a −0 becomes +0).
		dxs[i] = float32(pw[i]*dys[i]) + float32(dsq[i]*(2*xs[i]+0))
	}
}
