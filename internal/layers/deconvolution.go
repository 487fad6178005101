package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Deconvolution", newDeconvolution) }

// deconvolution is Caffe's Deconvolution layer, the transpose of a convolution: its
// forward pass is a convolution's backward pass (col2im of Wᵀ·bottom) and its backward
// pass a convolution's forward pass (see baseConv, reversed).
//
//	bottom (N, C, H, W, …)
//	weight (C, num_output/G, kh, kw, …)
//	bias   (num_output)
//	top    (N, num_output, H', W', …)   — H' = s(H − 1) + d(k − 1) + 1 − 2p
type deconvolution struct {
	baseConv
}

func newDeconvolution(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	if err := checkConvParam(p); err != nil {
		return nil, err
	}
	return &deconvolution{baseConv{base: newBase(p, ctx), reverse: true}}, nil
}

func (l *deconvolution) Setup(bottom, top []*blob.Blob) error {
	if err := l.setupConv(bottom); err != nil {
		return err
	}
	return l.Reshape(bottom, top)
}

func (l *deconvolution) Reshape(bottom, top []*blob.Blob) error {
	return l.reshapeConv(bottom, top, func(i, in int) int {
		extent := l.dilation[i]*(l.kernel[i]-1) + 1
		return l.stride[i]*(in-1) + extent - 2*l.pad[i]
	})
}

// Forward, per image n of every bottom:
//
//	top[n] (num_output, H'·W'·…) = col2im(Wᵀ · bottom[n]) + bias ⊗ 1
func (l *deconvolution) Forward(bottom, top []*blob.Blob) error {
	for i := range bottom {
		l.pass = convPass{x: bottom[i].Data, y: top[i].Data}
		parallel.Run(l.chunks, 1, l)
	}
	l.pass = convPass{}
	return nil
}

// Backward, per image n of every bottom:
//
//	dbias   += dtop[n] · 1
//	dW      += bottom[n] · im2col(dtop[n])ᵀ
//	dbottom[n] = W · im2col(dtop[n])      — reusing the columns of the weight gradient
func (l *deconvolution) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	for i := range top {
		l.addParamGrads(bottom[i].Data, top[i].Diff, l)
		if !down[i] {
			continue
		}
		l.pass = convPass{backward: true, dy: top[i].Diff, dx: bottom[i].Diff}
		parallel.Run(l.chunks, 1, l)
	}
	l.pass = convPass{}
}

// Range runs the current pass on the chunks [lo, hi) of the batch.
func (l *deconvolution) Range(lo, hi int) {
	p := &l.pass
	for c := lo; c < hi; c++ {
		if p.weights {
			l.imageWeightGrad(c, p.first+c)
			continue
		}
		first, last := l.chunkRange(c)
		col := l.cols[c]
		if !p.backward {
			for n := first; n < last; n++ {
				yn := p.y[n*l.topDim : (n+1)*l.topDim]
				l.convBackward(p.x[n*l.bottomDim:(n+1)*l.bottomDim], yn, col)
				if l.biasTerm {
					l.addBias(yn)
				}
			}
			continue
		}
		for n := first; n < last; n++ {
			dyn := p.dy[n*l.topDim : (n+1)*l.topDim]
			l.convForward(dyn, p.dx[n*l.bottomDim:(n+1)*l.bottomDim], col, false)
		}
	}
}
