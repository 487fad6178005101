package layers

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/internal/math/vec"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("BatchNorm", newBatchNorm) }

// batchNorm normalises every channel to zero mean and unit variance over the batch
// and the spatial axes: y = (x − μ_c) / sqrt(σ²_c + eps).
//
// In TRAIN (unless use_global_stats is set) μ and σ² are the batch's, and Forward
// folds them into running sums, as Caffe does: with f = moving_average_fraction and m
// the number of values per channel,
//
//	blobs[2] ← f·blobs[2] + 1                  the normaliser of the sums
//	blobs[0] ← f·blobs[0] + μ                  (C)
//	blobs[1] ← f·blobs[1] + m/(m−1)·σ²         (C) the unbiased variance
//
// In TEST (or with use_global_stats) μ = blobs[0]/blobs[2] and σ² = blobs[1]/blobs[2]
// (0 when blobs[2] is 0). The three blobs are statistics, never learned: the layer
// gives them lr_mult 0 and refuses any other (Caffe's rule).
//
//	bottom (N, C, spatial…)   spatial = the count after axis 1
//	top    (N, C, spatial…)
//	xNorm  (N, C, spatial…)   the normalised values, for backward (a later in-place
//	                          layer may overwrite the top)
//	dyCopy (N, C, spatial…)   in place only: the top's gradient, which backward
//	                          overwrites while it still needs it
//	byChan (N, C)             per item and channel sums (Caffe's num_by_chans_)
//	mean, std (C)             μ and sqrt(σ² + eps) of the last Forward
//
// In the caffe numerics everything is computed with Caffe's calls, in Caffe's order:
// sums over the spatial axes and then the batch as two matrix-vector products with
// ones (OpenBLAS's sgemv order), broadcasts as products with k = 1 (one rounding per
// element, as the loops here), the running sums by caffe_cpu_axpby (sscal, then
// saxpy), caffe_sqr and caffe_sqrt (x·x and sqrtf: BVLC's BatchNorm no longer uses
// caffe_powx, unlike MVN), and one rounding per element for the rest.
//
// In the fast numerics (fastForward, fastBackward) each channel is one goroutine's:
// its sums in float32 lanes finished in float64, and a pass per step while the
// channel is in cache: the mean, the variance of the deviations, y = (x − μ)·(1/std);
// backward Σdy and Σdy·ŷ in one pass, then dx as one fused multiply-add per term. A
// channel's numbers do not depend on the number of workers.
type batchNorm struct {
	base
	useGlobal bool
	fraction  float32
	eps       float32
	channels  int
	num       int
	spatial   int
	xNorm     []float32
	dyCopy    []float32
	byChan    []float32
	mean, std []float32

	// The fast numerics: per channel the batch's variance (for the running sums)
	// and 1/std; the passes' loops.
	variance, inv []float32
	fastBatch     bnBatchForward
	fastGlobal    bnGlobalForward
	fastBack      bnBatchBackward
	fastGlobBack  bnGlobalBackward
	// The caffe numerics' broadcast loop.
	perPlane bnPerChannel
}

func newBatchNorm(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	bp := p.GetBatchNormParam()
	l := &batchNorm{
		base:      newBase(p, ctx),
		useGlobal: p.GetPhase() == caffepb.Phase_TEST,
		fraction:  bp.GetMovingAverageFraction(),
		eps:       bp.GetEps(),
	}
	if bp != nil && bp.UseGlobalStats != nil {
		l.useGlobal = bp.GetUseGlobalStats()
	}
	for i, spec := range p.GetParam() {
		if spec.GetLrMult() != 0 {
			return nil, fmt.Errorf("param %d: lr_mult is %g: cannot configure batch normalization statistics as layer parameters (give lr_mult: 0 or no param)",
				i, spec.GetLrMult())
		}
	}
	if len(p.GetParam()) > 3 {
		return nil, fmt.Errorf("%d param specs given, but BatchNorm has 3 blobs (mean, variance, the normaliser)", len(p.GetParam()))
	}
	return l, nil
}

func (l *batchNorm) BlobCounts() BlobCounts { return Exactly(1, 1) }

func (l *batchNorm) Setup(bottom, top []*blob.Blob) error {
	b := bottom[0]
	if b.NumAxes() < 2 {
		return fmt.Errorf("bottom %s needs at least 2 axes (num, channels, …)", b.ShapeString())
	}
	l.channels = b.Dim(1)
	l.blobs = []*blob.Blob{blob.New(l.channels), blob.New(l.channels), blob.New(1)}
	// Mask the statistics from the solver, as Caffe's LayerSetUp does: the net reads
	// the specs after Setup.
	for len(l.param.Param) < len(l.blobs) {
		l.param.Param = append(l.param.Param, &caffepb.ParamSpec{LrMult: proto.Float32(0)})
	}
	return nil
}

