package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("InnerProduct", newInnerProduct) }

// innerProduct is the fully connected layer: every output is a weighted sum of all
// the inputs from axis on, plus a bias.
//
//	bottom (M, K)  — the axes before axis flattened into M, the rest into K
//	weight (N, K), or (K, N) with transpose
//	bias   (N)
//	top    (M, N)  — the bottom's axes before axis, then N
type innerProduct struct {
	base
	m, k, n   int
	transpose bool
	biasTerm  bool
	ones      []float32 // (M) all 1: sums top_diff over the batch for the bias gradient
	topShape  []int     // kept, so that reshaping to the same shape allocates nothing
}

func newInnerProduct(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	ip := p.GetInnerProductParam()
	if ip.GetNumOutput() == 0 {
		return nil, fmt.Errorf("inner_product_param.num_output must be given and positive")
	}
	return &innerProduct{base: newBase(p, ctx), transpose: ip.GetTranspose(), biasTerm: ip.GetBiasTerm()}, nil
}

func (l *innerProduct) BlobCounts() BlobCounts { return Exactly(1, 1) }

func (l *innerProduct) Setup(bottom, top []*blob.Blob) error {
	ip := l.param.GetInnerProductParam()
	axis, err := bottom[0].CanonicalAxis(int(ip.GetAxis()))
	if err != nil {
		return fmt.Errorf("inner_product_param.axis: %w", err)
	}
	l.n = int(ip.GetNumOutput())
	l.k = bottom[0].CountFrom(axis)
	wshape := []int{l.n, l.k}
	if l.transpose {
		wshape = []int{l.k, l.n}
	}
	if err := l.setWeights("inner_product_param", wshape, ip.GetWeightFiller(), l.biasTerm, l.n, ip.GetBiasFiller()); err != nil {
		return err
	}
	return nil
}

func (l *innerProduct) Reshape(bottom, top []*blob.Blob) error {
	axis, err := bottom[0].CanonicalAxis(int(l.param.GetInnerProductParam().GetAxis()))
	if err != nil {
		return fmt.Errorf("inner_product_param.axis: %w", err)
	}
	if k := bottom[0].CountFrom(axis); k != l.k {
		return fmt.Errorf("input size incompatible with inner product parameters: bottom %s has %d inputs from axis %d, the weights take %d",
			bottom[0].ShapeString(), k, axis, l.k)
	}
	l.m = bottom[0].CountRange(0, axis)
	l.topShape = append(append(l.topShape[:0], bottom[0].Shape()[:axis]...), l.n)
	top[0].Reshape(l.topShape...)
	if l.biasTerm && len(l.ones) != l.m {
		l.ones = make([]float32, l.m)
		blas.Fill(l.ones, 1)
	}
	return nil
}

// Forward: top (M×N) = bottom (M×K) · Wᵀ + 1·biasᵀ.
func (l *innerProduct) Forward(bottom, top []*blob.Blob) error {
	w := l.blobs[0].Data
	blas.Gemm(false, !l.transpose, l.m, l.n, l.k, 1, bottom[0].Data, w, 0, top[0].Data)
	if l.biasTerm {
		blas.Gemm(false, false, l.m, l.n, 1, 1, l.ones, l.blobs[1].Data, 1, top[0].Data)
	}
	return nil
}

// Backward:
//
//	dW    (N×K) += dtopᵀ (N×M) · bottom (M×K)   — with transpose, dW (K×N) += bottomᵀ · dtop
//	dbias (N)   += dtopᵀ · 1
//	dbottom (M×K) = dtop (M×N) · W (N×K)
func (l *innerProduct) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	dtop, x := top[0].Diff, bottom[0].Data
	switch {
	case !l.paramDown(0): // frozen (lr_mult 0): no weight gradient
	case l.transpose:
		blas.Gemm(true, false, l.k, l.n, l.m, 1, x, dtop, 1, l.blobs[0].Diff)
	default:
		blas.Gemm(true, false, l.n, l.k, l.m, 1, dtop, x, 1, l.blobs[0].Diff)
	}
	if l.biasTerm && l.paramDown(1) {
		blas.Gemv(true, l.m, l.n, 1, dtop, l.ones, 1, l.blobs[1].Diff)
	}
	if down[0] {
		blas.Gemm(false, l.transpose, l.m, l.k, l.n, 1, dtop, l.blobs[0].Data, 0, bottom[0].Diff)
	}
}
