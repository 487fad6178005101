// Package network builds a net from a NetParameter as Caffe's Net does — layers
// filtered by the net state, Split layers inserted where a blob feeds several layers,
// tops and bottoms wired by name, in-place layers, loss weights, shared parameters,
// and which layers need a backward pass — and runs it forward and backward.
//
// A Net is a list of records, each holding what the net knows of one thing and the
// invariants that tie it together: a layerSlot per layer (its blobs, which of them
// get a gradient, its parameters), a blobSlot per blob, a paramSlot per parameter
// blob (its layer, the parameter whose storage it shares, whether its gradient is
// computed) and a learnableSlot per blob the solver updates (its multipliers).
// init.go builds them; build.go filters the layers and inserts the Splits;
// weights*.go copy weights in and out.
//
// The package is named network, not net, so that it does not shadow the standard
// library's net in the code that uses both.
package network

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Options tune how a net is built.
type Options struct {
	// RNG is the random source of the net's layers (fillers, dropout). Nets of one
	// training run share the solver's. Nil means a source seeded with 1701.
	RNG *rng.Source
	// Quiet turns off the construction log Caffe prints.
	Quiet bool
	// Share is the part of the records a data-parallel run's rank reads (the zero
	// value: all of them).
	Share layers.Share
}

// Net is a built network: a list of layer records, with the blobs they read and
// write and the parameters they hold, each kept in one record with what the net
// knows of it (where Caffe's Net keeps parallel vectors).
type Net struct {
	name  string
	phase caffepb.Phase

	layers    []layerSlot
	blobs     []blobSlot
	blobIndex map[string]int // named blobs by name
	params    []paramSlot    // every layer's parameter blobs, in layer order (Caffe's params_)
	learnable []learnableSlot

	inputIDs, outputIDs []int // indexes in blobs

	// The same blobs and multipliers as flat lists, which the solver reads every
	// iteration: made once, when the net is built (see makeViews).
	paramBlobs, learnableBlobs []*blob.Blob
	lrMult, decayMult          []float32

	debugInfo bool
	logf      func(format string, args ...any)
}

// layerSlot is one layer and everything the net keeps about it.
type layerSlot struct {
	layer layers.Layer
	param *caffepb.LayerParameter // its parameters as set up
	name  string

	bottoms, tops     []*blob.Blob
	bottomIDs, topIDs []int // the same blobs' indexes in Net.blobs
	// bottomNeedBackward[j] says whether bottom j gets a gradient; needBackward
	// whether the layer runs backward at all.
	bottomNeedBackward []bool
	needBackward       bool

	paramIDs []int // its parameter blobs' indexes in Net.params, in the layer's order
	memory   int64 // bytes of its new tops and its own parameters (see memoryOf)
}

// blobSlot is one blob the layers pass between them.
type blobSlot struct {
	blob *blob.Blob
	// name is its top name; "(automatic)" for a top the prototxt did not name,
	// which no layer can read.
	name         string
	needBackward bool    // some layer wants its gradient
	lossWeight   float32 // its weight in the objective
}

// paramSlot is one parameter blob of one layer.
type paramSlot struct {
	blob         *blob.Blob
	layer, index int                // the layer it belongs to, and which of its blobs it is
	spec         *caffepb.ParamSpec // as the prototxt gives it (empty: the defaults)
	display      string             // its ParamSpec name, or its index, for logs
	// owner is the param whose storage it shares (its spec names a param an earlier
	// layer owns), or -1 when it owns its own; learnable indexes the learnable blob
	// it is or shares.
	owner, learnable int
	// propagateDown says whether its layer computes its gradient: a parameter with
	// lr_mult 0 needs none unless force_backward (Caffe's param_propagate_down).
	propagateDown bool
}

// learnableSlot is one parameter blob that owns its storage: what the solver
// updates, with the multipliers of every param that shares it (they must agree).
type learnableSlot struct {
	param             int // its paramSlot
	lrMult, decayMult float32
	hasLr, hasDecay   bool // some ParamSpec gives the multiplier
}

// Name is the net's name.
func (n *Net) Name() string { return n.name }

// Phase is the phase the net was built for.
func (n *Net) Phase() caffepb.Phase { return n.phase }

// NumLayers is the number of layers, Split layers included.
func (n *Net) NumLayers() int { return len(n.layers) }

// Layer returns the i-th layer.
func (n *Net) Layer(i int) layers.Layer { return n.layers[i].layer }

