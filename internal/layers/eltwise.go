package layers

import (
	"fmt"
	"slices"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/internal/math/vec"
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
//
// Every loop runs over the elements, split over the cores. Each computes its
// elements as Caffe does, in both numerics, but for SUM's forward pass: Caffe's
// caffe_axpy per bottom in the caffe numerics; a sum of the bottoms (or a fused
// multiply-add per coefficient) in the fast numerics.
type eltwise struct {
	base
	op         caffepb.EltwiseParameter_EltwiseOp
	coeffs     []float32
	unitCoeffs bool // SUM: every coefficient is 1
	stableProd bool
	argmax     []int32

	prod     eltwiseProd
	sum      eltwiseSum
	sumCaffe eltwiseSumCaffe
	max      eltwiseMax
	prodBack eltwiseProdBackward
	sumBack  eltwiseSumBackward
	maxBack  eltwiseMaxBackward
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
	l.unitCoeffs = true
	for i := range l.coeffs {
		l.coeffs[i] = 1
		if len(coeff) > 0 {
			l.coeffs[i] = coeff[i]
		}
		l.unitCoeffs = l.unitCoeffs && l.coeffs[i] == 1
	}
	return nil
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
		if !slices.Equal(b.Shape(), bottom[0].Shape()) {
			return fmt.Errorf("all bottoms must have the same shape: bottom 0 is %s, bottom %d is %s",
				bottom[0].ShapeString(), i+1, b.ShapeString())
		}
	}
	top[0].ReshapeLike(bottom[0])
	if l.op == caffepb.EltwiseParameter_MAX {
		l.argmax = blob.Grow(l.argmax, top[0].Count())
	}
	return nil
}

// Forward:
//
//	PROD  y = x_0 · x_1 · … · x_{n−1}
//	SUM   y = Σ_i coeff_i · x_i
//	MAX   y = max_i x_i, argmax = the winning bottom
func (l *eltwise) Forward(bottom, top []*blob.Blob) error {
	y := top[0].Data
	var loop parallel.Ranger
	switch l.op {
	case caffepb.EltwiseParameter_PROD:
		l.prod = eltwiseProd{bottom: bottom, y: y}
		loop = &l.prod
	case caffepb.EltwiseParameter_SUM:
		if numerics.IsCaffe() {
			l.sumCaffe = eltwiseSumCaffe{l: l, bottom: bottom, y: y}
			loop = &l.sumCaffe
		} else {
			l.sum = eltwiseSum{l: l, bottom: bottom, y: y}
			loop = &l.sum
		}
	case caffepb.EltwiseParameter_MAX:
		l.max = eltwiseMax{l: l, bottom: bottom, y: y}
		loop = &l.max
	}
	parallel.Run(len(y), elementwiseGrain, loop)
	l.prod, l.sum, l.sumCaffe, l.max = eltwiseProd{}, eltwiseSum{}, eltwiseSumCaffe{}, eltwiseMax{}
	return nil
}

// eltwiseProd is PROD's forward loop: y = x_0 · x_1, then y ·= x_i in bottom order,
// Caffe's caffe_mul calls.
type eltwiseProd struct {
	bottom []*blob.Blob
	y      []float32
}

// Range computes the elements [lo, hi).
func (p *eltwiseProd) Range(lo, hi int) {
	y := p.y[lo:hi]
	vec.Mul(y, p.bottom[0].Data[lo:hi], p.bottom[1].Data[lo:hi])
	for _, b := range p.bottom[2:] {
		vec.Mul(y, y, b.Data[lo:hi])
	}
}

// eltwiseSumCaffe is SUM's forward loop in the caffe numerics: y = 0, then
// y += coeff_i · x_i in bottom order by Caffe's caffe_axpy (this range's part of it:
// blas.AxpyPart rounds as the whole saxpy does).
type eltwiseSumCaffe struct {
	l      *eltwise
	bottom []*blob.Blob
	y      []float32
}

// Range computes the elements [lo, hi).
func (p *eltwiseSumCaffe) Range(lo, hi int) {
	ys := p.y[lo:hi]
	clear(ys)
	for bi, b := range p.bottom {
		blas.AxpyPart(len(p.y), lo, p.l.coeffs[bi], b.Data[lo:hi], ys)
	}
}

// eltwiseSum is SUM's forward loop in the fast numerics: with every coefficient 1,
// y = x_0 + x_1, then y += x_i; otherwise y = c_0·x_0 + c_1·x_1, then y += c_i·x_i,
// each product fused with its sum.
type eltwiseSum struct {
	l      *eltwise
	bottom []*blob.Blob
	y      []float32
}

