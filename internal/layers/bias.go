package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/filler"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/internal/math/vec"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Bias", newBias) }

// bias adds a bias blob, broadcast, to its bottom: the bias is bottom[1] or a learned
// parameter whose shape is the bottom's axes [axis, axis+num_axes) (num_axes −1: to
// the end). It may run in place.
//
//	bottom[0] (outer, B, inner)   B = the bias's count, its axes starting at axis
//	bias      (B)                 bottom[1], or the learned blob
//	top       (outer, B, inner)   top[o, b, i] = bottom[o, b, i] + bias[b]
//
// The forward pass adds plane by plane (the inner elements of one (o, b)), the planes
// split over the cores, which changes no bit. The bias's gradient is Caffe's sgemv in
// the caffe numerics; in the fast numerics (biasBackward) each b's sum is one
// goroutine's, in float32 lanes finished in float64, with the copy of the gradient
// to the bottom in the same loop.
type bias struct {
	base
	outer, dim, inner int
	add               broadcastAdd
	back              biasBackward
}

func newBias(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	if n := p.GetBiasParam().GetNumAxes(); n < -1 {
		return nil, fmt.Errorf("bias_param.num_axes must be non-negative, or -1 to extend to the end of bottom[0], got %d", n)
	}
	return &bias{base: newBase(p, ctx)}, nil
}

func (l *bias) BlobCounts() BlobCounts {
	return BlobCounts{MinBottom: 1, MaxBottom: 2, MinTop: 1, MaxTop: 1}
}

func (l *bias) Setup(bottom, top []*blob.Blob) error {
	if len(bottom) == 1 && len(l.blobs) == 0 {
		bp := l.param.GetBiasParam()
		shape, err := broadcastParamShape(bottom[0], int(bp.GetAxis()), int(bp.GetNumAxes()), "bias")
		if err != nil {
			return err
		}
		b := blob.New(shape...)
		if err := filler.Fill(b, bp.GetFiller(), l.ctx.RNG); err != nil {
			return fmt.Errorf("bias_param.filler: %w", err)
		}
		l.blobs = []*blob.Blob{b}
	}
	return nil
}

// broadcastParamShape is the shape of the learned blob of Bias or Scale (what names
// the layer's parameters): bottom's axes [axis, axis+numAxes), or from axis to the
// end when numAxes is −1.
func broadcastParamShape(bottom *blob.Blob, axis, numAxes int, what string) ([]int, error) {
	a, err := bottom.CanonicalAxis(axis)
	if err != nil {
		return nil, fmt.Errorf("%s_param.axis: %w", what, err)
	}
	end := bottom.NumAxes()
	if numAxes >= 0 {
		end = a + numAxes
		if end > bottom.NumAxes() {
			return nil, fmt.Errorf("%s_param: %s blob's shape extends past bottom[0]'s shape %s when applied starting with bottom[0] axis = %d (num_axes %d)",
				what, what, bottom.ShapeString(), a, numAxes)
		}
	}
	return append([]int(nil), bottom.Shape()[a:end]...), nil
}

// broadcastDims checks that b (the bias or scale) fits bottom from the layer's axis
// and returns the outer, broadcast and inner counts. A scalar b is applied from axis
// 0, whatever the axis says, as in Caffe.
func broadcastDims(bottom, b *blob.Blob, axis int, what string) (outer, dim, inner int, err error) {
	a := 0
	if b.NumAxes() > 0 {
		if a, err = bottom.CanonicalAxis(axis); err != nil {
			return 0, 0, 0, fmt.Errorf("%s_param.axis: %w", what, err)
		}
	}
	if bottom.NumAxes() < a+b.NumAxes() {
		return 0, 0, 0, fmt.Errorf("%s blob's shape %s extends past bottom[0]'s shape %s when applied starting with bottom[0] axis = %d",
			what, b.ShapeString(), bottom.ShapeString(), a)
	}
	for i := 0; i < b.NumAxes(); i++ {
		if bottom.Dim(a+i) != b.Dim(i) {
			return 0, 0, 0, fmt.Errorf("dimension mismatch between bottom[0]->shape(%d) and %s->shape(%d): bottom[0] %s, %s %s (%s_param.axis %d)",
				a+i, what, i, bottom.ShapeString(), what, b.ShapeString(), what, axis)
		}
	}
	return bottom.CountRange(0, a), b.Count(), bottom.CountFrom(a + b.NumAxes()), nil
}

func (l *bias) Reshape(bottom, top []*blob.Blob) error {
	var err error
	l.outer, l.dim, l.inner, err = broadcastDims(bottom[0], l.biasBlob(bottom), int(l.param.GetBiasParam().GetAxis()), "bias")
	if err != nil {
		return err
	}
	if top[0] != bottom[0] {
		top[0].ReshapeLike(bottom[0])
	}
	return nil
}

