package network

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

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
		n.layers = append(n.layers, layerSlot{layer: l, param: lp, name: name})
		s := &n.layers[li]
		n.logf("Creating Layer %s", name)

		needBackward := false
		for bi, b := range lp.Bottom {
			id, ok := n.blobIndex[b]
			if !ok || !available[b] {
				return fmt.Errorf("layer %q: unknown bottom blob %q (bottom index %d)", name, b, bi)
			}
			n.logf("%s <- %s", name, b)
			s.bottoms = append(s.bottoms, n.blobs[id].blob)
			s.bottomIDs = append(s.bottomIDs, id)
			delete(available, b)
			down := len(lp.PropagateDown) == 0 || lp.PropagateDown[bi]
			s.bottomNeedBackward = append(s.bottomNeedBackward, n.blobs[id].needBackward && down)
			needBackward = needBackward || n.blobs[id].needBackward
		}
		for ti, t := range lp.Top {
			if ti < len(lp.Bottom) && lp.Bottom[ti] == t {
				n.logf("%s -> %s (in-place)", name, t)
				id := n.blobIndex[t]
				s.tops = append(s.tops, n.blobs[id].blob)
				s.topIDs = append(s.topIDs, id)
			} else if _, dup := n.blobIndex[t]; dup {
				return fmt.Errorf("layer %q: top blob %q is already produced by another layer (duplicate blobs produced by multiple sources)", name, t)
			} else {
				n.logf("%s -> %s", name, t)
				n.appendTop(s, t)
			}
			available[t] = true
			if lp.GetType() == "Input" {
				n.inputIDs = append(n.inputIDs, s.topIDs[ti])
			}
		}
		counts, hasCounts := l.(layers.Counter)
		if at, ok := l.(layers.AutoTopper); ok && at.AutoTopBlobs() && hasCounts {
			c := counts.BlobCounts()
			for len(s.tops) < c.MinTop {
				// Anonymous tops no later layer can read.
				n.appendTop(s, "(automatic)")
			}
		}
		if hasCounts {
			if err := counts.BlobCounts().Check(len(s.bottoms), len(s.tops)); err != nil {
				return fmt.Errorf("layer %q (%s): %w", name, lp.GetType(), err)
			}
		}

		// Loss weights: given once per top, or 1 on a loss layer's first top.
		if _, isLoss := l.(layers.Loss); isLoss && len(lp.LossWeight) == 0 {
			lp.LossWeight = []float32{1}
		}
		if len(lp.LossWeight) > 0 && len(lp.LossWeight) != len(s.tops) {
			return fmt.Errorf("layer %q: loss_weight must be unspecified or given once per top blob (%d tops, %d loss_weight)",
				name, len(s.tops), len(lp.LossWeight))
		}

		for lj := 0; lj < li; lj++ {
			if n.layers[lj].name == name {
				glog.Warningf("Layers %d and %d are both named %q: weights are copied to layers by name, so only the first would get any", lj, li, name)
				break
			}
		}
		// An in-place layer must keep its blob's shape: one that changes it (a
		// convolution, a pooling) would read its input after overwriting it.
		inPlace := map[int][]int{}
		for ti, t := range s.tops {
			if ti < len(s.bottoms) && s.bottoms[ti] == t {
				inPlace[ti] = append([]int(nil), t.Shape()...)
			}
		}

		n.logf("Setting up %s", name)
		if err := setup(l, s.bottoms, s.tops); err != nil {
			return fmt.Errorf("layer %q (%s): %w%s", name, lp.GetType(), err, n.largestLayers(li, err))
		}
		for ti, before := range inPlace {
			if after := s.tops[ti].Shape(); !slices.Equal(before, after) {
				return fmt.Errorf("layer %q (%s) works in place on blob %q but changes its shape from %s to %s: give it a top blob of its own",
					name, lp.GetType(), lp.Top[ti], blob.ShapeString(before), blob.ShapeString(after))
			}
		}
		for ti, t := range s.tops {
			w := float32(0)
			if ti < len(lp.LossWeight) {
				w = lp.LossWeight[ti]
			}
			n.blobs[s.topIDs[ti]].lossWeight = w
			n.logf("Top shape: %s", t.ShapeString())
			if w != 0 {
				n.logf("    with loss weight %g", w)
			}
			memory += t.Count()
		}
		n.logf("Memory required for data: %d", memory*4)
		s.memory = s.memoryOf()

		params := l.Params()
		if len(lp.Param) > len(params) {
			return fmt.Errorf("layer %q: %d param specs given, but the layer has %d parameter blobs", name, len(lp.Param), len(params))
		}
		for pi := range params {
			if err := n.appendParam(li, pi); err != nil {
				return err
			}
			needBackward = needBackward || n.params[len(n.params)-1].propagateDown
		}
		s.needBackward = needBackward
		if needBackward {
			for _, id := range s.topIDs {
				n.blobs[id].needBackward = true
			}
		}
	}

	n.pruneBackward()
	if param.GetForceBackward() {
		for li := range n.layers {
			s := &n.layers[li]
			s.needBackward = true
			for _, pid := range s.paramIDs {
				n.setParamPropagateDown(pid, true)
			}
			for bi := range s.bottomNeedBackward {
				allow := true
				if g, ok := s.layer.(layers.BackwardGate); ok {
					allow = g.AllowForceBackward(bi)
				}
				s.bottomNeedBackward[bi] = s.bottomNeedBackward[bi] || allow
				b := &n.blobs[s.bottomIDs[bi]]
				b.needBackward = b.needBackward || s.bottomNeedBackward[bi]
			}
		}
	}
	// A layer that cannot give a gradient to a bottom (a loss layer's labels) is never
	// asked to, whatever propagate_down says.
	for li := range n.layers {
		s := &n.layers[li]
		if g, ok := s.layer.(layers.BackwardGate); ok {
			for bi := range s.bottomNeedBackward {
				if !g.AllowForceBackward(bi) {
					s.bottomNeedBackward[bi] = false
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
	n.makeViews()
	n.logf("Network initialization done.")
	return nil
}

// memoryOf returns the bytes the layer's tops and parameters take, values and
// gradients, leaving out tops that share a bottom's storage (in place, Split,
// Flatten, Reshape). A parameter shared with another layer counts with each.
func (s *layerSlot) memoryOf() int64 {
	shares := func(x []float32, data bool) bool {
		for _, b := range s.bottoms {
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
	for _, t := range s.tops {
		if !shares(t.Data, true) {
			bytes += int64(t.Count()) * 4
		}
		if !shares(t.Diff, false) {
			bytes += int64(t.Count()) * 4
		}
	}
	for _, p := range s.layer.Params() {
		bytes += int64(p.Count()) * 8
	}
	return bytes
}

// largestLayers says, after a refusal of the memory limit while layer li was set up,
// how much the layers before it take and which are the largest.
func (n *Net) largestLayers(li int, err error) string {
	var ae *blob.AllocError
	if !errors.As(err, &ae) || li == 0 {
		return ""
	}
	before := n.layers[:li]
	order := make([]int, len(before))
	var total int64
	for i := range order {
		order[i] = i
		total += before[i].memory
	}
	sort.SliceStable(order, func(a, b int) bool { return before[order[a]].memory > before[order[b]].memory })
	var parts []string
	for _, i := range order[:min(3, len(order))] {
		s := &before[i]
		parts = append(parts, fmt.Sprintf("%s (%s) %s", s.name, s.param.GetType(), blob.Bytes(s.memory)))
	}
	return fmt.Sprintf("; the %d layers before it take %s, the largest layers: %s", len(before), blob.Bytes(total), strings.Join(parts, ", "))
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

// appendTop makes a new blob, the next top of layer s.
func (n *Net) appendTop(s *layerSlot, name string) {
	id := len(n.blobs)
	b := blob.New()
	n.blobs = append(n.blobs, blobSlot{blob: b, name: name})
	if name != "(automatic)" {
		n.blobIndex[name] = id
	}
	s.tops = append(s.tops, b)
	s.topIDs = append(s.topIDs, id)
}

// pruneBackward walks the net from the top to find the layers whose outputs reach
// no loss, and the bottoms whose gradient nobody wants, and turns their backward
// passes off (Caffe's Net::Init, second half).
func (n *Net) pruneBackward() {
	underLoss := map[string]bool{}
	skipBackprop := map[string]bool{}
	for li := len(n.layers) - 1; li >= 0; li-- {
		s := &n.layers[li]
		contributes, skipDown := false, true
		for _, id := range s.topIDs {
			b := &n.blobs[id]
			if b.lossWeight != 0 || underLoss[b.name] {
				contributes = true
			}
			if !skipBackprop[b.name] {
				skipDown = false
			}
			if contributes && !skipDown {
				break
			}
		}
		if s.needBackward && skipDown {
			s.needBackward = false
			clear(s.bottomNeedBackward)
		}
		if !contributes {
			s.needBackward = false
		}
		if s.needBackward {
			n.logf("%s needs backward computation.", s.name)
		} else {
			n.logf("%s does not need backward computation.", s.name)
		}
		for bi, id := range s.bottomIDs {
			name := n.blobs[id].name
			if contributes {
				underLoss[name] = true
			} else {
				s.bottomNeedBackward[bi] = false
			}
			if !s.bottomNeedBackward[bi] {
				skipBackprop[name] = true
			}
		}
	}
}

// appendParam registers the pi-th blob of layer li: it owns its storage unless its
// ParamSpec names a parameter an earlier layer owns, in which case it will share it.
// Its layer computes its gradient only if it learns (lr_mult > 0).
func (n *Net) appendParam(li, pi int) error {
	s := &n.layers[li]
	lp := s.param
	spec := &caffepb.ParamSpec{} // lr_mult 1 by default
	if pi < len(lp.Param) {
		spec = lp.Param[pi]
	}
	name := spec.GetName()
	display := name
	if display == "" {
		display = fmt.Sprint(pi)
	}
	id := len(n.params)
	b := s.layer.Params()[pi]
	n.params = append(n.params, paramSlot{blob: b, layer: li, index: pi, spec: spec, display: display, owner: -1})
	s.paramIDs = append(s.paramIDs, id)
	n.setParamPropagateDown(id, spec.GetLrMult() > 0)

	owner := -1
	if name != "" {
		for j := range n.params[:id] {
			if p := &n.params[j]; p.owner < 0 && p.spec.GetName() == name {
				owner = j
				break
			}
		}
	}
	p := &n.params[id]
	if owner < 0 {
		p.learnable = len(n.learnable)
		n.learnable = append(n.learnable, learnableSlot{
			param:  id,
			lrMult: spec.GetLrMult(), decayMult: spec.GetDecayMult(),
			hasLr: spec.LrMult != nil, hasDecay: spec.DecayMult != nil,
		})
		return nil
	}

	o := &n.params[owner]
	ownerLayer := n.layers[o.layer].name
	n.logf("Sharing parameters '%s' owned by layer '%s', param index %d", name, ownerLayer, o.index)
	if spec.GetShareMode() == caffepb.ParamSpec_PERMISSIVE {
		if b.Count() != o.blob.Count() {
			return fmt.Errorf("layer %q: shared parameter %q has %d values, its owner %q has %d (shared parameter blobs must have the same count)",
				lp.GetName(), name, b.Count(), ownerLayer, o.blob.Count())
		}
	} else if !slices.Equal(b.Shape(), o.blob.Shape()) {
		return fmt.Errorf("layer %q: shared parameter %q has shape %s, its owner %q has %s (use share_mode: PERMISSIVE to compare counts only)",
			lp.GetName(), name, b.ShapeString(), ownerLayer, o.blob.ShapeString())
	}
	p.owner, p.learnable = owner, o.learnable
	ls := &n.learnable[o.learnable]
	if spec.LrMult != nil {
		if ls.hasLr && ls.lrMult != spec.GetLrMult() {
			return fmt.Errorf("layer %q: shared param %q has mismatched lr_mult", lp.GetName(), name)
		}
		ls.hasLr, ls.lrMult = true, spec.GetLrMult()
	}
	if spec.DecayMult != nil {
		if ls.hasDecay && ls.decayMult != spec.GetDecayMult() {
			return fmt.Errorf("layer %q: shared param %q has mismatched decay_mult", lp.GetName(), name)
		}
		ls.hasDecay, ls.decayMult = true, spec.GetDecayMult()
	}
	return nil
}

// setParamPropagateDown records whether param id's gradient is computed, and tells
// its layer.
func (n *Net) setParamPropagateDown(id int, down bool) {
	p := &n.params[id]
	p.propagateDown = down
	if l, ok := n.layers[p.layer].layer.(layers.ParamPropagator); ok {
		l.SetParamPropagateDown(p.index, down)
	}
}

// shareWeights points every sharing parameter at its owner's values and gradient.
func (n *Net) shareWeights() {
	for _, p := range n.params {
		if p.owner >= 0 {
			p.blob.ShareData(n.params[p.owner].blob)
			p.blob.ShareDiff(n.params[p.owner].blob)
		}
	}
}

// makeViews lists the parameter blobs and the learnable ones with their multipliers,
// as Params, Learnable, LrMult and DecayMult return them.
func (n *Net) makeViews() {
	n.paramBlobs = make([]*blob.Blob, len(n.params))
	for i, p := range n.params {
		n.paramBlobs[i] = p.blob
	}
	n.learnableBlobs = make([]*blob.Blob, len(n.learnable))
	n.lrMult = make([]float32, len(n.learnable))
	n.decayMult = make([]float32, len(n.learnable))
	for i, l := range n.learnable {
		n.learnableBlobs[i] = n.params[l.param].blob
		n.lrMult[i], n.decayMult[i] = l.lrMult, l.decayMult
	}
}