// LayerParam returns the parameters the i-th layer was set up with.
func (n *Net) LayerParam(i int) *caffepb.LayerParameter { return n.layers[i].param }

// LayerName returns the name of the i-th layer.
func (n *Net) LayerName(i int) string { return n.layers[i].name }

// LayerIndex returns the index of the named layer, or -1.
func (n *Net) LayerIndex(name string) int {
	for i := range n.layers {
		if n.layers[i].name == name {
			return i
		}
	}
	return -1
}

// Bottoms returns the blobs the i-th layer reads.
func (n *Net) Bottoms(i int) []*blob.Blob { return n.layers[i].bottoms }

// Tops returns the blobs the i-th layer writes.
func (n *Net) Tops(i int) []*blob.Blob { return n.layers[i].tops }

// BottomNames returns the names of the i-th layer's bottoms.
func (n *Net) BottomNames(i int) []string { return n.names(n.layers[i].bottomIDs) }

// TopNames returns the names of the i-th layer's tops.
func (n *Net) TopNames(i int) []string { return n.names(n.layers[i].topIDs) }

func (n *Net) names(ids []int) []string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = n.blobs[id].name
	}
	return s
}

// BottomNeedBackward reports which bottoms of the i-th layer get a gradient.
func (n *Net) BottomNeedBackward(i int) []bool { return n.layers[i].bottomNeedBackward }

// LayerNeedBackward reports whether the i-th layer runs backward.
func (n *Net) LayerNeedBackward(i int) bool { return n.layers[i].needBackward }

// ParamNeedBackward reports whether the i-th layer computes the gradient of any of
// its parameters: one that learns (lr_mult > 0), or any with force_backward.
func (n *Net) ParamNeedBackward(i int) bool {
	for _, id := range n.layers[i].paramIDs {
		if n.params[id].propagateDown {
			return true
		}
	}
	return false
}

// SharesParam reports whether the j-th parameter blob of the i-th layer shares the
// storage of another layer's (its ParamSpec names a parameter an earlier layer owns).
func (n *Net) SharesParam(i, j int) bool { return n.params[n.layers[i].paramIDs[j]].owner >= 0 }

// Blob returns the named blob, or nil.
func (n *Net) Blob(name string) *blob.Blob {
	if id, ok := n.blobIndex[name]; ok {
		return n.blobs[id].blob
	}
	return nil
}

// BlobNames lists every named blob in the order they were made.
func (n *Net) BlobNames() []string {
	names := make([]string, len(n.blobs))
	for i, b := range n.blobs {
		names[i] = b.name
	}
	return names
}

// Inputs returns the names of the Input layers' tops.
func (n *Net) Inputs() []string { return n.names(n.inputIDs) }

// Outputs returns the names of the blobs no layer reads, sorted, as Caffe lists them.
func (n *Net) Outputs() []string { return n.names(n.outputIDs) }

// OutputLossWeight returns the loss weight of the named output blob.
func (n *Net) OutputLossWeight(name string) float32 {
	if id, ok := n.blobIndex[name]; ok {
		return n.blobs[id].lossWeight
	}
	return 0
}

// Params returns every parameter blob of every layer, in layer order.
func (n *Net) Params() []*blob.Blob { return n.paramBlobs }

// Learnable returns the parameter blobs that own their storage (shared ones appear
// once), which the solver updates.
func (n *Net) Learnable() []*blob.Blob { return n.learnableBlobs }

// LrMult returns the learning-rate multipliers of the learnable blobs.
func (n *Net) LrMult() []float32 { return n.lrMult }

// DecayMult returns the weight-decay multipliers of the learnable blobs.
func (n *Net) DecayMult() []float32 { return n.decayMult }

// ParamDisplayName returns, for the i-th learnable blob, "layer/param" for logs.
func (n *Net) ParamDisplayName(learnable int) string {
	if learnable < 0 || learnable >= len(n.learnable) {
		return fmt.Sprint(learnable)
	}
	p := &n.params[n.learnable[learnable].param]
	return n.layers[p.layer].name + "/" + p.display
}

// Forward runs every layer forward and returns the loss: the sum over loss-weighted
// tops of weight × the sum of the top's values.
func (n *Net) Forward() (float32, error) { return n.ForwardFromTo(0, len(n.layers)-1) }

