package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Convolution", newConvolution) }

// convolution is Caffe's Convolution layer: every bottom i is convolved with the same
// filters into top i, by im2col and one GEMM per image and group. Setup, Reshape and
// Backward are baseConv's; Backward is, per image n of every bottom, im2col's
// three products:
//
//	dbias   += dtop[n] · 1
//	dW      += dtop[n] · im2col(bottom[n])ᵀ
//	dbottom[n] = col2im(Wᵀ · dtop[n])
//
//	bottom (N, C, H, W, …)                — N the axes before axis, then channels, then spatial axes
//	weight (num_output, C/G, kh, kw, …)
//	bias   (num_output)
//	top    (N, num_output, H', W', …)     — H' = (H + 2p − (d(k−1)+1)) / s + 1, rounded down
type convolution struct {
	baseConv
}

func newConvolution(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	if err := checkConvParam(p); err != nil {
		return nil, err
	}
	return &convolution{baseConv{base: newBase(p, ctx)}}, nil
}

// Forward, per image n of every bottom:
//
//	top[n] (num_output, S) = W · im2col(bottom[n]) + bias ⊗ 1
func (l *convolution) Forward(bottom, top []*blob.Blob) error {
	for i := range bottom {
		l.toOutputs(bottom[i].Data, top[i].Data, l.biasTerm)
	}
	return nil
}
