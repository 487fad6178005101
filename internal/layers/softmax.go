package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Softmax", newSoftmax) }

// softmax normalises along one axis: y_c = exp(x_c) / Σ_c' exp(x_c').
//
//	bottom, top (outer, C, inner) — the axes before axis, the softmax axis, the rest
type softmax struct {
	base
	outer, channels, inner int
}

func newSoftmax(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &softmax{base: newBase(p, ctx)}, nil
}

func (l *softmax) BlobCounts() BlobCounts { return Exactly(1, 1) }

func (l *softmax) Reshape(bottom, top []*blob.Blob) error {
	axis, err := bottom[0].CanonicalAxis(int(l.param.GetSoftmaxParam().GetAxis()))
	if err != nil {
		return fmt.Errorf("softmax_param.axis: %w", err)
	}
	top[0].ReshapeLike(bottom[0])
	l.outer, l.channels, l.inner = bottom[0].CountRange(0, axis), bottom[0].Dim(axis), bottom[0].CountFrom(axis+1)
	return nil
}

func (l *softmax) Forward(bottom, top []*blob.Blob) error {
	softmaxForward(bottom[0].Data, top[0].Data, l.outer, l.channels, l.inner)
	return nil
}

// softmaxStackSums is how many positions' sums softmaxForward keeps on the stack;
// a larger inner allocates.
const softmaxStackSums = 1024

// softmaxForward computes y = softmax(x) along the middle axis of (outer, C, inner),
// subtracting the maximum first so that exp cannot overflow. x and y may be the same.
func softmaxForward(x, y []float32, outer, channels, inner int) {
	var stack [softmaxStackSums]float32
	var sums []float32
	if inner <= len(stack) {
		sums = stack[:inner]
	} else {
		sums = make([]float32, inner)
	}
	for o := 0; o < outer; o++ {
		xo, yo := x[o*channels*inner:][:channels*inner], y[o*channels*inner:][:channels*inner]
		for in := 0; in < inner; in++ {
			// std::max from the first channel on, as Caffe takes it (a NaN after
			// the first channel is passed over, as there).
			maxv := xo[in]
			for c := 0; c < channels; c++ {
				if v := xo[c*inner+in]; maxv < v {
					maxv = v
				}
			}
			for c := 0; c < channels; c++ {
				yo[c*inner+in] = cmath.Expf(xo[c*inner+in] - maxv)
			}
		}
		// Caffe sums the channels as a product with a vector of ones, so the sums
		// are added in OpenBLAS's order, not channel after channel: with inner 1 and
		// 10 channels, (((e0+e1)+e2)+e3) + (((e4+e5)+e6)+e7), then + e8, then + e9.
		blas.GemvOnes(true, channels, inner, 1, yo, 0, sums)
		for c := 0; c < channels; c++ {
			for in, s := range sums {
				yo[c*inner+in] /= s
			}
		}
	}
}

// Backward: dx_c = (dy_c − Σ_c' dy_c'·y_c') · y_c, as Caffe computes it: the sum over
// the channels of each position is caffe_cpu_strided_dot (cblas_sdot with the inner
// count as increment, or unit increments when inner is 1, which OpenBLAS sums in
// another order), subtracted by a product with k = 1 (one rounding, as here), and the
// difference multiplied by y.
func (l *softmax) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	y, dy, dx := top[0].Data, top[0].Diff, bottom[0].Diff
	n, c, in := l.outer, l.channels, l.inner
	for o := 0; o < n; o++ {
		base := o * c * in
		for i := 0; i < in; i++ {
			dot := blas.DotStrided(c, dy[base+i:], in, y[base+i:], in)
			for k := 0; k < c; k++ {
				j := base + k*in + i
				dx[j] = (dy[j] - dot) * y[j]
			}
		}
	}
}
