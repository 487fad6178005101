package layers

import (
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
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

func (l *powerLayer) BlobCounts() BlobCounts               { return Exactly(1, 1) }
func (l *powerLayer) Setup(bottom, top []*blob.Blob) error { return l.Reshape(bottom, top) }
func (l *powerLayer) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	l.in.reshape(bottom[0], top[0])
	return nil
}

// pow is b^e, with the cases Caffe's tests demand be exact (and NaN-free for any b)
// done by multiplication.
func (l *powerLayer) pow(b, e float32) float32 {
	switch e {
	case 0:
		return 1
	case 1:
		return b
	case 2:
		return b * b
	}
	return float32(math.Pow(float64(b), float64(e)))
}

// Forward: y = (shift + scale·x)^power. With power 0 or scale 0, y is the constant
// 1 or shift^power (Caffe's special case: even 0^0 and NaN inputs give it).
func (l *powerLayer) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	if l.diffScale == 0 {
		v := l.pow(l.shift, l.power)
		for i := range y {
			y[i] = v
		}
		return nil
	}
	l.in.save(bottom[0])
	l.loop.forward(l, x, y)
	return nil
}

// forwardRange runs Forward on the elements [lo, hi).
func (l *powerLayer) forwardRange(p *elementLoop, lo, hi int) {
	x, y := p.x, p.y
	for i := lo; i < hi; i++ {
		y[i] = l.pow(l.shift+l.scale*x[i], l.power)
	}
}

// Backward: dx = dy · power·scale · (shift + scale·x)^(power−1).
//
// Caffe computes the last factor as y / (shift + scale·x), which is 0/0 where the
// base is 0; the power itself is finite there for power >= 1, and in place it needs
// only x, which is kept.
func (l *powerLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	x, dy, dx := l.in.input(bottom[0]), top[0].Diff, bottom[0].Diff
	if l.diffScale == 0 {
		clear(dx)
		return
	}
	l.loop.backward(l, x, nil, dy, dx)
}

// backwardRange runs Backward on the elements [lo, hi).
func (l *powerLayer) backwardRange(p *elementLoop, lo, hi int) {
	x, dy, dx := p.x, p.dy, p.dx
	for i := lo; i < hi; i++ {
		dx[i] = dy[i] * l.diffScale * l.pow(l.shift+l.scale*x[i], l.power-1)
	}
}
