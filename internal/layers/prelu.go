package layers

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/filler"
	"github.com/gocaffe/gocaffe/internal/math/parallel"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("PReLU", newPReLU) }

// preluLayer is the parametric rectifier y = max(x, 0) + a·min(x, 0), with a learnable
// slope a for each channel, or one slope for all with channel_shared.
//
//	bottom (N, C, ...)  at least two axes; the slope of x[n, c, ...] is a[c]
//	top    the bottom's shape
//	slope  (C), or a 0-axis blob of one value with channel_shared
//	in     a copy of the bottom, only when the layer runs in place
//	sums   (C) float64: the slope gradient of each channel, before a shared slope adds them
type preluLayer struct {
	base
	shared        bool
	channels, dim int // C, and the count of one channel of one item (the axes after C)
	in            savedInput
	fwd           preluForward
	slopeGrad     preluSlopeGrad
	bwd           preluBackward
}

func newPReLU(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &preluLayer{base: newBase(p, ctx), shared: p.GetPreluParam().GetChannelShared()}, nil
}

func (l *preluLayer) BlobCounts() BlobCounts { return Exactly(1, 1) }

func (l *preluLayer) Setup(bottom, top []*blob.Blob) error {
	if n := bottom[0].NumAxes(); n < 2 {
		return fmt.Errorf("bottom of shape %s has %d axes; PReLU needs at least 2 (N, C, ...)", bottom[0].ShapeString(), n)
	}
	slope := blob.New()
	if !l.shared {
		slope.Reshape(bottom[0].Dim(1))
	}
	fp := l.param.GetPreluParam().GetFiller()
	if fp == nil {
		// Caffe's default: every slope starts at 0.25.
		fp = &caffepb.FillerParameter{Type: proto.String("constant"), Value: proto.Float32(0.25)}
	}
	if err := filler.Fill(slope, fp, l.ctx.RNG); err != nil {
		return fmt.Errorf("prelu_param.filler: %w", err)
	}
	l.blobs = []*blob.Blob{slope}
	return nil
}

func (l *preluLayer) Reshape(bottom, top []*blob.Blob) error {
	b := bottom[0]
	if n := b.NumAxes(); n < 2 {
		return fmt.Errorf("bottom of shape %s has %d axes; PReLU needs at least 2 (N, C, ...)", b.ShapeString(), n)
	}
	l.channels, l.dim = b.Dim(1), b.CountFrom(2)
	if !l.shared && l.blobs[0].Count() != l.channels {
		return fmt.Errorf("bottom of shape %s has %d channels, but there are %d slopes (one per channel)",
			b.ShapeString(), l.channels, l.blobs[0].Count())
	}
	top[0].ReshapeLike(b)
	l.in.reshape(b, top[0])
	return nil
}

// slopeOf is the index of the slope of channel c.
func (l *preluLayer) slopeOf(c int) int {
	if l.shared {
		return 0
	}
	return c
}

// rowGrain is the least number of (item, channel) rows worth a goroutine.
func (l *preluLayer) rowGrain() int { return max(1, elementwiseGrain/max(1, l.dim)) }

// Forward: y = x > 0 ? x : a[c]·x, row by row, where a row is one channel of one item.
func (l *preluLayer) Forward(bottom, top []*blob.Blob) error {
	l.in.save(bottom[0])
	l.fwd = preluForward{l: l, x: bottom[0].Data, y: top[0].Data}
	parallel.Run(bottom[0].Count()/max(1, l.dim), l.rowGrain(), &l.fwd)
	l.fwd = preluForward{}
	return nil
}

// Backward: da[c] += Σ over channel c of dy·x where x <= 0; dx = dy · (x > 0 ? 1 : a[c]).
// The slope gradient is taken first: in place, writing dx overwrites dy. Both are
// Caffe's loops: da[c] gains dy·x·(x <= 0) element after element (every channel of
// every item in turn when the slope is shared), and dx = dy·((x > 0) + a[c]·(x <= 0)).
func (l *preluLayer) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	x, dy, da := l.in.input(bottom[0]), top[0].Diff, l.blobs[0].Diff
	n := bottom[0].Count() / max(1, l.channels*l.dim)
	switch {
	case !l.paramDown(0): // frozen (lr_mult 0): no slope gradient
	case l.shared:
		// One sum in Caffe's order, which no split over the cores keeps.
		s := da[0]
		for i, v := range x[:n*l.channels*l.dim] {
			s += float32(float32(dy[i]*v) * boolf(v <= 0))
		}
		da[0] = s
	default:
		l.slopeGrad = preluSlopeGrad{l: l, x: x, dy: dy, items: n}
		parallel.Run(l.channels, max(1, l.rowGrain()/max(1, n)), &l.slopeGrad)
		l.slopeGrad = preluSlopeGrad{}
	}
	if down[0] {
		l.bwd = preluBackward{l: l, x: x, dy: dy, dx: bottom[0].Diff}
		parallel.Run(bottom[0].Count()/max(1, l.dim), l.rowGrain(), &l.bwd)
		l.bwd = preluBackward{}
	}
}

