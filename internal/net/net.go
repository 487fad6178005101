// Package net builds a network from a NetParameter as Caffe's Net does — layers
// filtered by the net state, Split layers inserted where a blob feeds several layers,
// tops and bottoms wired by name, in-place layers, loss weights, shared parameters,
// and which layers need a backward pass — and runs it forward and backward.
package net

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

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

// Net is a built network.
type Net struct {
	name  string
	phase caffepb.Phase

	layers      []layers.Layer
	layerParams []*caffepb.LayerParameter // each layer's parameters as set up
	layerNames  []string

	blobs     []*blob.Blob
	blobNames []string
	blobIndex map[string]int

	bottoms, tops       [][]*blob.Blob
	bottomIDs, topIDs   [][]int
	bottomNeedBackward  [][]bool
	layerNeedBackward   []bool
	blobNeedBackward    []bool
	blobLossWeight      []float32 // per blob: its weight in the objective
	inputIDs, outputIDs []int

	// Parameters: every layer's blobs, in layer order (Caffe's params_), and the
	// learnable ones — the blobs that own their storage — with their multipliers.
	params          []*blob.Blob
	paramOwner      []int    // per param: the index of the param it shares, or -1
	paramLayer      [][2]int // per param: (layer, blob index within the layer)
	paramNames      []string // per param: its ParamSpec name or its index
	learnable       []*blob.Blob
	learnableID     []int // per param: its learnable index
	lrMult          []float32
	decayMult       []float32
	hasLr, hasDecay []bool

	debugInfo bool
	logf      func(format string, args ...any)

	layerMemory []int64 // per layer: bytes of its new tops and its own parameters
}

