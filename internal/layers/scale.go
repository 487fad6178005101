package layers

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/filler"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/internal/math/vec"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Scale", newScale) }

// scale multiplies its bottom by a scale blob, broadcast: bottom[1], or a learned
// parameter whose shape is the bottom's axes [axis, axis+num_axes) (num_axes −1: to
// the end), filled with 1 unless a filler is given. With bias_term an internal Bias
// layer then adds a learned bias of the scale's shape, in place on the top. The layer
// may run in place.
//
//	bottom[0] (outer, S, inner)   S = the scale's count, its axes starting at axis
//	scale     (S)                 bottom[1], or blobs[0]
//	bias      (S)                 the last blob, with bias_term
//	top       (outer, S, inner)   top[o, s, i] = bottom[o, s, i]·scale[s] (+ bias[s])
//	saved     (outer, S, inner)   in place only: the bottom, which backward needs
//
// The caffe numerics runs Caffe's calls (see Backward). The fast numerics runs a pass
// per step, plane by plane (the inner elements of one (o, s)): forward the scale and
// the bias as one fused multiply-add (scaleForward); backward each s's sums Σdy and
// Σdy·x in one pass, in float32 lanes finished in float64, and dx = dy·scale[s] while
// the plane is in cache, each s whole on one goroutine (scaleBackward).
type scale struct {
	base
	outer, dim, inner int
	bias              *bias  // with bias_term
	biasDown          []bool // the bias layer's propagate_down: never to the top it runs on
	saved             *blob.Blob
	sumResult         []float32 // (outer·S) the per-plane sums of backward (Caffe's sum_result_)
	caffeScale        broadcastScale
	fwd               scaleForward
	back              scaleBackward
}

func newScale(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	if n := p.GetScaleParam().GetNumAxes(); n < -1 {
		return nil, fmt.Errorf("scale_param.num_axes must be non-negative, or -1 to extend to the end of bottom[0], got %d", n)
	}
	return &scale{base: newBase(p, ctx), saved: blob.New(), biasDown: []bool{false}}, nil
}

func (l *scale) BlobCounts() BlobCounts {
	return BlobCounts{MinBottom: 1, MaxBottom: 2, MinTop: 1, MaxTop: 1}
}

func (l *scale) Setup(bottom, top []*blob.Blob) error {
	sp := l.param.GetScaleParam()
	if len(bottom) == 1 && len(l.blobs) == 0 {
		shape, err := broadcastParamShape(bottom[0], int(sp.GetAxis()), int(sp.GetNumAxes()), "scale")
		if err != nil {
			return err
		}
		s := blob.New(shape...)
		fp := sp.GetFiller()
		if fp == nil {
			// The identity unless told otherwise.
			fp = &caffepb.FillerParameter{Type: proto.String("constant"), Value: proto.Float32(1)}
		}
		if err := filler.Fill(s, fp, l.ctx.RNG); err != nil {
			return fmt.Errorf("scale_param.filler: %w", err)
		}
		l.blobs = []*blob.Blob{s}
	}
	if sp.GetBiasTerm() {
		// The bias layer gets this layer's parameters as a Bias layer's: the same axis,
		// num_axes that of the scale, the bias filler.
		bp := proto.Clone(l.param).(*caffepb.LayerParameter)
		bp.Type = proto.String("Bias")
		numAxes := sp.GetNumAxes()
		if len(bottom) > 1 {
			numAxes = int32(bottom[1].NumAxes())
		}
		bp.BiasParam = &caffepb.BiasParameter{Axis: proto.Int32(sp.GetAxis()), NumAxes: proto.Int32(numAxes), Filler: sp.GetBiasFiller()}
		bl, err := newBias(bp, l.ctx)
		if err != nil {
			return err
		}
		l.bias = bl.(*bias)
		if err := l.bias.Setup(bottom[:1], top); err != nil {
			return fmt.Errorf("bias_term: %w", err)
		}
		l.blobs = append(l.blobs, l.bias.blobs[0])
	}
	return nil
}