func (l *bias) biasBlob(bottom []*blob.Blob) *blob.Blob {
	if len(bottom) > 1 {
		return bottom[1]
	}
	return l.blobs[0]
}

// Forward: top[o, b, i] = bottom[o, b, i] + bias[b].
func (l *bias) Forward(bottom, top []*blob.Blob) error {
	l.add = broadcastAdd{y: top[0].Data, v: l.biasBlob(bottom).Data, dim: l.dim, inner: l.inner}
	if top[0] != bottom[0] {
		l.add.x = bottom[0].Data
	}
	parallel.Run(l.outer*l.dim, planeGrain(l.inner), &l.add)
	l.add = broadcastAdd{}
	return nil
}

// Backward:
//
//	dbottom[0] = dtop (nothing to do in place)
//	dbias[b]   = Σ_{o,i} dtop[o, b, i]   (+= for the learned blob, = for bottom[1])
//
// The sum is Caffe's: for each o in turn, a matrix-vector product of dtop's (B, inner)
// block with ones (OpenBLAS's sgemv order), added to dbias (the first one overwrites
// bottom[1]'s gradient).
func (l *bias) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	dy := top[0].Diff
	learned := len(bottom) == 1
	if !numerics.IsCaffe() {
		l.back = biasBackward{l: l, dy: dy, set: !learned}
		if down[0] && top[0] != bottom[0] {
			l.back.dx = bottom[0].Diff
		}
		if learned && l.paramDown(0) || !learned && down[1] {
			l.back.db = l.biasBlob(bottom).Diff
		}
		parallel.Run(l.dim, planeGrain(l.outer*l.inner), &l.back)
		l.back = biasBackward{}
		return
	}
	if down[0] && top[0] != bottom[0] {
		copy(bottom[0].Diff, dy)
	}
	if learned && !l.paramDown(0) || !learned && !down[1] {
		return
	}
	db := l.biasBlob(bottom).Diff
	var beta float32
	if learned {
		beta = 1
	}
	block := l.dim * l.inner
	for o := 0; o < l.outer; o++ {
		blas.GemvOnes(false, l.dim, l.inner, 1, dy[o*block:(o+1)*block], beta, db)
		beta = 1
	}
}

// biasBackward is Bias's backward loop in the fast numerics, over the bias's
// elements b: db[b] += Σ_{o,i} dy[o, b, i] (= for a bottom's gradient, set), and
// dx = dy plane by plane where dx is not nil.
//
//	dy, dx (outer, B, inner)   db (B) or nil
type biasBackward struct {
	l          *bias
	dy, dx, db []float32
	set        bool
}

// Range computes the gradients of the bias's elements [lo, hi).
func (p *biasBackward) Range(lo, hi int) {
	l := p.l
	for d := lo; d < hi; d++ {
		var sum float64
		for o := range l.outer {
			q := (o*l.dim + d) * l.inner
			dy := p.dy[q : q+l.inner]
			if p.db != nil {
				sum += vec.Sum(dy)
			}
			if p.dx != nil {
				copy(p.dx[q:q+l.inner], dy)
			}
		}
		switch {
		case p.db == nil:
		case p.set:
			p.db[d] = float32(sum)
		default:
			p.db[d] += float32(sum)
		}
	}
}

// broadcastAdd is the loop of a vector added to a blob over its channel axis,
// y[o, d, i] = x[o, d, i] + v[d], plane by plane (the inner elements of one (o, d)):
// the planes are split over the cores, which changes no bit, and a ResNet runs them
// on a batch of one, where the batch alone gives the cores nothing to share. The
// sum is Caffe's product with k = 1 of the vector and ones, which rounds once.
//
//	x, y (outer, dim, inner)   x nil: in place on y;  v (dim)
type broadcastAdd struct {
	x, y, v    []float32
	dim, inner int
}

// Range computes the planes [lo, hi).
func (p *broadcastAdd) Range(lo, hi int) {
	for q := lo; q < hi; q++ {
		y := p.y[q*p.inner:][:p.inner]
		if p.x != nil {
			copy(y, p.x[q*p.inner:][:p.inner])
		}
		vec.AddConst(y, p.v[q%p.dim])
	}
}

// broadcastScale is the loop of a blob scaled by a vector over its channel axis,
// y[o, d, i] = v[d]·x[o, d, i], plane by plane as broadcastAdd, each plane by
// Caffe's caffe_cpu_scale (blas.Scale: a copy for 1, zeros for 0 whatever x holds).
//
//	x, y (outer, dim, inner)   y may be x;  v (dim)
type broadcastScale struct {
	x, y, v    []float32
	dim, inner int
}

// Range computes the planes [lo, hi).
func (p *broadcastScale) Range(lo, hi int) {
	for q := lo; q < hi; q++ {
		blas.Scale(p.v[q%p.dim], p.x[q*p.inner:][:p.inner], p.y[q*p.inner:][:p.inner])
	}
}
