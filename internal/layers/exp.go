package layers

import (
	"fmt"
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Exp", newExp) }

// expLayer is y = base^(shift + scale·x), base −1 meaning e. It is computed as
// y = outer · e^(inner·x) with inner = ln(base)·scale and outer = base^shift.
// Backward reads only y, so the layer may run in place.
//
//	bottom any shape
//	top    the bottom's shape
type expLayer struct {
	base
	loop         elementLoop
	inner, outer float32
}

func newExp(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	ep := p.GetExpParam()
	logBase, err := logOfBase("exp_param", ep.GetBase())
	if err != nil {
		return nil, err
	}
	l := &expLayer{base: newBase(p, ctx), inner: logBase * ep.GetScale(), outer: 1}
	if base, shift := ep.GetBase(), ep.GetShift(); shift != 0 {
		if base == -1 {
			l.outer = cmath.Expf(shift) // Caffe's exp of a float: expf
		} else {
			l.outer = cmath.Powf(base, shift) // and its pow of two floats: powf
		}
	}
	return l, nil
}

// logOfBase is ln(base) for the base of an Exp or Log layer: exactly 1 for base −1
// (Caffe's spelling of e), an error for a base that is not positive and finite.
func logOfBase(field string, base float32) (float32, error) {
	if base == -1 {
		return 1, nil
	}
	if !(base > 0) || math.IsInf(float64(base), 0) {
		return 0, fmt.Errorf("%s.base must be positive (or -1 for e), got %g", field, base)
	}
	return cmath.Logf(base), nil // Caffe's log of a float: logf
}

func (l *expLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *expLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	return nil
}

// Forward: y = outer · e^(inner·x).
func (l *expLayer) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	l.loop.forward(l, x, y)
	return nil
}

// forwardRange runs Forward on the elements [lo, hi).
func (l *expLayer) forwardRange(p *elementForward, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		// Caffe's passes: caffe_cpu_scale by inner, expf, caffe_scal by outer.
		y[i] = scalElem(l.outer, cmath.Expf(scalElem(l.inner, x[i])))
	}
}

// Backward: dx = dy · y · inner.
func (l *expLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	y, dy, dx := top[0].Data, top[0].Diff, bottom[0].Diff
	l.loop.backward(l, nil, y, dy, dx)
}

// backwardRange runs Backward on the elements [lo, hi).
func (l *expLayer) backwardRange(p *elementBackward, lo, hi int) {
	y, dy, dx := p.y, p.dy, p.dx
	for i := lo; i < hi; i++ {
		// Caffe's caffe_mul of y and dy, then caffe_scal by inner.
		dx[i] = scalElem(l.inner, y[i]*dy[i])
	}
}
