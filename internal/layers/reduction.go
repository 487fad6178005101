package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Reduction", newReduction) }

// reduction reduces every axis from reduction_param.axis on to one number, scaled by
// coeff: SUM Σx, ASUM Σ|x|, SUMSQ Σx², MEAN Σx/D.
//
//	bottom (outer, D)   D = the count from axis on
//	top    (outer)      the bottom's axes before axis (a scalar for axis 0)
type reduction struct {
	base
	op         caffepb.ReductionParameter_ReductionOp
	coeff      float32 // coeff, divided by D for MEAN
	outer, dim int
}

func newReduction(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	op := p.GetReductionParam().GetOperation()
	switch op {
	case caffepb.ReductionParameter_SUM, caffepb.ReductionParameter_ASUM,
		caffepb.ReductionParameter_SUMSQ, caffepb.ReductionParameter_MEAN:
	default:
		return nil, fmt.Errorf("reduction_param.operation: unknown reduction op %v", op)
	}
	return &reduction{base: newBase(p, ctx), op: op}, nil
}

func (l *reduction) BlobCounts() BlobCounts { return Exactly(1, 1) }

func (l *reduction) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	b := bottom[0]
	rp := l.param.GetReductionParam()
	axis, err := b.CanonicalAxis(int(rp.GetAxis()))
	if err != nil {
		return fmt.Errorf("reduction_param.axis: %w", err)
	}
	top[0].Reshape(b.Shape()[:axis]...)
	l.outer, l.dim = b.CountRange(0, axis), b.CountFrom(axis)
	l.coeff = rp.GetCoeff()
	if l.op == caffepb.ReductionParameter_MEAN {
		l.coeff /= float32(l.dim)
	}
	return nil
}

// Forward: y[o] = coeff · Σ_d f(x[o, d]).
func (l *reduction) Forward(bottom, top []*blob.Blob) error {
	// Caffe's calls: caffe_cpu_dot with ones (SUM, MEAN) or with x itself (SUMSQ),
	// caffe_cpu_asum (ASUM), each in OpenBLAS's order, then caffe_scal by coeff.
	x, y := bottom[0].Data, top[0].Data[:l.outer]
	for o := range y {
		xs := x[o*l.dim : (o+1)*l.dim]
		switch l.op {
		case caffepb.ReductionParameter_SUM, caffepb.ReductionParameter_MEAN:
			y[o] = blas.Dot(blas.Ones(l.dim), xs)
		case caffepb.ReductionParameter_ASUM:
			y[o] = blas.AsumAt(xs, o*l.dim) // xs lies o·dim floats into the blob
		case caffepb.ReductionParameter_SUMSQ:
			y[o] = blas.Dot(xs, xs)
		}
	}
	if l.coeff != 1 {
		blas.Scal(l.coeff, y)
	}
	return nil
}

// Backward: dx[o, d] = coeff · dy[o] · f′(x[o, d]), with f′ = 1 (SUM, MEAN),
// sign(x) (ASUM, 0 at 0) and 2x (SUMSQ), as Caffe's caffe_set, caffe_cpu_sign then
// caffe_scal, and caffe_cpu_scale.
func (l *reduction) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	dy, x, dx := top[0].Diff, bottom[0].Data, bottom[0].Diff
	for o := 0; o < l.outer; o++ {
		g := dy[o] * l.coeff
		xs, dxs := x[o*l.dim:(o+1)*l.dim], dx[o*l.dim:(o+1)*l.dim]
		switch l.op {
		case caffepb.ReductionParameter_SUM, caffepb.ReductionParameter_MEAN:
			blas.Fill(dxs, g)
		case caffepb.ReductionParameter_ASUM:
			for d, v := range xs {
				dxs[d] = caffeSign(v)
			}
			blas.Scal(g, dxs)
		case caffepb.ReductionParameter_SUMSQ:
			blas.Scale(2*g, xs, dxs)
		}
	}
}