// preluForward is the forward loop over rows (one channel of one item).
//
//	x, y (N, C, ...)
type preluForward struct {
	l    *preluLayer
	x, y []float32
}

// Range computes the rows [lo, hi) as std::max(x, 0) + a·std::min(x, 0).
func (p *preluForward) Range(lo, hi int) {
	l, x, y, a := p.l, p.x, p.y, p.l.blobs[0].Data
	for r := lo; r < hi; r++ {
		s := a[l.slopeOf(r%l.channels)]
		for i := r * l.dim; i < (r+1)*l.dim; i++ {
			y[i] = cppMax(x[i], 0) + float32(s*cppMin(x[i], 0))
		}
	}
}

// preluSlopeGrad is the slope gradient of per-channel slopes, a loop over channels:
// each channel adds its items in order, as Caffe's single loop does.
//
//	x, dy (N, C, ...)
type preluSlopeGrad struct {
	l     *preluLayer
	x, dy []float32
	items int // N
}

// Range adds the gradients of the slopes of channels [lo, hi).
func (p *preluSlopeGrad) Range(lo, hi int) {
	l, x, dy, da := p.l, p.x, p.dy, p.l.blobs[0].Diff
	for c := lo; c < hi; c++ {
		s := da[c]
		for item := 0; item < p.items; item++ {
			for i := (item*l.channels + c) * l.dim; i < (item*l.channels+c+1)*l.dim; i++ {
				s += float32(float32(dy[i]*x[i]) * boolf(x[i] <= 0))
			}
		}
		da[c] = s
	}
}

// preluBackward is the input gradient's loop over rows (one channel of one item).
//
//	x, dy, dx (N, C, ...)
type preluBackward struct {
	l         *preluLayer
	x, dy, dx []float32
}

// Range computes the gradient of the rows [lo, hi).
func (p *preluBackward) Range(lo, hi int) {
	l, x, dy, dx, a := p.l, p.x, p.dy, p.dx, p.l.blobs[0].Data
	for r := lo; r < hi; r++ {
		s := a[l.slopeOf(r%l.channels)]
		for i := r * l.dim; i < (r+1)*l.dim; i++ {
			dx[i] = dy[i] * (boolf(x[i] > 0) + float32(s*boolf(x[i] <= 0)))
		}
	}
}

// savedInput keeps a copy of a layer's input for a backward pass that reads x, when
// the layer runs in place (top and bottom the same blob) and forward overwrites x
// with y. Caffe keeps such a copy for PReLU only; its AbsVal, BNLL, Log and Power read
// the overwritten values in place and get wrong gradients (its ELU too, when alpha is
// negative: y > 0 then no longer means x > 0). gocaffe's do not.
// Out of place nothing is copied.
type savedInput struct {
	inPlace bool
	x       []float32 // (the bottom's count) only in place
}

// reshape notes whether the layer runs in place and sizes the copy. Layers call it
// from Reshape.
func (s *savedInput) reshape(bottom, top *blob.Blob) {
	s.inPlace = bottom == top
	if !s.inPlace {
		return
	}
	if n := bottom.Count(); cap(s.x) < n {
		s.x = make([]float32, n)
	} else {
		s.x = s.x[:n]
	}
}

// save copies the input before forward overwrites it; Forward calls it first.
func (s *savedInput) save(bottom *blob.Blob) {
	if s.inPlace {
		copy(s.x, bottom.Data)
	}
}

// input returns the x the last Forward read, for Backward.
func (s *savedInput) input(bottom *blob.Blob) []float32 {
	if s.inPlace {
		return s.x
	}
	return bottom.Data
}
