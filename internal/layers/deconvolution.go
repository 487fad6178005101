package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Deconvolution", newDeconvolution) }

// deconvolution is Caffe's Deconvolution layer, the transpose of a convolution: its
// forward pass is a convolution's backward pass (col2im of Wᵀ·bottom) and its backward
// pass a convolution's forward pass (see baseConv, reversed). Setup, Reshape and
// Backward are baseConv's; Backward is, per image n of every bottom:
//
//	dbias   += dtop[n] · 1
//	dW      += bottom[n] · im2col(dtop[n])ᵀ
//	dbottom[n] = W · im2col(dtop[n])
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

// Forward, per image n of every bottom:
//
//	top[n] (num_output, H'·W'·…) = col2im(Wᵀ · bottom[n]) + bias ⊗ 1
func (l *deconvolution) Forward(bottom, top []*blob.Blob) error {
	for i := range bottom {
		l.toImages(bottom[i].Data, top[i].Data, l.biasTerm)
	}
	return nil
}