// Range computes the elements [lo, hi).
func (p *eltwiseSum) Range(lo, hi int) {
	y, c := p.y[lo:hi], p.l.coeffs
	x0, x1 := p.bottom[0].Data[lo:hi], p.bottom[1].Data[lo:hi]
	if p.l.unitCoeffs {
		vec.Add(y, x0, x1)
		for _, b := range p.bottom[2:] {
			vec.Add(y, y, b.Data[lo:hi])
		}
		return
	}
	vec.Affine2(y, x0, x1, c[0], c[1], 0)
	for i, b := range p.bottom[2:] {
		vec.AddScaled(y, b.Data[lo:hi], c[2+i])
	}
}

// eltwiseMax is MAX's forward loop: y = max(x_0, x_1) with a tie going to bottom 1,
// then a later bottom wins only when strictly larger (Caffe's rule); argmax holds
// the winner.
type eltwiseMax struct {
	l      *eltwise
	bottom []*blob.Blob
	y      []float32
}

// Range computes the elements [lo, hi).
func (p *eltwiseMax) Range(lo, hi int) {
	y, arg := p.y[lo:hi], p.l.argmax[lo:hi]
	vec.MaxArg2(y, arg, p.bottom[0].Data[lo:hi], p.bottom[1].Data[lo:hi])
	for bi := 2; bi < len(p.bottom); bi++ {
		vec.MaxArgNext(y, arg, p.bottom[bi].Data[lo:hi], int32(bi))
	}
}

// Backward, for each bottom i to propagate to:
//
//	PROD  dx_i = dy · Π_{j≠i} x_j   (stable_prod_grad: the product of the others;
//	                                otherwise y / x_i, as Caffe does)
//	SUM   dx_i = coeff_i · dy
//	MAX   dx_i = dy where bottom i won, 0 elsewhere
func (l *eltwise) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	n := top[0].Count()
	for bi := range bottom {
		if !down[bi] {
			continue
		}
		dy, dx := top[0].Diff, bottom[bi].Diff
		var loop parallel.Ranger
		switch l.op {
		case caffepb.EltwiseParameter_PROD:
			l.prodBack = eltwiseProdBackward{l: l, bottom: bottom, bi: bi, y: top[0].Data, dy: dy, dx: dx}
			loop = &l.prodBack
		case caffepb.EltwiseParameter_SUM:
			l.sumBack = eltwiseSumBackward{coeff: l.coeffs[bi], dy: dy, dx: dx}
			loop = &l.sumBack
		case caffepb.EltwiseParameter_MAX:
			l.maxBack = eltwiseMaxBackward{l: l, bi: int32(bi), dy: dy, dx: dx}
			loop = &l.maxBack
		}
		parallel.Run(n, elementwiseGrain, loop)
	}
	l.prodBack, l.sumBack, l.maxBack = eltwiseProdBackward{}, eltwiseSumBackward{}, eltwiseMaxBackward{}
}

// eltwiseProdBackward is PROD's backward loop for bottom bi, Caffe's calls: the
// product of the other bottoms in order (stable_prod_grad) or y / x_bi, then times dy.
type eltwiseProdBackward struct {
	l         *eltwise
	bottom    []*blob.Blob
	bi        int
	y, dy, dx []float32
}

// Range computes the elements [lo, hi).
func (p *eltwiseProdBackward) Range(lo, hi int) {
	dx := p.dx[lo:hi]
	if p.l.stableProd {
		first := true
		for bj, other := range p.bottom {
			if bj == p.bi {
				continue
			}
			if first {
				copy(dx, other.Data[lo:hi])
				first = false
				continue
			}
			vec.Mul(dx, dx, other.Data[lo:hi])
		}
	} else {
		vec.Div(dx, p.y[lo:hi], p.bottom[p.bi].Data[lo:hi])
	}
	vec.Mul(dx, dx, p.dy[lo:hi])
}

// eltwiseSumBackward is SUM's backward loop for one bottom: dx = coeff·dy as Caffe
// computes it, caffe_copy for 1 and otherwise caffe_cpu_scale (zeros for 0 or NaN
// whatever dy holds, see scalElem).
type eltwiseSumBackward struct {
	coeff  float32
	dy, dx []float32
}

// Range computes the elements [lo, hi).
func (p *eltwiseSumBackward) Range(lo, hi int) {
	c, dy, dx := p.coeff, p.dy[lo:hi], p.dx[lo:hi]
	switch {
	case c == 1:
		copy(dx, dy)
	case c == 0 || c != c:
		clear(dx)
	default:
		vec.Scale(dx, dy, c)
	}
}

// eltwiseMaxBackward is MAX's backward loop for bottom bi: dx = dy where bi won,
// else 0.
type eltwiseMaxBackward struct {
	l      *eltwise
	bi     int32
	dy, dx []float32
}

// Range computes the elements [lo, hi).
func (p *eltwiseMaxBackward) Range(lo, hi int) {
	vec.SelectArg(p.dx[lo:hi], p.dy[lo:hi], p.l.argmax[lo:hi], p.bi)
}