func (l *batchNorm) Reshape(bottom, top []*blob.Blob) error {
	b := bottom[0]
	if b.NumAxes() < 2 || b.Dim(1) != l.channels {
		return fmt.Errorf("bottom %s must have %d channels (axis 1), as when the layer was set up", b.ShapeString(), l.channels)
	}
	if top[0] != b {
		top[0].ReshapeLike(b)
	}
	l.num = b.Dim(0)
	l.spatial = b.CountFrom(2)
	l.xNorm = blob.Grow(l.xNorm, b.Count())
	if top[0] == b {
		l.dyCopy = blob.Grow(l.dyCopy, b.Count())
	}
	l.byChan = blob.Grow(l.byChan, l.num*l.channels)
	l.mean = blob.Grow(l.mean, l.channels)
	l.std = blob.Grow(l.std, l.channels)
	l.variance = blob.Grow(l.variance, l.channels)
	l.inv = blob.Grow(l.inv, l.channels)
	return nil
}

// channelSums sets sums[c] to alpha·Σ_{n,s} a[n, c, s] as Caffe does: a product of the
// (N·C, spatial) matrix with ones scaled by alpha into byChan, then of byChan's
// transpose with ones.
func (l *batchNorm) channelSums(alpha float32, a, sums []float32) {
	blas.GemvOnes(false, l.num*l.channels, l.spatial, alpha, a, 0, l.byChan)
	blas.GemvOnes(true, l.num, l.channels, 1, l.byChan, 0, sums)
}

// Forward: y = (x − μ_c)/sqrt(σ²_c + eps), updating the running sums in TRAIN.
func (l *batchNorm) Forward(bottom, top []*blob.Blob) error {
	count := l.num * l.channels * l.spatial
	x, y := bottom[0].Data[:count], top[0].Data[:count]
	if count == 0 {
		return nil
	}
	if !numerics.IsCaffe() {
		l.fastForward(x, y)
		return nil
	}
	if l.useGlobal {
		var f float32
		if s := l.blobs[2].Data[0]; s != 0 {
			f = 1 / s
		}
		blas.Scale(f, l.blobs[0].Data, l.mean)
		blas.Scale(f, l.blobs[1].Data, l.std) // the variance, for now
	} else {
		l.channelSums(float32(1/float64(l.num*l.spatial)), x, l.mean)
	}
	// y = x − μ; in place the mean has been taken before x is overwritten.
	l.perChannel(x, y, l.mean, chanSub)
	if !l.useGlobal {
		// σ² = E[(x − μ)²] (caffe_sqr of the differences), then the running
		// sums.
		for i, v := range y {
			l.xNorm[i] = v * v
		}
		l.channelSums(float32(1/float64(l.num*l.spatial)), l.xNorm, l.std)
		l.blobs[2].Data[0] *= l.fraction
		l.blobs[2].Data[0]++
		blas.Axpby(1, l.mean, l.fraction, l.blobs[0].Data)
		m := count / l.channels
		var correction float32 = 1
		if m > 1 {
			correction = float32(m) / float32(m-1)
		}
		blas.Axpby(correction, l.std, l.fraction, l.blobs[1].Data)
	}
	for c := range l.std {
		l.std[c] += l.eps
	}
	for c, v := range l.std { // caffe_sqrt: sqrtf
		l.std[c] = float32(math.Sqrt(float64(v)))
	}
	l.perChannel(y, y, l.std, chanDiv)
	copy(l.xNorm, y)
	return nil
}

// chanOp is what perChannel does with a channel's value v[c].
type chanOp int

const (
	chanSub chanOp = iota // x − v, Caffe's subtraction of the broadcast mean
	chanAdd               // x + v
	chanDiv               // x / v, Caffe's caffe_div by the broadcast std
	chanSet               // v, the broadcast alone
)

// perChannel sets dst[n, c, s] = op(src[n, c, s], v[c]) a (n, c) plane at a time, the
// planes split over the cores (bnPerChannel), one rounding per element as Caffe's
// broadcast and element-wise calls give (x − v is x + (−v), bit for bit); dst may be
// src.
func (l *batchNorm) perChannel(src, dst, v []float32, op chanOp) {
	l.perPlane = bnPerChannel{l: l, src: src, dst: dst, v: v, op: op}
	parallel.Run(l.num*l.channels, planeGrain(l.spatial), &l.perPlane)
	l.perPlane = bnPerChannel{}
}

