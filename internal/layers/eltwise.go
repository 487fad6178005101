package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Eltwise", newEltwise) }

// eltwise combines bottoms of one shape element by element: their product (PROD),
// their weighted sum Σ coeff_i·x_i (SUM, coefficients 1 unless given) or their
// maximum (MAX, remembering which bottom won; as in Caffe, coefficients given to MAX
// are accepted and ignored).
//
//	bottom i (any shape, the same for all)
//	top      that shape
//	argmax   (that shape) MAX only: the index of the winning bottom
type eltwise struct {
	base
	op         caffepb.EltwiseParameter_EltwiseOp
	coeffs     []float32
	stableProd bool
	argmax     []int32
	pass       eltwisePass
}

// eltwisePass is what a pass's loop (Range) reads: the blobs, and for a backward
// pass the bottom whose gradient it computes.
type eltwisePass struct {
	bottom   []*blob.Blob
	top      *blob.Blob
	backward bool
	bi       int
}

func newEltwise(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	ep := p.GetEltwiseParam()
	op := ep.GetOperation()
	switch op {
	case caffepb.EltwiseParameter_PROD, caffepb.EltwiseParameter_SUM, caffepb.EltwiseParameter_MAX:
	default:
		return nil, fmt.Errorf("eltwise_param.operation: unknown elementwise operation %v", op)
	}
	if op == caffepb.EltwiseParameter_PROD && len(ep.GetCoeff()) > 0 {
		return nil, fmt.Errorf("eltwise_param.coeff: the Eltwise layer only takes coefficients for summation (operation SUM), not %v", op)
	}
	return &eltwise{base: newBase(p, ctx), op: op, stableProd: ep.GetStableProdGrad()}, nil
}

func (l *eltwise) BlobCounts() BlobCounts {
	return BlobCounts{MinBottom: 2, MaxBottom: Any, MinTop: 1, MaxTop: 1}
}

func (l *eltwise) Setup(bottom, top []*blob.Blob) error {
	coeff := l.param.GetEltwiseParam().GetCoeff()
	if len(coeff) != 0 && len(coeff) != len(bottom) {
		return fmt.Errorf("eltwise_param.coeff: the Eltwise layer takes one coefficient per bottom blob: %d coefficients, %d bottoms",
			len(coeff), len(bottom))
	}
	l.coeffs = make([]float32, len(bottom))
	for i := range l.coeffs {
		l.coeffs[i] = 1
		if len(coeff) > 0 {
			l.coeffs[i] = coeff[i]
		}
	}
	return l.Reshape(bottom, top)
}

func (l *eltwise) Reshape(bottom, top []*blob.Blob) error {
	// Caffe does not check, but in place its SUM and MAX read a bottom they have
	// already overwritten.
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	if len(bottom) != len(l.coeffs) {
		return fmt.Errorf("the layer was set up with %d bottoms, not %d", len(l.coeffs), len(bottom))
	}
	for i, b := range bottom[1:] {
		if !equalInts(b.Shape(), bottom[0].Shape()) {
			return fmt.Errorf("all bottoms must have the same shape: bottom 0 is %s, bottom %d is %s",
				bottom[0].ShapeString(), i+1, b.ShapeString())
		}
	}
	top[0].ReshapeLike(bottom[0])
	if l.op == caffepb.EltwiseParameter_MAX {
		l.argmax = resizeInt32(l.argmax, top[0].Count())
	}
	return nil
}

func (l *eltwise) Forward(bottom, top []*blob.Blob) error {
	l.pass = eltwisePass{bottom: bottom, top: top[0]}
	parallel.Run(top[0].Count(), elementwiseGrain, l)
	l.pass = eltwisePass{}
	return nil
}

// Range runs the pass over elements lo to hi−1, which are split over the cores.
func (l *eltwise) Range(lo, hi int) {
	if l.pass.backward {
		l.backwardRange(lo, hi)
		return
	}
	l.forwardRange(lo, hi)
}

func (l *eltwise) forwardRange(lo, hi int) {
	bottom, y := l.pass.bottom, l.pass.top.Data
	switch l.op {
	case caffepb.EltwiseParameter_PROD:
		// y = x_0 · x_1 · … · x_{n-1}
		a, b := bottom[0].Data, bottom[1].Data
		for i := lo; i < hi; i++ {
			y[i] = a[i] * b[i]
		}
		for _, bi := range bottom[2:] {
			x := bi.Data
			for i := lo; i < hi; i++ {
				y[i] *= x[i]
			}
		}
	case caffepb.EltwiseParameter_SUM:
		// y = Σ_i coeff_i · x_i, accumulated in bottom order by Caffe's caffe_axpy
		// (this range's part of it: blas.AxpyPart rounds as the whole saxpy does).
		ys := y[lo:hi]
		clear(ys)
		for bi, b := range bottom {
			blas.AxpyPart(len(y), lo, l.coeffs[bi], b.Data[lo:hi], ys)
		}
	case caffepb.EltwiseParameter_MAX:
		// y = max_i x_i; a tie between the first two goes to bottom 1, a later
		// bottom wins only when strictly larger.
		a, b := bottom[0].Data, bottom[1].Data
		for i := lo; i < hi; i++ {
			if a[i] > b[i] {
				y[i], l.argmax[i] = a[i], 0
			} else {
				y[i], l.argmax[i] = b[i], 1
			}
		}
		for bi := 2; bi < len(bottom); bi++ {
			x := bottom[bi].Data
			for i := lo; i < hi; i++ {
				if x[i] > y[i] {
					y[i], l.argmax[i] = x[i], int32(bi)
				}
			}
		}
	}
}

// Backward:
//
//	PROD  dx_i = dy · Π_{j≠i} x_j   (stable_prod_grad: the product of the others;
//	                                otherwise y / x_i, as Caffe does)
//	SUM   dx_i = coeff_i · dy
//	MAX   dx_i = dy where bottom i won, 0 elsewhere
func (l *eltwise) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	for bi := range bottom {
		if !down[bi] {
			continue
		}
		l.pass = eltwisePass{bottom: bottom, top: top[0], backward: true, bi: bi}
		parallel.Run(top[0].Count(), elementwiseGrain, l)
	}
	l.pass = eltwisePass{}
}

func (l *eltwise) backwardRange(lo, hi int) {
	bottom, bi := l.pass.bottom, l.pass.bi
	y, dy := l.pass.top.Data, l.pass.top.Diff
	x, dx := bottom[bi].Data, bottom[bi].Diff
	switch l.op {
	case caffepb.EltwiseParameter_PROD:
		if l.stableProd {
			first := true
			for bj, other := range bottom {
				if bj == bi {
					continue
				}
				o := other.Data
				if first {
					copy(dx[lo:hi], o[lo:hi])
					first = false
					continue
				}
				for i := lo; i < hi; i++ {
					dx[i] *= o[i]
				}
			}
		} else {
			for i := lo; i < hi; i++ {
				dx[i] = y[i] / x[i]
			}
		}
		for i := lo; i < hi; i++ {
			dx[i] *= dy[i]
		}
	case caffepb.EltwiseParameter_SUM:
		// Caffe's caffe_copy for 1, caffe_cpu_scale otherwise.
		c, dys, dxs := l.coeffs[bi], dy[lo:hi], dx[lo:hi]
		for i, v := range dys {
			dxs[i] = scalElem(c, v)
		}
	case caffepb.EltwiseParameter_MAX:
		for i := lo; i < hi; i++ {
			if l.argmax[i] == int32(bi) {
				dx[i] = dy[i]
			} else {
				dx[i] = 0
			}
		}
	}
}