func (l *scale) Reshape(bottom, top []*blob.Blob) error {
	var err error
	l.outer, l.dim, l.inner, err = broadcastDims(bottom[0], l.scaleBlob(bottom), int(l.param.GetScaleParam().GetAxis()), "scale")
	if err != nil {
		return err
	}
	if top[0] == bottom[0] {
		l.saved.ReshapeLike(bottom[0])
	} else {
		top[0].ReshapeLike(bottom[0])
	}
	l.sumResult = blob.Grow(l.sumResult, l.outer*l.dim)
	if l.bias != nil {
		// The bias is added in place on the top.
		if err := l.bias.Reshape(top[:1], top); err != nil {
			return fmt.Errorf("bias_term: %w", err)
		}
	}
	return nil
}

func (l *scale) scaleBlob(bottom []*blob.Blob) *blob.Blob {
	if len(bottom) > 1 {
		return bottom[1]
	}
	return l.blobs[0]
}

// Forward: top[o, s, i] = bottom[o, s, i]·scale[s], then + bias[s].
func (l *scale) Forward(bottom, top []*blob.Blob) error {
	x, y, s := bottom[0].Data, top[0].Data, l.scaleBlob(bottom).Data
	planes, grain := l.outer*l.dim, planeGrain(l.inner)
	if !numerics.IsCaffe() {
		l.fwd = scaleForward{l: l, x: x, y: y, s: s}
		if top[0] == bottom[0] {
			l.fwd.saved = l.saved.Data
		}
		if l.bias != nil {
			l.fwd.b = l.bias.blobs[0].Data
		}
		parallel.Run(planes, grain, &l.fwd)
		l.fwd = scaleForward{}
		return nil
	}
	if top[0] == bottom[0] {
		copy(l.saved.Data, x)
	}
	l.caffeScale = broadcastScale{x: x, y: y, v: s, dim: l.dim, inner: l.inner}
	parallel.Run(planes, grain, &l.caffeScale)
	l.caffeScale = broadcastScale{}
	if l.bias != nil {
		return l.bias.Forward(top[:1], top)
	}
	return nil
}

// Backward:
//
//	dbias[s]   += Σ_{o,i} dtop[o, s, i]
//	dscale[s]  += Σ_{o,i} dtop[o, s, i]·bottom[o, s, i]   (= for bottom[1])
//	dbottom    =  dtop·scale[s]
//
// in that order (in place, dbottom overwrites dtop), with Caffe's calls: the
// products dtop·bottom into a buffer (bottom[0]'s gradient, or the saved bottom in
// place, or the scale's gradient itself when the scale has the bottom's size, which
// Caffe then overwrites rather than adds to); their sums over the inner axis as a
// matrix-vector product with ones (a dot product when there is one plane), then over
// the outer axis the same way; OpenBLAS's orders throughout.
func (l *scale) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !numerics.IsCaffe() {
		l.fastBackward(top, down, bottom)
		return
	}
	if l.bias != nil && l.paramDown(len(l.blobs)-1) {
		l.bias.Backward(top, l.biasDown, top[:1])
	}
	dy := top[0].Diff
	sc := l.scaleBlob(bottom)
	learned := len(bottom) == 1
	if learned && l.paramDown(0) || !learned && down[1] {
		inPlace := top[0] == bottom[0]
		x := bottom[0].Data
		if inPlace {
			x = l.saved.Data
		}
		eltwise := bottom[0].Count() == sc.Count()
		product := bottom[0].Diff
		switch {
		case eltwise:
			product = sc.Diff
		case inPlace:
			product = l.saved.Data
		}
		product = product[:len(dy)]
		vec.Mul(product, dy, x[:len(dy)]) // one rounding each, as Caffe's caffe_mul
		if !eltwise {
			l.sumScale(product, sc.Diff, learned)
		}
	}
	if down[0] {
		l.caffeScale = broadcastScale{x: dy, y: bottom[0].Diff, v: sc.Data, dim: l.dim, inner: l.inner}
		parallel.Run(l.outer*l.dim, planeGrain(l.inner), &l.caffeScale)
		l.caffeScale = broadcastScale{}
	}
}

