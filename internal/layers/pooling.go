package layers

import (
	"fmt"
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/internal/math/vec"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Pooling", newPooling) }

// pooling is Caffe's Pooling layer: MAX, AVE or STOCHASTIC over windows of every
// channel of every image.
//
//	bottom (N, C, H, W)
//	top    (N, C, H', W')   — H' = ⌈(H + 2p − k)/s⌉ + 1 (CEIL, Caffe's default) or ⌊…⌋ + 1
//	                          (FLOOR), less one if the last window would start in the padding
//	top[1] (N, C, H', W')   — MAX only, optional: the argmax of each window as a float
//	                          index h·W + w into its channel
//
// MAX's backward pass routes through the argmax kept from forward; the mask top is an
// output only. The N·C channel planes are independent and are split over the workers,
// a loop type per method, pass and variant (poolLoops).
//
// MAX takes the same values in both numerics (comparisons only). AVE sums each window
// in Caffe's order in both, but for a global pooling in the fast numerics, which sums
// a plane in float32 lanes finished in float64 (vec.Sum) and spreads its gradient
// as one value.
type pooling struct {
	base
	method caffepb.PoolingParameter_PoolMethod
	global bool
	round  caffepb.PoolingParameter_RoundMode
	geom   poolGeom

	num, channels int
	topShape      [4]int
	maxIdx        []int32   // MAX: (N, C, H', W') argmax per window, -1 for an empty window
	randIdx       []float32 // STOCHASTIC, TRAIN: (N, C, H', W') the uniform draws, then the sampled index

	loops poolLoops
}

// poolLoops are the layer's loops over planes, one per method and pass, kept so that
// a pass allocates nothing; a pass sets one and clears them all after it.
type poolLoops struct {
	maxFwd     poolMaxForward
	maxBack    poolMaxBackward
	aveFwd     poolAveForward
	aveBack    poolAveBackward
	meanFwd    poolGlobalMean
	spreadBack poolGlobalSpread
	sampleFwd  poolSampleForward
	sampleBack poolSampleBackward
	expectFwd  poolExpectForward
	expectBack poolExpectBackward
}

func newPooling(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	pp := p.GetPoolingParam()
	l := &pooling{base: newBase(p, ctx), method: pp.GetPool(), global: pp.GetGlobalPooling(), round: pp.GetRoundMode()}
	hasK, hasKH, hasKW := pp.KernelSize != nil, pp.KernelH != nil, pp.KernelW != nil
	if l.global {
		if hasK || hasKH || hasKW {
			return nil, fmt.Errorf("pooling_param: with global_pooling: true the kernel size cannot be given (it is the bottom's H×W)")
		}
	} else {
		switch {
		case hasK && (hasKH || hasKW):
			return nil, fmt.Errorf("pooling_param: give either kernel_size or kernel_h and kernel_w, not both")
		case !hasK && !(hasKH && hasKW):
			return nil, fmt.Errorf("pooling_param: kernel_size must be given (or, for a rectangular window, both kernel_h and kernel_w)")
		}
	}
	if pp.Pad != nil && (pp.PadH != nil || pp.PadW != nil) || (pp.PadH != nil) != (pp.PadW != nil) {
		return nil, fmt.Errorf("pooling_param: give either pad or both pad_h and pad_w")
	}
	if pp.Stride != nil && (pp.StrideH != nil || pp.StrideW != nil) || (pp.StrideH != nil) != (pp.StrideW != nil) {
		return nil, fmt.Errorf("pooling_param: give either stride or both stride_h and stride_w")
	}
	g := &l.geom
	if hasK {
		g.kh, g.kw = int(pp.GetKernelSize()), int(pp.GetKernelSize())
	} else {
		g.kh, g.kw = int(pp.GetKernelH()), int(pp.GetKernelW())
	}
	if !l.global && (g.kh <= 0 || g.kw <= 0) {
		return nil, fmt.Errorf("pooling_param: the kernel size must be positive, got %d×%d", g.kh, g.kw)
	}
	if pp.PadH != nil {
		g.padH, g.padW = int(pp.GetPadH()), int(pp.GetPadW())
	} else {
		g.padH, g.padW = int(pp.GetPad()), int(pp.GetPad())
	}
	if pp.StrideH != nil {
		g.strideH, g.strideW = int(pp.GetStrideH()), int(pp.GetStrideW())
	} else {
		g.strideH, g.strideW = int(pp.GetStride()), int(pp.GetStride())
	}
	if g.strideH <= 0 || g.strideW <= 0 {
		return nil, fmt.Errorf("pooling_param: the stride must be positive, got %d×%d", g.strideH, g.strideW)
	}
	if l.global && (g.padH != 0 || g.padW != 0 || g.strideH != 1 || g.strideW != 1) {
		return nil, fmt.Errorf("pooling_param: with global_pooling: true only pad 0 and stride 1 are allowed")
	}
	if g.padH != 0 || g.padW != 0 {
		if l.method != caffepb.PoolingParameter_AVE && l.method != caffepb.PoolingParameter_MAX {
			return nil, fmt.Errorf("pooling_param.pad: padding is implemented only for AVE and MAX pooling, not %v", l.method)
		}
		if g.padH >= g.kh || g.padW >= g.kw {
			return nil, fmt.Errorf("pooling_param.pad: the padding (%d×%d) must be smaller than the kernel (%d×%d)", g.padH, g.padW, g.kh, g.kw)
		}
	}
	switch l.method {
	case caffepb.PoolingParameter_MAX, caffepb.PoolingParameter_AVE, caffepb.PoolingParameter_STOCHASTIC:
	default:
		return nil, fmt.Errorf("pooling_param.pool: unknown pooling method %v", l.method)
	}
	switch l.round {
	case caffepb.PoolingParameter_CEIL, caffepb.PoolingParameter_FLOOR:
	default:
		return nil, fmt.Errorf("pooling_param.round_mode: unknown rounding mode %v", l.round)
	}
	return l, nil
}

