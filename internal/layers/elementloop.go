package layers

import "github.com/gocaffe/gocaffe/internal/math/parallel"

// elementLoop runs the passes of a layer that computes each element on its own
// (the activations): the elements are split over the cores, and the layer's
// forwardRange or backwardRange handles each chunk, reading the buffers of the
// current pass from the loop. A layer keeps its loop, which is the parallel.Ranger,
// so that a pass allocates nothing, where a closure handed to parallel.For would.
type elementLoop struct {
	x, y, dy, dx []float32
	forwardBody  elementwiseForward  // set during a forward pass
	backwardBody elementwiseBackward // set during a backward pass
}

// elementwiseForward is a layer whose forward pass an elementLoop runs.
type elementwiseForward interface {
	forwardRange(p *elementLoop, lo, hi int)
}

// elementwiseBackward is a layer whose backward pass an elementLoop runs.
type elementwiseBackward interface {
	backwardRange(p *elementLoop, lo, hi int)
}

// forward runs l.forwardRange over the elements of x, to y.
func (p *elementLoop) forward(l elementwiseForward, x, y []float32) {
	*p = elementLoop{x: x, y: y, forwardBody: l}
	parallel.Run(len(x), elementwiseGrain, p)
	*p = elementLoop{}
}

// backward runs l.backwardRange over the elements of dx, given the pass's x, y and
// dy (those the layer does not read may be nil).
func (p *elementLoop) backward(l elementwiseBackward, x, y, dy, dx []float32) {
	*p = elementLoop{x: x, y: y, dy: dy, dx: dx, backwardBody: l}
	parallel.Run(len(dx), elementwiseGrain, p)
	*p = elementLoop{}
}

// Range runs the current pass over the elements [lo, hi).
func (p *elementLoop) Range(lo, hi int) {
	if p.backwardBody != nil {
		p.backwardBody.backwardRange(p, lo, hi)
		return
	}
	p.forwardBody.forwardRange(p, lo, hi)
}
