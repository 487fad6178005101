package network

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Filter returns a copy of param holding only the layers that state admits, by each
// layer's include and exclude rules (Caffe's Net::FilterNet). logf, if not nil,
// receives Caffe's messages about the rules that kept a layer out.
func Filter(param *caffepb.NetParameter, state *caffepb.NetState, logf func(string, ...any)) (*caffepb.NetParameter, error) {
	out := proto.Clone(param).(*caffepb.NetParameter)
	out.Layer = nil
	for _, l := range param.Layer {
		if len(l.Include) > 0 && len(l.Exclude) > 0 {
			return nil, fmt.Errorf("layer %q: specify either include rules or exclude rules, not both", l.GetName())
		}
		included := len(l.Include) == 0
		for _, r := range l.Exclude {
			if included && StateMeetsRule(state, r, l.GetName(), logf) {
				included = false
			}
		}
		for _, r := range l.Include {
			if !included && StateMeetsRule(state, r, l.GetName(), logf) {
				included = true
			}
		}
		if included {
			out.Layer = append(out.Layer, l)
		}
	}
	return out, nil
}

// StateMeetsRule reports whether a net state satisfies a rule: the same phase (if
// the rule gives one), a level within [min_level, max_level], every stage of the rule
// present and none of its not_stages.
func StateMeetsRule(state *caffepb.NetState, rule *caffepb.NetStateRule, layer string, logf func(string, ...any)) bool {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if rule.Phase != nil && rule.GetPhase() != state.GetPhase() {
		logf("The NetState phase (%d) differed from the phase (%d) specified by a rule in layer %s",
			state.GetPhase(), rule.GetPhase(), layer)
		return false
	}
	if rule.MinLevel != nil && state.GetLevel() < rule.GetMinLevel() {
		logf("The NetState level (%d) is above the min_level (%d) specified by a rule in layer %s",
			state.GetLevel(), rule.GetMinLevel(), layer)
		return false
	}
	if rule.MaxLevel != nil && state.GetLevel() > rule.GetMaxLevel() {
		logf("The NetState level (%d) is above the max_level (%d) specified by a rule in layer %s",
			state.GetLevel(), rule.GetMaxLevel(), layer)
		return false
	}
	has := func(stage string) bool {
		for _, s := range state.GetStage() {
			if s == stage {
				return true
			}
		}
		return false
	}
	for _, s := range rule.GetStage() {
		if !has(s) {
			logf("The NetState did not contain stage '%s' specified by a rule in layer %s", s, layer)
			return false
		}
	}
	for _, s := range rule.GetNotStage() {
		if has(s) {
			logf("The NetState contained a not_stage '%s' specified by a rule in layer %s", s, layer)
			return false
		}
	}
	return true
}

// topRef names the j-th top of layer i.
type topRef struct{ layer, top int }

// InsertSplits returns a copy of param in which every blob read by more than one
// layer (counting a loss weight on it as one more reader) is fed through a Split
// layer, one top per reader, named as Caffe names them: layer
// "<blob>_<layer>_<j>_split" with tops "<blob>_<layer>_<j>_split_<k>", where <layer>
// and <j> are the layer that produced the blob and the blob's index among its tops.
func InsertSplits(param *caffepb.NetParameter) (*caffepb.NetParameter, error) {
	lastTop := map[string]topRef{}
	source := map[[2]int]topRef{} // (layer, bottom) → where the bottom was produced
	readers := map[topRef]int{}
	lossWeight := map[topRef]float32{}
	for i, l := range param.Layer {
		for j, b := range l.Bottom {
			ref, ok := lastTop[b]
			if !ok {
				return nil, fmt.Errorf("layer %q: unknown bottom blob %q (bottom index %d): no earlier layer produces it", l.GetName(), b, j)
			}
			source[[2]int{i, j}] = ref
			readers[ref]++
		}
		for j, t := range l.Top {
			lastTop[t] = topRef{i, j}
		}
		for j := 0; j < min(len(l.LossWeight), len(l.Top)); j++ {
			ref := lastTop[l.Top[j]]
			lossWeight[ref] = l.LossWeight[j]
			if l.LossWeight[j] != 0 {
				readers[ref]++
			}
		}
	}

	out := proto.Clone(param).(*caffepb.NetParameter)
	out.Layer = nil
	nextSplit := map[topRef]int{}
	for i, orig := range param.Layer {
		l := proto.Clone(orig).(*caffepb.LayerParameter)
		out.Layer = append(out.Layer, l)
		for j := range l.Bottom {
			ref := source[[2]int{i, j}]
			if readers[ref] > 1 {
				l.Bottom[j] = splitBlobName(param.Layer[ref.layer].GetName(), l.Bottom[j], ref.top, nextSplit[ref])
				nextSplit[ref]++
			}
		}
		for j, t := range l.Top {
			ref := topRef{i, j}
			n := readers[ref]
			if n <= 1 {
				continue
			}
			w := lossWeight[ref]
			split := &caffepb.LayerParameter{
				Name:   proto.String(splitLayerName(l.GetName(), t, j)),
				Type:   proto.String("Split"),
				Bottom: []string{t},
			}
			for k := 0; k < n; k++ {
				split.Top = append(split.Top, splitBlobName(l.GetName(), t, j, k))
				if w != 0 {
					if k == 0 {
						split.LossWeight = append(split.LossWeight, w)
					} else {
						split.LossWeight = append(split.LossWeight, 0)
					}
				}
			}
			if w != 0 {
				// The split's first top carries the loss now; the layer's own top
				// counts as read by it.
				l.LossWeight = nil
				nextSplit[ref]++
			}
			out.Layer = append(out.Layer, split)
		}
	}
	return out, nil
}

func splitLayerName(layer, blob string, topIndex int) string {
	return fmt.Sprintf("%s_%s_%d_split", blob, layer, topIndex)
}

func splitBlobName(layer, blob string, topIndex, k int) string {
	return fmt.Sprintf("%s_%s_%d_split_%d", blob, layer, topIndex, k)
}