// ForwardFromTo runs layers start..end (inclusive) forward and returns their loss.
func (n *Net) ForwardFromTo(start, end int) (loss float32, err error) {
	if start < 0 || end >= len(n.layers) {
		return 0, fmt.Errorf("forward from layer %d to %d of a %d-layer net", start, end, len(n.layers))
	}
	i := start
	// A batch can reshape the net: a shape no blob can take, or beyond the memory
	// limit, is an error naming the layer (see blob.Recover).
	defer func() {
		if r := recover(); r != nil {
			rerr := blob.Recover(func() { panic(r) })
			loss, err = 0, fmt.Errorf("layer %q: %w", n.layers[i].name, rerr)
		}
	}()
	for ; i <= end; i++ {
		s := &n.layers[i]
		// As Caffe's Layer::Forward, reshape first: a data layer may have produced a
		// batch of another shape. Layers allocate nothing when shapes are unchanged.
		if err := s.layer.Reshape(s.bottoms, s.tops); err != nil {
			return 0, fmt.Errorf("layer %q: %w", s.name, err)
		}
		if err := s.layer.Forward(s.bottoms, s.tops); err != nil {
			return 0, fmt.Errorf("layer %q: %w", s.name, err)
		}
		for ti, id := range s.topIDs {
			if w := n.blobs[id].lossWeight; w != 0 {
				loss += w * blas.Sum(s.tops[ti].Data)
			}
		}
		if n.debugInfo {
			n.forwardDebugInfo(i)
		}
	}
	return loss, nil
}

// Backward runs every layer that needs it backward, from the last to the first.
func (n *Net) Backward() { n.BackwardFromTo(len(n.layers)-1, 0) }

// BackwardFromTo runs layers start down to end (inclusive) backward.
func (n *Net) BackwardFromTo(start, end int) {
	// The gradient of the objective with respect to a loss-weighted top is its weight.
	for _, b := range n.blobs {
		if b.lossWeight != 0 {
			blas.Fill(b.blob.Diff, b.lossWeight)
		}
	}
	for i := start; i >= end; i-- {
		if s := &n.layers[i]; s.needBackward {
			s.layer.Backward(s.tops, s.bottomNeedBackward, s.bottoms)
			if n.debugInfo {
				n.backwardDebugInfo(i)
			}
		}
	}
}

// ForwardBackward runs Forward then Backward and returns the loss.
func (n *Net) ForwardBackward() (float32, error) {
	loss, err := n.Forward()
	if err != nil {
		return 0, err
	}
	n.Backward()
	return loss, nil
}

// Reshape reshapes every layer for its current bottoms (after an input changed shape).
func (n *Net) Reshape() error {
	for i := range n.layers {
		s := &n.layers[i]
		var err error
		if rerr := blob.Recover(func() { err = s.layer.Reshape(s.bottoms, s.tops) }); rerr != nil {
			err = rerr
		}
		if err != nil {
			return fmt.Errorf("layer %q: %w", s.name, err)
		}
	}
	return nil
}

// ClearParamDiffs zeroes the gradients of the learnable blobs.
func (n *Net) ClearParamDiffs() {
	for _, b := range n.learnableBlobs {
		clear(b.Diff)
	}
}

// Update applies w −= diff to every learnable blob.
func (n *Net) Update() {
	for _, b := range n.learnableBlobs {
		blas.Axpy(-1, b.Diff, b.Data)
	}
}

// Close releases what the layers hold (databases, prefetching goroutines).
func (n *Net) Close() error {
	var first error
	for i := range n.layers {
		if c, ok := n.layers[i].layer.(layers.Closer); ok {
			if err := c.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (n *Net) forwardDebugInfo(li int) {
	s := &n.layers[li]
	for ti, t := range s.tops {
		glog.Infof("    [Forward] Layer %s, top blob %s data: %g", s.name, n.blobs[s.topIDs[ti]].name, meanAbs(t.Data))
	}
	for pi, p := range s.layer.Params() {
		glog.Infof("    [Forward] Layer %s, param blob %d data: %g", s.name, pi, meanAbs(p.Data))
	}
}

func (n *Net) backwardDebugInfo(li int) {
	s := &n.layers[li]
	for bi, b := range s.bottoms {
		if s.bottomNeedBackward[bi] {
			glog.Infof("    [Backward] Layer %s, bottom blob %s diff: %g", s.name, n.blobs[s.bottomIDs[bi]].name, meanAbs(b.Diff))
		}
	}
	for pi, p := range s.layer.Params() {
		glog.Infof("    [Backward] Layer %s, param blob %d diff: %g", s.name, pi, meanAbs(p.Diff))
	}
}

func meanAbs(x []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return blas.Asum(x) / float32(len(x))
}
