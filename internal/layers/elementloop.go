package layers

import "github.com/gocaffe/gocaffe/internal/math/parallel"

// elementwiseGrain is the least number of elements worth a goroutine of its own: the
// grain of every loop over elements, and the unit of the other grains. Below it the
// cost of handing a chunk to a helper is no longer small beside the chunk's work.
const elementwiseGrain = 1 << 14

// planeGrain is the least number of planes of planeSize values worth a goroutine of
// their own, for the loops over channel planes.
func planeGrain(planeSize int) int { return max(1, elementwiseGrain/max(planeSize, 1)) }

// elementLoop holds the two loops of a layer that computes each element on its own
// (the activations): the elements are split over the cores, and the layer's
// forwardRange or backwardRange handles each chunk, reading the pass's buffers from
// its loop. A layer keeps its loops, which are the parallel.Rangers, so that a pass
// allocates nothing, where a closure handed to parallel.For would.
type elementLoop struct {
	fwd elementForward
	bwd elementBackward
}

// elementwiseForward is a layer whose forward pass an elementForward runs.
type elementwiseForward interface {
	forwardRange(p *elementForward, lo, hi int)
}

// elementwiseBackward is a layer whose backward pass an elementBackward runs.
type elementwiseBackward interface {
	backwardRange(p *elementBackward, lo, hi int)
}

// elementForward is the forward loop of an element-wise layer.
//
//	x, y (count)
type elementForward struct {
	body elementwiseForward
	x, y []float32
}

// Range runs the layer's forward pass over the elements [lo, hi).
func (p *elementForward) Range(lo, hi int) { p.body.forwardRange(p, lo, hi) }

// elementBackward is the backward loop of an element-wise layer; the buffers the
// layer does not read may be nil.
//
//	x, y, dy, dx (count)
type elementBackward struct {
	body         elementwiseBackward
	x, y, dy, dx []float32
}

// Range runs the layer's backward pass over the elements [lo, hi).
func (p *elementBackward) Range(lo, hi int) { p.body.backwardRange(p, lo, hi) }

// forward runs l.forwardRange over the elements of x, to y.
func (p *elementLoop) forward(l elementwiseForward, x, y []float32) {
	p.fwd = elementForward{body: l, x: x, y: y}
	parallel.Run(len(x), elementwiseGrain, &p.fwd)
	p.fwd = elementForward{}
}

// backward runs l.backwardRange over the elements of dx, given the pass's x, y and
// dy (those the layer does not read may be nil).
func (p *elementLoop) backward(l elementwiseBackward, x, y, dy, dx []float32) {
	p.bwd = elementBackward{body: l, x: x, y: y, dy: dy, dx: dx}
	parallel.Run(len(dx), elementwiseGrain, &p.bwd)
	p.bwd = elementBackward{}
}
