package layers

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/filler"
	"github.com/gocaffe/gocaffe/internal/math/blas"
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
type scale struct {
	base
	outer, dim, inner int
	bias              *bias  // with bias_term
	biasDown          []bool // the bias layer's propagate_down: never to the top it runs on
	saved             *blob.Blob
	sumResult         []float32 // (outer·S) the per-plane sums of backward (Caffe's sum_result_)
	bc                broadcast
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
	return l.Reshape(bottom, top)
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
	l.sumResult = resizeFloat32(l.sumResult, l.outer*l.dim)
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
	if top[0] == bottom[0] {
		copy(l.saved.Data, x)
	}
	l.bc.scale(x, y, s, l.outer, l.dim, l.inner)
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
	if l.bias != nil {
		l.bias.Backward(top, l.biasDown, top[:1])
	}
	dy := top[0].Diff
	sc := l.scaleBlob(bottom)
	learned := len(bottom) == 1
	if learned || down[1] {
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
		for i, v := range dy {
			product[i] = v * x[i]
		}
		if !eltwise {
			l.sumScale(product, sc.Diff, learned)
		}
	}
	if down[0] {
		l.bc.scale(dy, bottom[0].Diff, sc.Data, l.outer, l.dim, l.inner)
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
