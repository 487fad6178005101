package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Power", newPower) }

// powerLayer is y = (shift + scale·x)^power.
//
//	bottom any shape
//	top    the bottom's shape
//	in     a copy of the bottom, only in place: backward reads x
type powerLayer struct {
	base
	loop                elementLoop
	power, scale, shift float32
	// diffScale = power·scale: the derivative's constant factor. When it is 0 the
	// output does not depend on the input.
	diffScale float32
	in        savedInput
}

func newPower(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	pp := p.GetPowerParam()
	l := &powerLayer{base: newBase(p, ctx), power: pp.GetPower(), scale: pp.GetScale(), shift: pp.GetShift()}
	l.diffScale = l.power * l.scale
	return l, nil
}

func (l *powerLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }
func (l *powerLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	l.in.reshape(bottom[0], top[0])
	return nil
}

// Forward: y = (shift + scale·x)^power, as Caffe's passes: caffe_scal by scale,
// caffe_add_scalar of shift and caffe_powx by power (powf), each only when it changes
// something. With power 0 or scale 0, y is the constant 1 or powf(shift, power)
// (Caffe's special case: even 0^0 and NaN inputs give it).
func (l *powerLayer) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	if l.diffScale == 0 {
		var v float32 = 1
		if l.power != 0 {
			v = cmath.Powf(l.shift, l.power)
		}
		blas.Fill(y, v)
		return nil
	}
	l.in.save(bottom[0])
	l.loop.forward(l, x, y)
	return nil
}

// shifted is shift + scale·x as Caffe's passes compute it.
func (l *powerLayer) shifted(x float32) float32 {
	if l.scale != 1 {
		x = scalElem(l.scale, x)
	}
	if l.shift != 0 {
		x += l.shift
	}
	return x
}

// forwardRange runs Forward on the elements [lo, hi).
func (l *powerLayer) forwardRange(p *elementForward, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		v := l.shifted(x[i])
		if l.power != 1 {
			v = cmath.Powf(v, l.power)
		}
		y[i] = v
	}
}

// Backward: dx = dy · power·scale · (shift + scale·x)^(power−1), computed as Caffe's
// passes compute it: power·scale for power 1; 2·scale·(shift + scale·x) for power 2
// (caffe_cpu_axpby, then caffe_add_scalar of power·scale·shift); otherwise
// power·scale·y/(shift + scale·x) (y/x·power when shift is 0), which is 0/0 where the
// base is 0, as in Caffe. In place it reads the kept x, not y as Caffe's does.
func (l *powerLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	x, dy, dx := l.in.input(bottom[0]), top[0].Diff, bottom[0].Diff
	if l.diffScale == 0 {
		clear(dx)
		return
	}
	l.loop.backward(l, x, l.out(top[0]), dy, dx)
}

// out is y for backward: the top's data, or nothing when backward does not read it.
func (l *powerLayer) out(top *blob.Blob) []float32 {
	if l.power == 1 || l.power == 2 {
		return nil
	}
	return top.Data
}

// backwardRange runs Backward on the elements [lo, hi).
func (l *powerLayer) backwardRange(p *elementBackward, lo, hi int) {
	x, y, dy, dx := p.x, p.y, p.dy, p.dx
	for i := lo; i < hi; i++ {
		var d float32
		switch {
		case l.power == 1:
			d = l.diffScale
		case l.power == 2:
			// saxpy of diff_scale·scale·x onto zeros: the product plus +0.
			d = float32(l.diffScale*l.scale*x[i]) + 0
			if l.shift != 0 {
				d += float32(l.diffScale * l.shift)
			}
		case l.shift == 0:
			d = scalElem(l.power, y[i]/x[i])
		default:
			d = scalElem(l.diffScale, y[i]/l.shifted(x[i]))
		}
		dx[i] = dy[i] * d
	}
}
