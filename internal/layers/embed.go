package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Embed", newEmbed) }

// embed looks up a learned vector for every integer id of its bottom: a one-hot
// inner product, stored as a table.
//
//	bottom (…)          M ids, each an integer in [0, K)
//	weight (K, N)       row k is the vector of id k (the transpose of InnerProduct's)
//	bias   (N)
//	top    (…, N)       top[m, :] = weight[id_m, :] + bias
type embed struct {
	base
	k, n, m  int
	biasTerm bool
}

func newEmbed(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	ep := p.GetEmbedParam()
	if ep.GetNumOutput() == 0 {
		return nil, fmt.Errorf("embed_param.num_output must be given and positive")
	}
	if ep.GetInputDim() == 0 {
		return nil, fmt.Errorf("embed_param.input_dim must be given and positive")
	}
	return &embed{base: newBase(p, ctx), k: int(ep.GetInputDim()), n: int(ep.GetNumOutput()), biasTerm: ep.GetBiasTerm()}, nil
}

func (l *embed) BlobCounts() BlobCounts { return Exactly(1, 1) }

func (l *embed) Setup(bottom, top []*blob.Blob) error {
	ep := l.param.GetEmbedParam()
	if err := l.setWeights("embed_param", []int{l.k, l.n}, ep.GetWeightFiller(), l.biasTerm, l.n, ep.GetBiasFiller()); err != nil {
		return err
	}
	return nil
}

func (l *embed) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	l.m = bottom[0].Count()
	top[0].Reshape(append(append([]int(nil), bottom[0].Shape()...), l.n)...)
	return nil
}

// Forward: top[m, :] = weight[id_m, :] (+ bias). An id that is not an integer in
// [0, input_dim) is an error (Caffe checks only in debug builds).
func (l *embed) Forward(bottom, top []*blob.Blob) error {
	ids, w, y := bottom[0].Data, l.blobs[0].Data, top[0].Data
	for m, v := range ids {
		id := int(v)
		if float32(id) != v || id < 0 || id >= l.k {
			return fmt.Errorf("input %g at position %d is not an integer id in [0, %d) (embed_param.input_dim)", v, m, l.k)
		}
		row := y[m*l.n : (m+1)*l.n]
		copy(row, w[id*l.n:(id+1)*l.n])
		if l.biasTerm {
			for j, b := range l.blobs[1].Data {
				row[j] += b
			}
		}
	}
	return nil
}

// AllowForceBackward is false for the ids: they have no gradient (Caffe aborts if
// asked for one), so the net never asks.
func (l *embed) AllowForceBackward(int) bool { return false }

// Backward:
//
//	dweight[id_m, :] += dtop[m, :]   for every m, in order (Caffe's caffe_axpy by 1)
//	dbias            += Σ_m dtop[m, :]
//	dids              = 0 (piecewise constant), should anything ask
func (l *embed) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	ids, dy, dw := bottom[0].Data, top[0].Diff, l.blobs[0].Diff
	if l.paramDown(0) { // else frozen (lr_mult 0): no weight gradient
		for m, v := range ids {
			id := int(v)
			if id < 0 || id >= l.k {
				continue // refused by Forward
			}
			d := dw[id*l.n : (id+1)*l.n]
			for j, g := range dy[m*l.n : (m+1)*l.n] {
				d[j] += g
			}
		}
	}
	if l.biasTerm && l.paramDown(1) {
		// Caffe's gemv of dtop's transpose with ones, in OpenBLAS's order.
		blas.GemvOnes(true, l.m, l.n, 1, dy[:l.m*l.n], 1, l.blobs[1].Diff)
	}
	if down[0] {
		clear(bottom[0].Diff)
	}
}