// bnPerChannel is perChannel's loop over the (n, c) planes.
type bnPerChannel struct {
	l           *batchNorm
	src, dst, v []float32 // (N, C, spatial), (N, C, spatial), (C)
	op          chanOp
}

// Range computes the planes [lo, hi).
func (p *bnPerChannel) Range(lo, hi int) {
	sp := p.l.spatial
	for q := lo; q < hi; q++ {
		vc := p.v[q%p.l.channels]
		d, s := p.dst[q*sp:(q+1)*sp], p.src[q*sp:(q+1)*sp]
		switch p.op {
		case chanSub, chanAdd:
			if sp > 0 && &d[0] != &s[0] {
				copy(d, s)
			}
			if p.op == chanSub {
				vc = -vc
			}
			vec.AddConst(d, vc)
		case chanDiv:
			vec.DivConst(d, s, vc)
		case chanSet:
			blas.Fill(d, vc)
		}
	}
}

// Backward, with ŷ the normalised values and means over the batch and spatial axes:
//
//	global statistics:  dx = dy / std_c
//	batch statistics:   dx = (dy − mean_c(dy) − mean_c(dy·ŷ)·ŷ) / std_c
//
// The statistics blobs get no gradient. In place, dy is copied aside first (Caffe's
// x_norm_ diff), as Caffe does.
func (l *batchNorm) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	count := l.num * l.channels * l.spatial
	dy, dx := top[0].Diff[:count], bottom[0].Diff[:count]
	if !numerics.IsCaffe() {
		l.fastBackward(dy, dx)
		return
	}
	if top[0] == bottom[0] {
		copy(l.dyCopy, dy)
		dy = l.dyCopy[:count]
	}
	if l.useGlobal {
		l.perChannel(dy, dx, l.std, chanDiv)
		return
	}
	if count == 0 {
		return
	}
	// Σ(dy·ŷ), broadcast and times ŷ.
	for i, v := range l.xNorm[:count] {
		dx[i] = v * dy[i]
	}
	l.channelSums(1, dx, l.mean)
	l.perChannel(dx, dx, l.mean, chanSet)
	for i, v := range l.xNorm[:count] {
		dx[i] = v * dx[i]
	}
	// + Σdy, broadcast.
	l.channelSums(1, dy, l.mean)
	l.perChannel(dx, dx, l.mean, chanAdd)
	// dy − (the above)/m, then / std.
	blas.Axpby(1, dy, float32(-1/float64(l.num*l.spatial)), dx)
	l.perChannel(dx, dx, l.std, chanDiv)
}

// fastForward is Forward in the fast numerics.
func (l *batchNorm) fastForward(x, y []float32) {
	if l.useGlobal {
		// μ and σ² from the running sums, as Caffe takes them.
		var f float32
		if s := l.blobs[2].Data[0]; s != 0 {
			f = 1 / s
		}
		for c := range l.mean {
			l.mean[c] = l.blobs[0].Data[c] * f
			l.setStd(c, float64(l.blobs[1].Data[c]*f))
		}
		l.fastGlobal = bnGlobalForward{l: l, x: x, y: y}
		parallel.Run(l.num*l.channels, planeGrain(l.spatial), &l.fastGlobal)
		l.fastGlobal = bnGlobalForward{}
		return
	}
	l.fastBatch = bnBatchForward{l: l, x: x, y: y}
	parallel.Run(l.channels, planeGrain(l.num*l.spatial), &l.fastBatch)
	l.fastBatch = bnBatchForward{}
	// The running sums, as Caffe updates them.
	l.blobs[2].Data[0] *= l.fraction
	l.blobs[2].Data[0]++
	blas.Axpby(1, l.mean, l.fraction, l.blobs[0].Data)
	m := l.num * l.spatial
	var correction float32 = 1
	if m > 1 {
		correction = float32(m) / float32(m-1)
	}
	blas.Axpby(correction, l.variance, l.fraction, l.blobs[1].Data)
}

// setStd sets channel c's std = sqrt(σ² + eps) and 1/std from its variance σ².
func (l *batchNorm) setStd(c int, variance float64) {
	sd := math.Sqrt(variance + float64(l.eps))
	l.std[c], l.inv[c] = float32(sd), float32(1/sd)
}

// plane returns the plane of item n and channel c of a (N, C, spatial) blob.
func (l *batchNorm) plane(a []float32, n, c int) []float32 {
	off := (n*l.channels + c) * l.spatial
	return a[off : off+l.spatial]
}