// BlobCounts: one bottom; MAX may have the mask as a second top.
func (l *pooling) BlobCounts() BlobCounts {
	if l.method == caffepb.PoolingParameter_MAX {
		return BlobCounts{MinBottom: 1, MaxBottom: 1, MinTop: 1, MaxTop: 2}
	}
	return Exactly(1, 1)
}

func (l *pooling) Reshape(bottom, top []*blob.Blob) error {
	b := bottom[0]
	if b.NumAxes() != 4 {
		return fmt.Errorf("input must have 4 axes (num, channels, height, width), got %s", b.ShapeString())
	}
	g := &l.geom
	l.num, l.channels, g.h, g.w = b.Dim(0), b.Dim(1), b.Dim(2), b.Dim(3)
	if l.global {
		g.kh, g.kw = g.h, g.w
	}
	g.outH = pooledSize(g.h, g.kh, g.padH, g.strideH, l.round)
	g.outW = pooledSize(g.w, g.kw, g.padW, g.strideW, l.round)
	if g.outH <= 0 || g.outW <= 0 {
		return fmt.Errorf("pooled output %d×%d is empty: bottom %s, kernel %d×%d, pad %d×%d, stride %d×%d",
			g.outH, g.outW, b.ShapeString(), g.kh, g.kw, g.padH, g.padW, g.strideH, g.strideW)
	}
	g.setInterior()
	// Through a field: a variadic list built here would be allocated on every call.
	l.topShape = [4]int{l.num, l.channels, g.outH, g.outW}
	top[0].Reshape(l.topShape[:]...)
	if len(top) > 1 {
		top[1].ReshapeLike(top[0])
	}
	n := top[0].Count()
	switch l.method {
	case caffepb.PoolingParameter_MAX:
		l.maxIdx = blob.Grow(l.maxIdx, n)
	case caffepb.PoolingParameter_STOCHASTIC:
		l.randIdx = blob.Grow(l.randIdx, n)
	}
	return nil
}

// pooledSize is Caffe's output size along one axis: rounded up (or down), then one
// less if the last window would start inside the padding rather than the image.
func pooledSize(in, k, pad, stride int, round caffepb.PoolingParameter_RoundMode) int {
	q := float64(float32(in+2*pad-k) / float32(stride))
	var out int
	if round == caffepb.PoolingParameter_FLOOR {
		out = int(math.Floor(q)) + 1
	} else {
		out = int(math.Ceil(q)) + 1
	}
	if pad > 0 && (out-1)*stride >= in+pad {
		out--
	}
	return out
}

