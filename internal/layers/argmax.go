package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("ArgMax", newArgMax) }

// argMax finds the top_k largest values of every instance and outputs their indices
// (and, with out_max_val, the values).
//
// Without argmax_param.axis an instance is everything after axis 0:
//
//	bottom (N, D…)        D = count from axis 1
//	top    (N, 1, K)      the indices, padded to 3 axes
//	       (N, 2, K)      out_max_val: the indices, then the values
//
// With axis, every position of the other axes is an instance along that axis:
//
//	bottom (outer, D, inner)
//	top    (outer, K, inner)   the indices, or with out_max_val the values only
//
// Ties go to the larger index, as Caffe's sort of (value, index) pairs decides them.
type argMax struct {
	base
	topK      int
	outMaxVal bool
	hasAxis   bool
	axis      int
	pairs     []argPair // (D) one instance, being sorted
}

type argPair struct {
	v   float32
	idx int
}

// before orders pairs as std::greater on std::pair does: by value, then by index.
func (a argPair) before(b argPair) bool { return a.v > b.v || (!(b.v > a.v) && a.idx > b.idx) }

func newArgMax(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	ap := p.GetArgmaxParam()
	if ap.GetTopK() < 1 {
		return nil, fmt.Errorf("argmax_param.top_k must not be less than 1, got %d", ap.GetTopK())
	}
	return &argMax{base: newBase(p, ctx), topK: int(ap.GetTopK()), outMaxVal: ap.GetOutMaxVal(), hasAxis: ap != nil && ap.Axis != nil}, nil
}

func (l *argMax) BlobCounts() BlobCounts { return Exactly(1, 1) }

func (l *argMax) Setup(bottom, top []*blob.Blob) error {
	b := bottom[0]
	if l.hasAxis {
		a, err := b.CanonicalAxis(int(l.param.GetArgmaxParam().GetAxis()))
		if err != nil {
			return fmt.Errorf("argmax_param.axis: %w", err)
		}
		if l.topK > b.Dim(a) {
			return fmt.Errorf("argmax_param.top_k (%d) must be less than or equal to the dimension of the axis (axis %d of bottom %s)",
				l.topK, a, b.ShapeString())
		}
	} else if b.NumAxes() == 0 || l.topK > b.CountFrom(1) {
		return fmt.Errorf("argmax_param.top_k (%d) must be less than or equal to the dimension of the flattened bottom blob per instance (bottom %s)",
			l.topK, b.ShapeString())
	}
	return nil
}

func (l *argMax) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	b := bottom[0]
	var shape []int
	if l.hasAxis {
		a, err := b.CanonicalAxis(int(l.param.GetArgmaxParam().GetAxis()))
		if err != nil {
			return fmt.Errorf("argmax_param.axis: %w", err)
		}
		if l.topK > b.Dim(a) {
			return fmt.Errorf("argmax_param.top_k (%d) is larger than axis %d of bottom %s", l.topK, a, b.ShapeString())
		}
		l.axis = a
		shape = append(shape, b.Shape()...)
		shape[a] = l.topK
	} else {
		if b.NumAxes() == 0 || l.topK > b.CountFrom(1) {
			return fmt.Errorf("argmax_param.top_k (%d) is larger than an instance of bottom %s", l.topK, b.ShapeString())
		}
		shape = make([]int, max(b.NumAxes(), 3))
		for i := range shape {
			shape[i] = 1
		}
		shape[0], shape[2] = b.Dim(0), l.topK
		if l.outMaxVal {
			shape[1] = 2
		}
	}
	top[0].Reshape(shape...)
	dim := l.dim(b)
	if cap(l.pairs) < dim {
		l.pairs = make([]argPair, dim)
	}
	l.pairs = l.pairs[:dim]
	return nil
}

// dim is the length of an instance.
func (l *argMax) dim(b *blob.Blob) int {
	if l.hasAxis {
		return b.Dim(l.axis)
	}
	return b.CountFrom(1)
}

func (l *argMax) Forward(bottom, top []*blob.Blob) error {
	b := bottom[0]
	x, y := b.Data, top[0].Data
	dim, stride := l.dim(b), 1
	if l.hasAxis {
		stride = b.CountFrom(l.axis + 1)
	}
	if dim == 0 {
		return nil
	}
	k, p := l.topK, l.pairs
	for i := 0; i < b.Count()/dim; i++ {
		o, in := i/stride, i%stride
		for j := range p {
			p[j] = argPair{x[(o*dim+j)*stride+in], j}
		}
		// Selection of the k first in (value, index) descending order: k is small.
		for j := 0; j < k; j++ {
			best := j
			for m := j + 1; m < dim; m++ {
				if p[m].before(p[best]) {
					best = m
				}
			}
			p[j], p[best] = p[best], p[j]
		}
		for j := 0; j < k; j++ {
			switch {
			case l.hasAxis && l.outMaxVal:
				y[(o*k+j)*stride+in] = p[j].v
			case l.hasAxis:
				y[(o*k+j)*stride+in] = float32(p[j].idx)
			case l.outMaxVal:
				y[2*i*k+j] = float32(p[j].idx)
				y[2*i*k+k+j] = p[j].v
			default:
				y[i*k+j] = float32(p[j].idx)
			}
		}
	}
	return nil
}

// AllowForceBackward is false: Caffe's ArgMax has no backward (it aborts if asked),
// so the net never asks for the bottom's gradient, not even with force_backward.
func (l *argMax) AllowForceBackward(int) bool { return false }

// Backward: should anything call it, it writes the derivative of a piecewise
// constant function, 0, so that the bottom's gradient is overwritten as every
// Backward does.
func (l *argMax) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if down[0] {
		clear(bottom[0].Diff)
	}
}
