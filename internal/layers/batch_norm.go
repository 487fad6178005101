package layers

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
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
//	mean, std (C)             μ and sqrt(σ² + eps) of the last Forward
type batchNorm struct {
	base
	useGlobal bool
	fraction  float32
	eps       float32
	channels  int
	num       int
	spatial   int
	xNorm     []float32
	mean, std []float32
	pass      batchNormPass
}

// batchNormPass is what a pass's loop (Range) reads. Every channel is normalised on
// its own, so the channels are split over the cores; each sums its items and
// positions in order, so the result does not depend on the split.
type batchNormPass struct {
	backward       bool
	x, y, dy, dx   []float32
	globalFraction float32 // 1/blobs[2], with the global statistics
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
	return l.Reshape(bottom, top)
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
	l.xNorm = resizeFloat32(l.xNorm, b.Count())
	l.mean = resizeFloat32(l.mean, l.channels)
	l.std = resizeFloat32(l.std, l.channels)
	return nil
}

// Forward: y = (x − μ_c)/sqrt(σ²_c + eps), updating the running sums in TRAIN.
func (l *batchNorm) Forward(bottom, top []*blob.Blob) error {
	l.pass = batchNormPass{x: bottom[0].Data, y: top[0].Data}
	if l.useGlobal {
		if s := l.blobs[2].Data[0]; s != 0 {
			l.pass.globalFraction = 1 / s
		}
	}
	parallel.Run(l.channels, planeGrain(l.num*l.spatial), l)
	l.pass = batchNormPass{}
	if !l.useGlobal {
		l.blobs[2].Data[0] = l.blobs[2].Data[0]*l.fraction + 1
	}
	return nil
}

// forwardChannel normalises channel ch: its statistics (or the global ones), then
// y = (x − μ)/σ and the copy in xNorm.
func (l *batchNorm) forwardChannel(ch int) {
	x, y := l.pass.x, l.pass.y
	c, sp := l.channels, l.spatial
	m := l.num * sp // values per channel
	if l.useGlobal {
		f := l.pass.globalFraction
		l.mean[ch] = f * l.blobs[0].Data[ch]
		l.std[ch] = f * l.blobs[1].Data[ch] // the variance, for now
	} else {
		var s float64
		for n := 0; n < l.num; n++ {
			for _, v := range x[(n*c+ch)*sp:][:sp] {
				s += float64(v)
			}
		}
		l.mean[ch] = float32(s / float64(m))
	}
	// y = x − μ; in place the mean has been taken before x is overwritten.
	mu := l.mean[ch]
	for n := 0; n < l.num; n++ {
		off := (n*c + ch) * sp
		for i, v := range x[off : off+sp] {
			y[off+i] = v - mu
		}
	}
	if !l.useGlobal {
		// σ² = E[(x − μ)²], then the running sums.
		var s float64
		for n := 0; n < l.num; n++ {
			for _, v := range y[(n*c+ch)*sp:][:sp] {
				s += float64(v) * float64(v)
			}
		}
		l.std[ch] = float32(s / float64(m))
		var correction float32 = 1
		if m > 1 {
			correction = float32(m) / float32(m-1)
		}
		mean, variance := l.blobs[0].Data, l.blobs[1].Data
		mean[ch] = l.mean[ch] + l.fraction*mean[ch]
		variance[ch] = correction*l.std[ch] + l.fraction*variance[ch]
	}
	l.std[ch] = float32(math.Sqrt(float64(l.std[ch] + l.eps)))
	sd := l.std[ch]
	for n := 0; n < l.num; n++ {
		off := (n*c + ch) * sp
		ys, xn := y[off:off+sp], l.xNorm[off:off+sp]
		for i := range ys {
			ys[i] /= sd
			xn[i] = ys[i]
		}
	}
}

// Range runs the current pass on channels lo to hi−1.
func (l *batchNorm) Range(lo, hi int) {
	for ch := lo; ch < hi; ch++ {
		if l.pass.backward {
			l.backwardChannel(ch)
		} else {
			l.forwardChannel(ch)
		}
	}
}

// Backward, with ŷ the normalised values and means over the batch and spatial axes:
//
//	global statistics:  dx = dy / std_c
//	batch statistics:   dx = (dy − mean_c(dy) − mean_c(dy·ŷ)·ŷ) / std_c
//
// The statistics blobs get no gradient. The channel sums are taken before dx is
// written, so that in place (dx over dy) is safe.
func (l *batchNorm) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	l.pass = batchNormPass{backward: true, dy: top[0].Diff, dx: bottom[0].Diff}
	parallel.Run(l.channels, planeGrain(l.num*l.spatial), l)
	l.pass = batchNormPass{}
}

// backwardChannel computes dx for channel ch.
func (l *batchNorm) backwardChannel(ch int) {
	dy, dx := l.pass.dy, l.pass.dx
	c, sp := l.channels, l.spatial
	sd := l.std[ch]
	if l.useGlobal {
		for n := 0; n < l.num; n++ {
			off := (n*c + ch) * sp
			for i := off; i < off+sp; i++ {
				dx[i] = dy[i] / sd
			}
		}
		return
	}
	m := float64(l.num * sp)
	var sumDy, sumDyY float64
	for n := 0; n < l.num; n++ {
		off := (n*c + ch) * sp
		for i := off; i < off+sp; i++ {
			sumDy += float64(dy[i])
			sumDyY += float64(dy[i]) * float64(l.xNorm[i])
		}
	}
	meanDy, meanDyY := float32(sumDy/m), float32(sumDyY/m)
	for n := 0; n < l.num; n++ {
		off := (n*c + ch) * sp
		for i := off; i < off+sp; i++ {
			dx[i] = (dy[i] - meanDy - meanDyY*l.xNorm[i]) / sd
		}
	}
}