// Forward pools every channel plane, the planes split over the workers.
func (l *pooling) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	lp := &l.loops
	var loop parallel.Ranger
	switch l.method {
	case caffepb.PoolingParameter_MAX:
		lp.maxFwd = poolMaxForward{l: l, x: x, y: y}
		if len(top) > 1 {
			lp.maxFwd.mask = top[1].Data
		}
		loop = &lp.maxFwd
	case caffepb.PoolingParameter_AVE:
		if l.fastGlobal() {
			lp.meanFwd = poolGlobalMean{l: l, x: x, y: y}
			loop = &lp.meanFwd
			break
		}
		lp.aveFwd = poolAveForward{l: l, x: x, y: y}
		loop = &lp.aveFwd
	case caffepb.PoolingParameter_STOCHASTIC:
		if l.phase() != caffepb.Phase_TRAIN {
			lp.expectFwd = poolExpectForward{l: l, x: x, y: y}
			loop = &lp.expectFwd
			break
		}
		// The draws come from the net's source, in order, on this goroutine.
		for i := range l.randIdx {
			l.randIdx[i] = l.ctx.RNG.Uniform(0, 1)
		}
		lp.sampleFwd = poolSampleForward{l: l, x: x, y: y}
		loop = &lp.sampleFwd
	}
	parallel.Run(l.num*l.channels, planeGrain(l.geom.h*l.geom.w), loop)
	l.loops = poolLoops{}
	return nil
}

// Backward routes every plane's top gradient back, the planes split over the workers.
func (l *pooling) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	dy, dx := top[0].Diff, bottom[0].Diff
	lp := &l.loops
	var loop parallel.Ranger
	switch l.method {
	case caffepb.PoolingParameter_MAX:
		lp.maxBack = poolMaxBackward{l: l, dy: dy, dx: dx}
		loop = &lp.maxBack
	case caffepb.PoolingParameter_AVE:
		if l.fastGlobal() {
			lp.spreadBack = poolGlobalSpread{l: l, dy: dy, dx: dx}
			loop = &lp.spreadBack
			break
		}
		lp.aveBack = poolAveBackward{l: l, dy: dy, dx: dx}
		loop = &lp.aveBack
	case caffepb.PoolingParameter_STOCHASTIC:
		if l.phase() != caffepb.Phase_TRAIN {
			lp.expectBack = poolExpectBackward{l: l, x: bottom[0].Data, y: top[0].Data, dy: dy, dx: dx}
			loop = &lp.expectBack
			break
		}
		lp.sampleBack = poolSampleBackward{l: l, dy: dy, dx: dx}
		loop = &lp.sampleBack
	}
	parallel.Run(l.num*l.channels, planeGrain(l.geom.h*l.geom.w), loop)
	l.loops = poolLoops{}
}

// fastGlobal reports whether AVE takes its fast route: a global pooling in the fast
// numerics, one sum per plane (vec.Sum) and its gradient spread as one value, where
// Caffe's order sums window by window.
func (l *pooling) fastGlobal() bool { return l.global && !numerics.IsCaffe() }

// planes returns the sizes of an input and an output plane.
func (l *pooling) planes() (in, out int) { return l.geom.h * l.geom.w, l.geom.outH * l.geom.outW }

// poolMaxForward is MAX's forward loop over planes: y and the argmax (maxIdx), and
// the argmax as floats in the mask top if there is one.
type poolMaxForward struct {
	l          *pooling
	x, y, mask []float32
}

// Range pools the planes [lo, hi).
func (p *poolMaxForward) Range(lo, hi int) {
	in, out := p.l.planes()
	// All the planes at once where the assembly can (x to the end of the blob: it
	// reads whole vectors where it can), else a plane at a time.
	all := p.l.geom.maxForwardRows(p.x[lo*in:], p.y[lo*out:hi*out], p.l.maxIdx[lo*out:hi*out], hi-lo)
	for q := lo; q < hi; q++ {
		idx := p.l.maxIdx[q*out : (q+1)*out]
		if !all {
			p.l.geom.maxForward(p.x[q*in:], p.y[q*out:(q+1)*out], idx)
		}
		if p.mask != nil {
			m := p.mask[q*out : (q+1)*out]
			for i, v := range idx {
				m[i] = float32(v)
			}
		}
	}
}

// poolMaxBackward is MAX's backward loop over planes: each window's gradient to its
// argmax.
type poolMaxBackward struct {
	l      *pooling
	dy, dx []float32
}

// Range routes the planes [lo, hi).
func (p *poolMaxBackward) Range(lo, hi int) {
	in, out := p.l.planes()
	for q := lo; q < hi; q++ {
		scatter(p.dy[q*out:(q+1)*out], p.l.maxIdx[q*out:(q+1)*out], p.dx[q*in:(q+1)*in])
	}
}

// poolAveForward is AVE's forward loop over planes, each window's mean in Caffe's
// order.
type poolAveForward struct {
	l    *pooling
	x, y []float32
}