// New builds the net param describes for the state in param.State. param must
// already be upgraded to the current format (see internal/io/protofile).
func New(param *caffepb.NetParameter, opts Options) (*Net, error) {
	n := &Net{
		name:      param.GetName(),
		phase:     param.GetState().GetPhase(),
		blobIndex: map[string]int{},
		debugInfo: param.GetDebugInfo(),
		logf:      func(format string, args ...any) { glog.InfoDepthf(1, format, args...) },
	}
	if opts.Quiet {
		n.logf = func(string, ...any) {}
	}
	r := opts.RNG
	if r == nil {
		r = rng.New(1701)
	}
	if len(param.Layers) > 0 || len(param.Input) > 0 {
		return nil, fmt.Errorf("net %q uses the deprecated layers/input fields: upgrade it first (gocaffe upgrade)", n.name)
	}
	filtered, err := Filter(param, param.GetState(), n.logf)
	if err != nil {
		return nil, err
	}
	split, err := InsertSplits(filtered)
	if err != nil {
		return nil, err
	}
	if err := n.init(split, &layers.Context{RNG: r, Share: opts.Share}); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

func (n *Net) init(param *caffepb.NetParameter, ctx *layers.Context) error {
	available := map[string]bool{} // blobs produced and not yet consumed
	memory := 0
	for li, orig := range param.Layer {
		lp := proto.Clone(orig).(*caffepb.LayerParameter)
		if lp.Phase == nil {
			lp.Phase = n.phase.Enum()
		}
		name := lp.GetName()
		if len(lp.PropagateDown) > 0 && len(lp.PropagateDown) != len(lp.Bottom) {
			return fmt.Errorf("layer %q: propagate_down must be given either 0 or %d (bottom count) times, got %d",
				name, len(lp.Bottom), len(lp.PropagateDown))
		}
		l, err := layers.New(lp, ctx)
		if err != nil {
			return err
		}
		n.layers = append(n.layers, l)
		n.layerParams = append(n.layerParams, lp)
		n.layerNames = append(n.layerNames, name)
		n.bottoms = append(n.bottoms, nil)
		n.tops = append(n.tops, nil)
		n.bottomIDs = append(n.bottomIDs, nil)
		n.topIDs = append(n.topIDs, nil)
		n.bottomNeedBackward = append(n.bottomNeedBackward, nil)
		n.logf("Creating Layer %s", name)

		needBackward := false
		for bi, b := range lp.Bottom {
			id, ok := n.blobIndex[b]
			if !ok || !available[b] {
				return fmt.Errorf("layer %q: unknown bottom blob %q (bottom index %d)", name, b, bi)
			}
			n.logf("%s <- %s", name, b)
			n.bottoms[li] = append(n.bottoms[li], n.blobs[id])
			n.bottomIDs[li] = append(n.bottomIDs[li], id)
			delete(available, b)
			down := len(lp.PropagateDown) == 0 || lp.PropagateDown[bi]
			n.bottomNeedBackward[li] = append(n.bottomNeedBackward[li], n.blobNeedBackward[id] && down)
			needBackward = needBackward || n.blobNeedBackward[id]
		}
		for ti, t := range lp.Top {
			if ti < len(lp.Bottom) && lp.Bottom[ti] == t {
				n.logf("%s -> %s (in-place)", name, t)
				id := n.blobIndex[t]
				n.tops[li] = append(n.tops[li], n.blobs[id])
				n.topIDs[li] = append(n.topIDs[li], id)
			} else if _, dup := n.blobIndex[t]; dup {
				return fmt.Errorf("layer %q: top blob %q is already produced by another layer (duplicate blobs produced by multiple sources)", name, t)
			} else {
				n.logf("%s -> %s", name, t)
				n.appendTop(li, t)
			}
			available[t] = true
			if lp.GetType() == "Input" {
				n.inputIDs = append(n.inputIDs, n.topIDs[li][ti])
			}
		}
		counts, hasCounts := l.(layers.Counter)
		if at, ok := l.(layers.AutoTopper); ok && at.AutoTopBlobs() && hasCounts {
			c := counts.BlobCounts()
			for len(n.tops[li]) < c.MinTop {
				// Anonymous tops no later layer can read.
				n.appendTop(li, "(automatic)")
			}
		}
		if hasCounts {
			if err := counts.BlobCounts().Check(len(n.bottoms[li]), len(n.tops[li])); err != nil {
				return fmt.Errorf("layer %q (%s): %w", name, lp.GetType(), err)
			}
		}

		// Loss weights: given once per top, or 1 on a loss layer's first top.
		if _, isLoss := l.(layers.Loss); isLoss && len(lp.LossWeight) == 0 {
			lp.LossWeight = []float32{1}
		}
		if len(lp.LossWeight) > 0 && len(lp.LossWeight) != len(n.tops[li]) {
			return fmt.Errorf("layer %q: loss_weight must be unspecified or given once per top blob (%d tops, %d loss_weight)",
				name, len(n.tops[li]), len(lp.LossWeight))
		}

		for lj := 0; lj < li; lj++ {
			if n.layerNames[lj] == name {
				glog.Warningf("Layers %d and %d are both named %q: weights are copied to layers by name, so only the first would get any", lj, li, name)
				break
			}
		}
		// An in-place layer must keep its blob's shape: one that changes it (a
		// convolution, a pooling) would read its input after overwriting it.
		inPlace := map[int][]int{}
		for ti, t := range n.tops[li] {
			if ti < len(n.bottoms[li]) && n.bottoms[li][ti] == t {
				inPlace[ti] = append([]int(nil), t.Shape()...)
			}
		}

		n.logf("Setting up %s", name)
		if err := setup(l, n.bottoms[li], n.tops[li]); err != nil {
			return fmt.Errorf("layer %q (%s): %w%s", name, lp.GetType(), err, n.largestLayers(err))
		}
		for ti, before := range inPlace {
			if after := n.tops[li][ti].Shape(); !sameShape(before, after) {
				return fmt.Errorf("layer %q (%s) works in place on blob %q but changes its shape from %s to %s: give it a top blob of its own",
					name, lp.GetType(), lp.Top[ti], blob.ShapeString(before), blob.ShapeString(after))
			}
		}
		for ti, t := range n.tops[li] {
			id := n.topIDs[li][ti]
			w := float32(0)
			if ti < len(lp.LossWeight) {
				w = lp.LossWeight[ti]
			}
			n.blobLossWeight[id] = w
			n.logf("Top shape: %s", t.ShapeString())
			if w != 0 {
				n.logf("    with loss weight %g", w)
			}
			memory += t.Count()
		}
		n.logf("Memory required for data: %d", memory*4)
		n.layerMemory = append(n.layerMemory, n.memoryOf(li))

		params := l.Params()
		if len(lp.Param) > len(params) {
			return fmt.Errorf("layer %q: %d param specs given, but the layer has %d parameter blobs", name, len(lp.Param), len(params))
		}
		for pi := range params {
			spec := &caffepb.ParamSpec{} // lr_mult 1 by default
			if pi < len(lp.Param) {
				spec = lp.Param[pi]
			}
			// A parameter that does not learn needs no gradient (Caffe's
			// param_propagate_down): its layer skips computing it.
			down := spec.GetLrMult() > 0
			needBackward = needBackward || down
			setParamPropagateDown(l, pi, down)
		}
		for pi := range params {
			if err := n.appendParam(li, pi); err != nil {
				return err
			}
		}
		n.layerNeedBackward = append(n.layerNeedBackward, needBackward)
		if needBackward {
			for _, id := range n.topIDs[li] {
				n.blobNeedBackward[id] = true
			}
		}
	}

	n.pruneBackward()
	if param.GetForceBackward() {
		for li, l := range n.layers {
			n.layerNeedBackward[li] = true
			for pi := range l.Params() {
				setParamPropagateDown(l, pi, true)
			}
			for bi := range n.bottomNeedBackward[li] {
				allow := true
				if g, ok := l.(layers.BackwardGate); ok {
					allow = g.AllowForceBackward(bi)
				}
				n.bottomNeedBackward[li][bi] = n.bottomNeedBackward[li][bi] || allow
				id := n.bottomIDs[li][bi]
				n.blobNeedBackward[id] = n.blobNeedBackward[id] || n.bottomNeedBackward[li][bi]
			}
		}
	}
	// A layer that cannot give a gradient to a bottom (a loss layer's labels) is never
	// asked to, whatever propagate_down says.
	for li, l := range n.layers {
		if g, ok := l.(layers.BackwardGate); ok {
			for bi := range n.bottomNeedBackward[li] {
				if !g.AllowForceBackward(bi) {
					n.bottomNeedBackward[li][bi] = false
				}
			}
		}
	}

	var outputs []string
	for b := range available {
		outputs = append(outputs, b)
	}
	sort.Strings(outputs) // Caffe keeps them in a std::set
	for _, b := range outputs {
		n.logf("This network produces output %s", b)
		n.outputIDs = append(n.outputIDs, n.blobIndex[b])
	}
	n.shareWeights()
	n.logf("Network initialization done.")
	return nil
}

// memoryOf returns the bytes layer li's tops and parameters take, values and
// gradients, leaving out tops that share a bottom's storage (in place, Split,
// Flatten, Reshape). A parameter shared with another layer counts with each.
func (n *Net) memoryOf(li int) int64 {
	shares := func(x []float32, data bool) bool {
		for _, b := range n.bottoms[li] {
			y := b.Diff
			if data {
				y = b.Data
			}
			if len(x) > 0 && len(y) > 0 && &x[0] == &y[0] {
				return true
			}
		}
		return false
	}
	var bytes int64
	for _, t := range n.tops[li] {
		if !shares(t.Data, true) {
			bytes += int64(t.Count()) * 4
		}
		if !shares(t.Diff, false) {
			bytes += int64(t.Count()) * 4
		}
	}
	for _, p := range n.layers[li].Params() {
		bytes += int64(p.Count()) * 8
	}
	return bytes
}

// largestLayers says, after a refusal of the memory limit, how much the layers set
// up so far take and which are the largest.
func (n *Net) largestLayers(err error) string {
	var ae *blob.AllocError
	if !errors.As(err, &ae) || len(n.layerMemory) == 0 {
		return ""
	}
	order := make([]int, len(n.layerMemory))
	var total int64
	for i := range order {
		order[i] = i
		total += n.layerMemory[i]
	}
	sort.SliceStable(order, func(a, b int) bool { return n.layerMemory[order[a]] > n.layerMemory[order[b]] })
	var parts []string
	for _, li := range order[:min(3, len(order))] {
		parts = append(parts, fmt.Sprintf("%s (%s) %s", n.layerNames[li], n.layerParams[li].GetType(), blob.Bytes(n.layerMemory[li])))
	}
	return fmt.Sprintf("; the %d layers before it take %s, the largest layers: %s", len(n.layerMemory), blob.Bytes(total), strings.Join(parts, ", "))
}

// setup sets a layer up (its Setup, then Reshape: layers.SetUp); a shape no blob can
// take or an allocation beyond the memory limit, which a user's file can ask for, is
// an error too (see blob.Recover).
func setup(l layers.Layer, bottom, top []*blob.Blob) (err error) {
	if rerr := blob.Recover(func() { err = layers.SetUp(l, bottom, top) }); rerr != nil {
		return rerr
	}
	return err
}

// setParamPropagateDown tells layer l whether its pi-th parameter needs a gradient.
func setParamPropagateDown(l layers.Layer, pi int, down bool) {
	if p, ok := l.(layers.ParamPropagator); ok {
		p.SetParamPropagateDown(pi, down)
	}
}

func (n *Net) appendTop(li int, name string) {
	id := len(n.blobs)
	b := blob.New()
	n.blobs = append(n.blobs, b)
	n.blobNames = append(n.blobNames, name)
	n.blobNeedBackward = append(n.blobNeedBackward, false)
	n.blobLossWeight = append(n.blobLossWeight, 0)
	if name != "(automatic)" {
		n.blobIndex[name] = id
	}
	n.tops[li] = append(n.tops[li], b)
	n.topIDs[li] = append(n.topIDs[li], id)
}

// pruneBackward walks the net from the top to find the layers whose outputs reach
// no loss, and the bottoms whose gradient nobody wants, and turns their backward
// passes off (Caffe's Net::Init, second half).
func (n *Net) pruneBackward() {
	underLoss := map[string]bool{}
	skipBackprop := map[string]bool{}
	for li := len(n.layers) - 1; li >= 0; li-- {
		contributes, skipDown := false, true
		for _, id := range n.topIDs[li] {
			name := n.blobNames[id]
			if n.blobLossWeight[id] != 0 || underLoss[name] {
				contributes = true
			}
			if !skipBackprop[name] {
				skipDown = false
			}
			if contributes && !skipDown {
				break
			}
		}
		if n.layerNeedBackward[li] && skipDown {
			n.layerNeedBackward[li] = false
			for bi := range n.bottomNeedBackward[li] {
				n.bottomNeedBackward[li][bi] = false
			}
		}
		if !contributes {
			n.layerNeedBackward[li] = false
		}
		if n.layerNeedBackward[li] {
			n.logf("%s needs backward computation.", n.layerNames[li])
		} else {
			n.logf("%s does not need backward computation.", n.layerNames[li])
		}
		for bi, id := range n.bottomIDs[li] {
			name := n.blobNames[id]
			if contributes {
				underLoss[name] = true
			} else {
				n.bottomNeedBackward[li][bi] = false
			}
			if !n.bottomNeedBackward[li][bi] {
				skipBackprop[name] = true
			}
		}
	}
}

// appendParam registers the pi-th blob of layer li: it owns its storage unless its
// ParamSpec names a parameter an earlier layer owns, in which case it will share it.
func (n *Net) appendParam(li, pi int) error {
	lp := n.layerParams[li]
	spec := &caffepb.ParamSpec{}
	if pi < len(lp.Param) {
		spec = lp.Param[pi]
	}
	name := spec.GetName()
	display := name
	if display == "" {
		display = fmt.Sprint(pi)
	}
	id := len(n.params)
	b := n.layers[li].Params()[pi]
	n.params = append(n.params, b)
	n.paramLayer = append(n.paramLayer, [2]int{li, pi})
	n.paramNames = append(n.paramNames, display)

	owner := -1
	if name != "" {
		for j := 0; j < id; j++ {
			if pj := n.paramLayer[j]; n.paramOwner[j] < 0 && pj[1] < len(n.layerParams[pj[0]].Param) &&
				n.layerParams[pj[0]].Param[pj[1]].GetName() == name {
				owner = j
				break
			}
		}
	}
	n.paramOwner = append(n.paramOwner, owner)
	if owner < 0 {
		n.learnableID = append(n.learnableID, len(n.learnable))
		n.learnable = append(n.learnable, b)
		n.hasLr = append(n.hasLr, spec.LrMult != nil)
		n.hasDecay = append(n.hasDecay, spec.DecayMult != nil)
		n.lrMult = append(n.lrMult, spec.GetLrMult())
		n.decayMult = append(n.decayMult, spec.GetDecayMult())
		return nil
	}

	ownerLayer, ownerIndex := n.paramLayer[owner][0], n.paramLayer[owner][1]
	n.logf("Sharing parameters '%s' owned by layer '%s', param index %d", name, n.layerNames[ownerLayer], ownerIndex)
	ob := n.params[owner]
	if spec.GetShareMode() == caffepb.ParamSpec_PERMISSIVE {
		if b.Count() != ob.Count() {
			return fmt.Errorf("layer %q: shared parameter %q has %d values, its owner %q has %d (shared parameter blobs must have the same count)",
				lp.GetName(), name, b.Count(), n.layerNames[ownerLayer], ob.Count())
		}
	} else if !sameShape(b.Shape(), ob.Shape()) {
		return fmt.Errorf("layer %q: shared parameter %q has shape %s, its owner %q has %s (use share_mode: PERMISSIVE to compare counts only)",
			lp.GetName(), name, b.ShapeString(), n.layerNames[ownerLayer], ob.ShapeString())
	}
	lid := n.learnableID[owner]
	n.learnableID = append(n.learnableID, lid)
	if spec.LrMult != nil {
		if n.hasLr[lid] && n.lrMult[lid] != spec.GetLrMult() {
			return fmt.Errorf("layer %q: shared param %q has mismatched lr_mult", lp.GetName(), name)
		}
		n.hasLr[lid], n.lrMult[lid] = true, spec.GetLrMult()
	}
	if spec.DecayMult != nil {
		if n.hasDecay[lid] && n.decayMult[lid] != spec.GetDecayMult() {
			return fmt.Errorf("layer %q: shared param %q has mismatched decay_mult", lp.GetName(), name)
		}
		n.hasDecay[lid], n.decayMult[lid] = true, spec.GetDecayMult()
	}
	return nil
}

// shareWeights points every sharing parameter at its owner's values and gradient.
func (n *Net) shareWeights() {
	for i, owner := range n.paramOwner {
		if owner >= 0 {
			n.params[i].ShareData(n.params[owner])
			n.params[i].ShareDiff(n.params[owner])
		}
	}
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Name is the net's name.
func (n *Net) Name() string { return n.name }

// Phase is the phase the net was built for.
func (n *Net) Phase() caffepb.Phase { return n.phase }

// NumLayers is the number of layers, Split layers included.
func (n *Net) NumLayers() int { return len(n.layers) }

// Layer returns the i-th layer.
func (n *Net) Layer(i int) layers.Layer { return n.layers[i] }

// LayerParam returns the parameters the i-th layer was set up with.
func (n *Net) LayerParam(i int) *caffepb.LayerParameter { return n.layerParams[i] }

// LayerName returns the name of the i-th layer.
func (n *Net) LayerName(i int) string { return n.layerNames[i] }

// LayerIndex returns the index of the named layer, or -1.
func (n *Net) LayerIndex(name string) int {
	for i, ln := range n.layerNames {
		if ln == name {
			return i
		}
	}
	return -1
}

// Bottoms and Tops return the blobs the i-th layer reads and writes.
func (n *Net) Bottoms(i int) []*blob.Blob { return n.bottoms[i] }
func (n *Net) Tops(i int) []*blob.Blob    { return n.tops[i] }

// BottomNames and TopNames return the names of the i-th layer's blobs.
func (n *Net) BottomNames(i int) []string { return n.names(n.bottomIDs[i]) }
func (n *Net) TopNames(i int) []string    { return n.names(n.topIDs[i]) }

func (n *Net) names(ids []int) []string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = n.blobNames[id]
	}
	return s
}

