package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/filler"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
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
type bias struct {
	base
	outer, dim, inner int
	bc                broadcast
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
	return l.Reshape(bottom, top)
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
	x, y, b := bottom[0].Data, top[0].Data, l.biasBlob(bottom).Data
	if top[0] != bottom[0] {
		copy(y, x)
	}
	l.bc.add(y, b, l.outer, l.dim, l.inner)
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
	if down[0] && top[0] != bottom[0] {
		copy(bottom[0].Diff, dy)
	}
	learned := len(bottom) == 1
	if !learned && !down[1] {
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

// broadcast runs the loops of a blob broadcast against a vector over its channel
// axis — y[o, d, i] with v[d] — plane by plane (the inner elements of one (o, d)),
// the planes split over the cores: a ResNet runs them on a batch of one, where the
// batch alone gives the cores nothing to share. Every plane is computed on its own,
// so the split does not change any bit. A layer keeps its broadcast, so that a pass
// allocates nothing (it is the parallel.Ranger of the loop).
type broadcast struct {
	op                broadcastOp
	x, y, v           []float32
	outer, dim, inner int
}

type broadcastOp int

const (
	addVector   broadcastOp = iota // y[o, d, i] += v[d]
	scaleVector                    // y[o, d, i] = v[d]·x[o, d, i]
)

// add adds v[d] to every y[o, d, i]: Caffe's product with k = 1 of the vector and
// ones, which rounds once, as the sum does.
func (p *broadcast) add(y, v []float32, outer, dim, inner int) {
	*p = broadcast{op: addVector, y: y, v: v, outer: outer, dim: dim, inner: inner}
	parallel.Run(outer*dim, planeGrain(inner), p) // planeGrain: pooling.go
}

// scale sets y[o, d, i] = v[d]·x[o, d, i] plane by plane as Caffe's caffe_cpu_scale
// (blas.Scale: a copy for 1, zeros for 0 whatever x holds); y may be x.
func (p *broadcast) scale(x, y, v []float32, outer, dim, inner int) {
	*p = broadcast{op: scaleVector, x: x, y: y, v: v, outer: outer, dim: dim, inner: inner}
	parallel.Run(outer*dim, planeGrain(inner), p)
}

// Range runs planes lo to hi−1.
func (p *broadcast) Range(lo, hi int) {
	inner := p.inner
	switch p.op {
	case addVector:
		for q := lo; q < hi; q++ {
			v, row := p.v[q%p.dim], p.y[q*inner:][:inner]
			for i := range row {
				row[i] += v
			}
		}
	case scaleVector:
		for q := lo; q < hi; q++ {
			blas.Scale(p.v[q%p.dim], p.x[q*inner:][:inner], p.y[q*inner:][:inner])
		}
	}
}