// Range pools the planes [lo, hi).
func (p *poolAveForward) Range(lo, hi int) {
	in, out := p.l.planes()
	if p.l.geom.aveForwardRows(p.x[lo*in:], p.y[lo*out:hi*out], hi-lo) { // as MAX's
		return
	}
	for q := lo; q < hi; q++ {
		p.l.geom.aveForward(p.x[q*in:], p.y[q*out:(q+1)*out])
	}
}

// poolAveBackward is AVE's backward loop over planes: each window's gradient shared
// among its inputs.
type poolAveBackward struct {
	l      *pooling
	dy, dx []float32
}

// Range routes the planes [lo, hi).
func (p *poolAveBackward) Range(lo, hi int) {
	in, out := p.l.planes()
	if p.l.geom.aveBackwardRows(p.dy[lo*out:hi*out], p.dx[lo*in:hi*in], hi-lo) { // all at once
		return
	}
	for q := lo; q < hi; q++ {
		p.l.geom.aveBackward(p.dy[q*out:(q+1)*out], p.dx[q*in:(q+1)*in])
	}
}

// poolGlobalMean is the forward loop of a global AVE pooling in the fast numerics:
// each plane's mean, its sum by vec.Sum (float32 lanes finished in float64).
type poolGlobalMean struct {
	l    *pooling
	x, y []float32
}

// Range pools the planes [lo, hi).
func (p *poolGlobalMean) Range(lo, hi int) {
	in, out := p.l.planes() // out is 1: the window is the plane
	for q := lo; q < hi; q++ {
		p.y[q*out] = float32(vec.Sum(p.x[q*in:(q+1)*in]) / float64(in))
	}
}

// poolGlobalSpread is the backward loop of a global AVE pooling in the fast
// numerics: every dx of a plane is its dy over the plane's size.
type poolGlobalSpread struct {
	l      *pooling
	dy, dx []float32
}

// Range routes the planes [lo, hi).
func (p *poolGlobalSpread) Range(lo, hi int) {
	in, out := p.l.planes() // out is 1: the window is the plane
	for q := lo; q < hi; q++ {
		d := p.dy[q*out] / float32(in)
		dx := p.dx[q*in : (q+1)*in]
		for i := range dx {
			dx[i] = d
		}
	}
}

// poolSampleForward is STOCHASTIC's forward loop over planes in TRAIN: a value of
// each window sampled by the uniform draws in randIdx, which become the sampled
// indices.
type poolSampleForward struct {
	l    *pooling
	x, y []float32
}

// Range pools the planes [lo, hi).
func (p *poolSampleForward) Range(lo, hi int) {
	in, out := p.l.planes()
	for q := lo; q < hi; q++ {
		p.l.geom.stochasticForwardTrain(p.x[q*in:(q+1)*in], p.y[q*out:(q+1)*out], p.l.randIdx[q*out:(q+1)*out])
	}
}

// poolSampleBackward is STOCHASTIC's backward loop over planes in TRAIN: each
// window's gradient to the sampled input.
type poolSampleBackward struct {
	l      *pooling
	dy, dx []float32
}

// Range routes the planes [lo, hi).
func (p *poolSampleBackward) Range(lo, hi int) {
	in, out := p.l.planes()
	for q := lo; q < hi; q++ {
		scatterFloat(p.dy[q*out:(q+1)*out], p.l.randIdx[q*out:(q+1)*out], p.dx[q*in:(q+1)*in])
	}
}

// poolExpectForward is STOCHASTIC's forward loop over planes in TEST: each window's
// expected sample.
type poolExpectForward struct {
	l    *pooling
	x, y []float32
}

// Range pools the planes [lo, hi).
func (p *poolExpectForward) Range(lo, hi int) {
	in, out := p.l.planes()
	for q := lo; q < hi; q++ {
		p.l.geom.stochasticForwardTest(p.x[q*in:(q+1)*in], p.y[q*out:(q+1)*out])
	}
}

// poolExpectBackward is STOCHASTIC's backward loop over planes in TEST: the
// gradient of the expectation.
type poolExpectBackward struct {
	l            *pooling
	x, y, dy, dx []float32
}

// Range routes the planes [lo, hi).
func (p *poolExpectBackward) Range(lo, hi int) {
	in, out := p.l.planes()
	for q := lo; q < hi; q++ {
		p.l.geom.stochasticBackwardTest(p.x[q*in:(q+1)*in], p.y[q*out:(q+1)*out], p.dy[q*out:(q+1)*out], p.dx[q*in:(q+1)*in])
	}
}