// bnBatchForward is the fast TRAIN forward loop over channels: per channel the mean
// (one pass), the variance of the deviations from it (one pass), then y = (x − μ)/std
// and its copy x̂ (one pass), each channel whole on one goroutine.
//
//	x, y (N, C, spatial)   y may be x
type bnBatchForward struct {
	l    *batchNorm
	x, y []float32
}

// Range normalises the channels [lo, hi).
func (p *bnBatchForward) Range(lo, hi int) {
	l := p.l
	m := float64(l.num * l.spatial)
	for c := lo; c < hi; c++ {
		var sum float64
		for n := range l.num {
			sum += vec.Sum(l.plane(p.x, n, c))
		}
		mean := float32(sum / m)
		var sq float64
		for n := range l.num {
			sq += vec.SumSqDiff(l.plane(p.x, n, c), mean)
		}
		variance := sq / m
		l.mean[c], l.variance[c] = mean, float32(variance)
		l.setStd(c, variance)
		for n := range l.num {
			y := l.plane(p.y, n, c)
			vec.SubScale(y, l.plane(p.x, n, c), mean, l.inv[c])
			copy(l.plane(l.xNorm, n, c), y)
		}
	}
}

// bnGlobalForward is the fast forward loop with the global statistics, over planes:
// y = (x − μ_c)/std_c.
//
//	x, y (N, C, spatial)   y may be x
type bnGlobalForward struct {
	l    *batchNorm
	x, y []float32
}

// Range normalises the planes [lo, hi).
func (p *bnGlobalForward) Range(lo, hi int) {
	l, sp := p.l, p.l.spatial
	for q := lo; q < hi; q++ {
		c := q % l.channels
		vec.SubScale(p.y[q*sp:(q+1)*sp], p.x[q*sp:(q+1)*sp], l.mean[c], l.inv[c])
	}
}

// fastBackward is Backward in the fast numerics; dx may be dy (in place).
func (l *batchNorm) fastBackward(dy, dx []float32) {
	if len(dy) == 0 {
		return
	}
	if l.useGlobal {
		l.fastGlobBack = bnGlobalBackward{l: l, dy: dy, dx: dx}
		parallel.Run(l.num*l.channels, planeGrain(l.spatial), &l.fastGlobBack)
		l.fastGlobBack = bnGlobalBackward{}
		return
	}
	l.fastBack = bnBatchBackward{l: l, dy: dy, dx: dx}
	parallel.Run(l.channels, planeGrain(l.num*l.spatial), &l.fastBack)
	l.fastBack = bnBatchBackward{}
}

// bnBatchBackward is the fast backward loop with the batch's statistics, over
// channels: Σdy and Σdy·x̂ in one pass, then in one more
//
//	dx = (dy − Σdy/m − x̂·Σdy·x̂/m) / std = a·dy + (b·x̂ + c)
//
// with a = 1/std, b = −(Σdy·x̂/m)/std, c = −(Σdy/m)/std.
//
//	dy, dx (N, C, spatial)   dx may be dy
type bnBatchBackward struct {
	l      *batchNorm
	dy, dx []float32
}

// Range computes the gradient of the channels [lo, hi).
func (p *bnBatchBackward) Range(lo, hi int) {
	l := p.l
	m := float64(l.num * l.spatial)
	for c := lo; c < hi; c++ {
		var sdy, sdyx float64
		for n := range l.num {
			s, d := vec.SumDot(l.plane(p.dy, n, c), l.plane(l.xNorm, n, c))
			sdy += s
			sdyx += d
		}
		inv := float64(l.inv[c])
		a, b, cc := l.inv[c], float32(-sdyx/m*inv), float32(-sdy/m*inv)
		for n := range l.num {
			vec.Affine2(l.plane(p.dx, n, c), l.plane(p.dy, n, c), l.plane(l.xNorm, n, c), a, b, cc)
		}
	}
}

// bnGlobalBackward is the fast backward loop with the global statistics, over
// planes: dx = dy/std_c.
//
//	dy, dx (N, C, spatial)   dx may be dy
type bnGlobalBackward struct {
	l      *batchNorm
	dy, dx []float32
}

// Range computes the gradient of the planes [lo, hi).
func (p *bnGlobalBackward) Range(lo, hi int) {
	l, sp := p.l, p.l.spatial
	for q := lo; q < hi; q++ {
		vec.Scale(p.dx[q*sp:(q+1)*sp], p.dy[q*sp:(q+1)*sp], l.inv[q%l.channels])
	}
}