// BottomNeedBackward reports which bottoms of the i-th layer get a gradient.
func (n *Net) BottomNeedBackward(i int) []bool { return n.bottomNeedBackward[i] }

// LayerNeedBackward reports whether the i-th layer runs backward.
func (n *Net) LayerNeedBackward(i int) bool { return n.layerNeedBackward[i] }

// Blob returns the named blob, or nil.
func (n *Net) Blob(name string) *blob.Blob {
	if id, ok := n.blobIndex[name]; ok {
		return n.blobs[id]
	}
	return nil
}

// BlobNames lists every named blob in the order they were made.
func (n *Net) BlobNames() []string { return append([]string(nil), n.blobNames...) }

// Inputs returns the names of the Input layers' tops.
func (n *Net) Inputs() []string { return n.names(n.inputIDs) }

// Outputs returns the names of the blobs no layer reads, sorted, as Caffe lists them.
func (n *Net) Outputs() []string { return n.names(n.outputIDs) }

// OutputLossWeight returns the loss weight of the named output blob.
func (n *Net) OutputLossWeight(name string) float32 {
	if id, ok := n.blobIndex[name]; ok {
		return n.blobLossWeight[id]
	}
	return 0
}

// Params returns every parameter blob of every layer, in layer order.
func (n *Net) Params() []*blob.Blob { return n.params }

