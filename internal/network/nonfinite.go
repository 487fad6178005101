package network

import (
	"fmt"
	"math"
)

// NonFinite locates the first NaN or infinity in a net's blobs: where a diverging
// run went wrong. The search is a pass over the blobs, for after a non-finite value
// has been seen (a loss, a parameter), not for every iteration.
type NonFinite struct {
	Layer, Type string  // the layer and its type
	Blob        string  // which of its blobs: `top "ip1"`, `param blob 0`, `bottom "conv1" gradient`
	Index       int     // the first non-finite element of that blob
	Value       float32 // its value: NaN, +Inf or -Inf
}

func (f *NonFinite) String() string {
	return fmt.Sprintf("layer %q (%s), %s, element %d = %v", f.Layer, f.Type, f.Blob, f.Index, f.Value)
}

// firstNonFinite returns the index of the first NaN or infinity in x, or -1.
func firstNonFinite(x []float32) int {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return i
		}
	}
	return -1
}

func (n *Net) nonFinite(li int, what string, x []float32) *NonFinite {
	i := firstNonFinite(x)
	if i < 0 {
		return nil
	}
	s := &n.layers[li]
	return &NonFinite{Layer: s.name, Type: s.param.GetType(), Blob: what, Index: i, Value: x[i]}
}

func (n *Net) paramName(li, pi int) string {
	if ps := n.layers[li].param.Param; pi < len(ps) && ps[pi].GetName() != "" {
		return fmt.Sprintf("param blob %d (%q)", pi, ps[pi].GetName())
	}
	return fmt.Sprintf("param blob %d", pi)
}

// FirstNonFiniteForward returns the first layer, in forward order, whose parameters
// or tops hold a NaN or an infinity after a forward pass, or nil: where a non-finite
// loss came from.
func (n *Net) FirstNonFiniteForward() *NonFinite {
	for li := range n.layers {
		s := &n.layers[li]
		for pi, p := range s.layer.Params() {
			if f := n.nonFinite(li, n.paramName(li, pi), p.Data); f != nil {
				return f
			}
		}
		for ti, t := range s.tops {
			if f := n.nonFinite(li, fmt.Sprintf("top %q", n.blobs[s.topIDs[ti]].name), t.Data); f != nil {
				return f
			}
		}
	}
	return nil
}

// FirstNonFiniteBackward returns the first layer, in backward order, whose
// parameter gradients or bottom gradients hold a NaN or an infinity after a backward
// pass, or nil: where non-finite gradients came from.
func (n *Net) FirstNonFiniteBackward() *NonFinite {
	for li := len(n.layers) - 1; li >= 0; li-- {
		s := &n.layers[li]
		if !s.needBackward {
			continue
		}
		for pi, p := range s.layer.Params() {
			if f := n.nonFinite(li, n.paramName(li, pi)+" gradient", p.Diff); f != nil {
				return f
			}
		}
		for bi, b := range s.bottoms {
			if !s.bottomNeedBackward[bi] {
				continue
			}
			if f := n.nonFinite(li, fmt.Sprintf("bottom %q gradient", n.blobs[s.bottomIDs[bi]].name), b.Diff); f != nil {
				return f
			}
		}
	}
	return nil
}

// FirstNonFiniteParam returns the first layer whose parameter values hold a NaN or
// an infinity, or nil.
func (n *Net) FirstNonFiniteParam() *NonFinite {
	for li := range n.layers {
		for pi, p := range n.layers[li].layer.Params() {
			if f := n.nonFinite(li, n.paramName(li, pi), p.Data); f != nil {
				return f
			}
		}
	}
	return nil
}