// sumScale adds the products (outer, S, inner) into the scale's gradient ds (sets it
// for bottom[1]) as Caffe's ScaleLayer::Backward_cpu does.
func (l *scale) sumScale(product, ds []float32, learned bool) {
	var beta float32
	if learned {
		beta = 1
	}
	set := func(r float32) {
		if learned {
			ds[0] += r
		} else {
			ds[0] = r
		}
	}
	var sum []float32
	switch {
	case l.inner == 1:
		sum = product
	case l.outer*l.dim == 1:
		set(blas.Dot(product[:l.inner], blas.Ones(l.inner)))
	default:
		sum = l.sumResult
		if l.outer == 1 {
			// Straight into the gradient, which Caffe overwrites here even for the
			// learned blob.
			sum = ds
		}
		blas.GemvOnes(false, l.outer*l.dim, l.inner, 1, product, 0, sum)
	}
	if l.outer == 1 {
		return
	}
	if l.dim == 1 {
		set(blas.Dot(blas.Ones(l.outer), sum[:l.outer]))
		return
	}
	blas.GemvOnes(true, l.outer, l.dim, 1, sum, beta, ds)
}

// scaleForward is Scale's forward loop in the fast numerics, over planes (o, s):
// y = x·scale[s] + bias[s] in one fused pass (x·scale[s] without a bias), the bottom
// saved first when in place.
//
//	x, y, saved (outer, S, inner)   y may be x; saved nil unless in place
//	s, b (S)                        b nil without a bias
type scaleForward struct {
	l                 *scale
	x, y, saved, s, b []float32
}

// Range computes the planes [lo, hi).
func (p *scaleForward) Range(lo, hi int) {
	l := p.l
	for q := lo; q < hi; q++ {
		x, y := p.x[q*l.inner:][:l.inner], p.y[q*l.inner:][:l.inner]
		if p.saved != nil {
			copy(p.saved[q*l.inner:][:l.inner], x)
		}
		d := q % l.dim
		if p.b != nil {
			vec.ScaleAdd(y, x, p.s[d], p.b[d])
		} else {
			vec.Scale(y, x, p.s[d])
		}
	}
}

// fastBackward is Backward in the fast numerics. The scale's gradient is added to
// a learned blob and set in a bottom's, and, as Caffe does, also set in a learned
// blob of the bottom's size or when the batch (outer) is 1 with more than one scale
// (where Caffe's sgemv writes straight into it).
func (l *scale) fastBackward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	sc := l.scaleBlob(bottom)
	learned := len(bottom) == 1
	x := bottom[0].Data
	if top[0] == bottom[0] {
		x = l.saved.Data
	}
	l.back = scaleBackward{l: l, x: x, dy: top[0].Diff, s: sc.Data,
		setScale: !learned || bottom[0].Count() == sc.Count() || l.outer == 1 && l.dim > 1}
	if down[0] {
		l.back.dx = bottom[0].Diff
	}
	if learned && l.paramDown(0) || !learned && down[1] {
		l.back.ds = sc.Diff
	}
	if l.bias != nil && l.paramDown(len(l.blobs)-1) {
		l.back.db = l.bias.blobs[0].Diff
	}
	parallel.Run(l.dim, planeGrain(l.outer*l.inner), &l.back)
	l.back = scaleBackward{}
}

// scaleBackward is Scale's backward loop in the fast numerics, over the scale's
// elements s: ds[s] (+)= Σ_{o,i} dy·x and db[s] += Σ_{o,i} dy, both sums in one pass
// over each plane, then dx = dy·scale[s] over it (in place, dx is dy: the sums are
// taken first).
//
//	x, dy, dx (outer, S, inner)   dx nil: no bottom gradient
//	s, ds, db (S)                 ds, db nil: no such gradient
type scaleBackward struct {
	l                    *scale
	x, dy, dx, s, ds, db []float32
	setScale             bool // ds = the sum, rather than ds += the sum
}

// Range computes the gradients of the scale's elements [lo, hi).
func (p *scaleBackward) Range(lo, hi int) {
	l := p.l
	for d := lo; d < hi; d++ {
		var sdy, sdyx float64
		for o := range l.outer {
			q := (o*l.dim + d) * l.inner
			dy := p.dy[q : q+l.inner]
			switch {
			case p.ds != nil:
				s, dot := vec.SumDot(dy, p.x[q:q+l.inner])
				sdy += s
				sdyx += dot
			case p.db != nil:
				sdy += vec.Sum(dy)
			}
			if p.dx != nil {
				vec.Scale(p.dx[q:q+l.inner], dy, p.s[d])
			}
		}
		switch {
		case p.ds == nil:
		case p.setScale:
			p.ds[d] = float32(sdyx)
		default:
			p.ds[d] += float32(sdyx)
		}
		if p.db != nil {
			p.db[d] += float32(sdy)
		}
	}
}