// Learnable returns the parameter blobs that own their storage (shared ones appear
// once), which the solver updates.
func (n *Net) Learnable() []*blob.Blob { return n.learnable }

// LrMult and DecayMult return the multipliers of the learnable blobs.
func (n *Net) LrMult() []float32    { return n.lrMult }
func (n *Net) DecayMult() []float32 { return n.decayMult }

// ParamDisplayName returns, for the i-th learnable blob, "layer/param" for logs.
func (n *Net) ParamDisplayName(learnable int) string {
	for i, lid := range n.learnableID {
		if lid == learnable && n.paramOwner[i] < 0 {
			return n.layerNames[n.paramLayer[i][0]] + "/" + n.paramNames[i]
		}
	}
	return fmt.Sprint(learnable)
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
			loss, err = 0, fmt.Errorf("layer %q: %w", n.layerNames[i], rerr)
		}
	}()
	for ; i <= end; i++ {
		// As Caffe's Layer::Forward, reshape first: a data layer may have produced a
		// batch of another shape. Layers allocate nothing when shapes are unchanged.
		if err := n.layers[i].Reshape(n.bottoms[i], n.tops[i]); err != nil {
			return 0, fmt.Errorf("layer %q: %w", n.layerNames[i], err)
		}
		if err := n.layers[i].Forward(n.bottoms[i], n.tops[i]); err != nil {
			return 0, fmt.Errorf("layer %q: %w", n.layerNames[i], err)
		}
		for ti, id := range n.topIDs[i] {
			if w := n.blobLossWeight[id]; w != 0 {
				loss += w * blas.Sum(n.tops[i][ti].Data)
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
	for id, w := range n.blobLossWeight {
		if w != 0 {
			blas.Fill(n.blobs[id].Diff, w)
		}
	}
	for i := start; i >= end; i-- {
		if n.layerNeedBackward[i] {
			n.layers[i].Backward(n.tops[i], n.bottomNeedBackward[i], n.bottoms[i])
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
	for i, l := range n.layers {
		var err error
		if rerr := blob.Recover(func() { err = l.Reshape(n.bottoms[i], n.tops[i]) }); rerr != nil {
			err = rerr
		}
		if err != nil {
			return fmt.Errorf("layer %q: %w", n.layerNames[i], err)
		}
	}
	return nil
}

// ClearParamDiffs zeroes the gradients of the learnable blobs.
func (n *Net) ClearParamDiffs() {
	for _, b := range n.learnable {
		clear(b.Diff)
	}
}

// Update applies w −= diff to every learnable blob.
func (n *Net) Update() {
	for _, b := range n.learnable {
		blas.Axpy(-1, b.Diff, b.Data)
	}
}

// ShareTrainedLayersWith makes this net's layers use the parameter values of the
// layers of the same name in other (how test nets follow the training net).
func (n *Net) ShareTrainedLayersWith(other *Net) error {
	for oi, name := range other.layerNames {
		ti := n.LayerIndex(name)
		if ti < 0 {
			continue
		}
		if err := other.uniqueWithParams(name); err != nil {
			return err
		}
		if err := n.uniqueWithParams(name); err != nil {
			return err
		}
		src, dst := other.layers[oi].Params(), n.layers[ti].Params()
		if len(src) != len(dst) {
			return fmt.Errorf("layer %q: %d parameter blobs here, %d in the net shared with", name, len(dst), len(src))
		}
		for j := range dst {
			if !sameShape(src[j].Shape(), dst[j].Shape()) {
				return fmt.Errorf("layer %q: parameter %d has shape %s here, %s in the net shared with",
					name, j, dst[j].ShapeString(), src[j].ShapeString())
			}
			dst[j].ShareData(src[j])
		}
	}
	return nil
}

// uniqueWithParams returns an error when several layers with parameters are named
// name: weights go to layers by name, and only the first would get them (the others
// would train from their fillers, silently).
func (n *Net) uniqueWithParams(name string) error {
	var found []int
	for i, ln := range n.layerNames {
		if ln == name && len(n.layers[i].Params()) > 0 {
			found = append(found, i)
		}
	}
	if len(found) > 1 {
		return fmt.Errorf("the net has %d layers named %q with parameters (layers %v): weights go to layers by name, and only the first would get them; rename the others",
			len(found), name, found)
	}
	return nil
}

// CopyTrainedLayersFrom copies the blobs of every layer of trained into the layer of
// the same name, checking shapes by Caffe's rule (legacy 4-D blobs included). Layers
// this net does not have are skipped with a message, as in Caffe.
func (n *Net) CopyTrainedLayersFrom(trained *caffepb.NetParameter) error {
	for _, src := range trained.Layer {
		ti := n.LayerIndex(src.GetName())
		if ti < 0 {
			n.logf("Ignoring source layer %s", src.GetName())
			continue
		}
		if err := n.uniqueWithParams(src.GetName()); err != nil {
			return err
		}
		n.logf("Copying source layer %s", src.GetName())
		dst := n.layers[ti].Params()
		if len(dst) != len(src.Blobs) {
			return fmt.Errorf("incompatible number of blobs for layer %q: the net has %d, the weights have %d",
				src.GetName(), len(dst), len(src.Blobs))
		}
		for j, b := range dst {
			if !b.ShapeEquals(src.Blobs[j]) {
				return fmt.Errorf("cannot copy param %d weights from layer %q; shape mismatch: source param shape is %s, target param shape is %s "+
					"(to learn this layer's parameters from scratch rather than copying from a saved net, rename the layer)",
					j, src.GetName(), blob.ShapeString(blob.ProtoShape(src.Blobs[j])), b.ShapeString())
			}
			if err := b.FromProto(src.Blobs[j], false); err != nil {
				return fmt.Errorf("layer %q param %d: %w", src.GetName(), j, err)
			}
		}
	}
	return nil
}

// ToProto returns the net as Caffe writes it to a .caffemodel: its name and every
// layer's parameters with its blobs (and their gradients with withDiff).
func (n *Net) ToProto(withDiff bool) *caffepb.NetParameter {
	out := &caffepb.NetParameter{Name: proto.String(n.name)}
	if n.name == "" {
		out.Name = nil
	}
	for i, lp := range n.layerParams {
		l := proto.Clone(lp).(*caffepb.LayerParameter)
		l.Blobs = nil
		for _, b := range n.layers[i].Params() {
			l.Blobs = append(l.Blobs, b.ToProto(withDiff))
		}
		out.Layer = append(out.Layer, l)
	}
	return out
}

// Close releases what the layers hold (databases, prefetching goroutines).
func (n *Net) Close() error {
	var first error
	for _, l := range n.layers {
		if c, ok := l.(layers.Closer); ok {
			if err := c.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (n *Net) forwardDebugInfo(li int) {
	for ti, t := range n.tops[li] {
		glog.Infof("    [Forward] Layer %s, top blob %s data: %g", n.layerNames[li], n.blobNames[n.topIDs[li][ti]], meanAbs(t.Data))
	}
	for pi, p := range n.layers[li].Params() {
		glog.Infof("    [Forward] Layer %s, param blob %d data: %g", n.layerNames[li], pi, meanAbs(p.Data))
	}
}

func (n *Net) backwardDebugInfo(li int) {
	for bi, b := range n.bottoms[li] {
		if n.bottomNeedBackward[li][bi] {
			glog.Infof("    [Backward] Layer %s, bottom blob %s diff: %g", n.layerNames[li], n.blobNames[n.bottomIDs[li][bi]], meanAbs(b.Diff))
		}
	}
	for pi, p := range n.layers[li].Params() {
		glog.Infof("    [Backward] Layer %s, param blob %d diff: %g", n.layerNames[li], pi, meanAbs(p.Diff))
	}
}

func meanAbs(x []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return blas.Asum(x) / float32(len(x))
}
