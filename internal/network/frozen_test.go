package network

import (
	"math"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// frozenNet has a trainable convolution at the bottom and every kind of layer that
// skips a frozen parameter's gradient above it, so that the frozen layers still pass
// the gradient down to conv1. F0 and F1 mark the param specs of the parameters the
// test freezes: lr_mult 0 in the frozen net, 1 in the reference.
const frozenNet = `
name: "frozen"
layer { name: "in" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 3 dim: 2 dim: 10 dim: 10 } shape { dim: 3 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 4 kernel_size: 3
                            weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" } } }
layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2" F0 F1
        convolution_param { num_output: 5 kernel_size: 3 group: 1
                            weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" } } }
layer { name: "deconv" type: "Deconvolution" bottom: "conv2" top: "deconv" F0 F1
        convolution_param { num_output: 3 kernel_size: 2 stride: 2
                            weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" } } }
layer { name: "pool" type: "Pooling" bottom: "deconv" top: "pool"
        pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "ip1" type: "InnerProduct" bottom: "pool" top: "ip1" F0 F1
        inner_product_param { num_output: 8 weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" } } }
layer { name: "prelu" type: "PReLU" bottom: "ip1" top: "ip1" F0
        prelu_param { filler { type: "constant" value: 0.3 } } }
layer { name: "scale" type: "Scale" bottom: "ip1" top: "scaled" F0 F1
        scale_param { bias_term: true filler { type: "gaussian" } bias_filler { type: "gaussian" } } }
layer { name: "bias" type: "Bias" bottom: "scaled" top: "biased" F0
        bias_param { filler { type: "gaussian" } } }
layer { name: "ip2" type: "InnerProduct" bottom: "biased" top: "ip2" param { lr_mult: 1 } F1
        inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
`

// frozenEmbed freezes an Embed layer's weights but not its bias.
const frozenEmbed = `
name: "frozen_embed"
layer { name: "in" type: "Input" top: "ids" top: "label"
        input_param { shape { dim: 6 } shape { dim: 6 } } }
layer { name: "embed" type: "Embed" bottom: "ids" top: "embed" F0 param { lr_mult: 1 }
        embed_param { num_output: 4 input_dim: 5
                      weight_filler { type: "gaussian" } bias_filler { type: "gaussian" } } }
layer { name: "ip" type: "InnerProduct" bottom: "embed" top: "ip" F0 F1
        inner_product_param { num_output: 3 weight_filler { type: "gaussian" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
`

// frozenPass builds text with the marked parameters at lrMult, runs one training
// pass on fixed inputs (with mark, the frozen parameters' gradients set to
// frozenSentinel first) and returns the net.
func frozenPass(t *testing.T, text, lrMult string, mark bool) *Net {
	t.Helper()
	spec := "param { lr_mult: " + lrMult + " }"
	text = strings.NewReplacer("F0", spec, "F1", spec).Replace(text)
	n, err := New(parseNet(t, text, caffepb.Phase_TRAIN), Options{Quiet: true, RNG: rng.New(1701)})
	if err != nil {
		t.Fatal(err)
	}
	r := rng.New(1)
	for _, name := range n.Inputs() {
		b := n.Blob(name)
		for i := range b.Data {
			if name == "label" || name == "ids" {
				b.Data[i] = float32(r.Intn(3))
			} else {
				b.Data[i] = r.Gaussian(0, 1)
			}
		}
	}
	n.ClearParamDiffs()
	for i, b := range n.Learnable() {
		if mark && n.LrMult()[i] == 0 {
			for j := range b.Diff {
				b.Diff[j] = frozenSentinel
			}
		}
	}
	if _, err := n.ForwardBackward(); err != nil {
		t.Fatal(err)
	}
	return n
}

// frozenSentinel is what a frozen parameter's gradient holds before the pass: Caffe
// leaves it as it is (the solver has zeroed it; the test makes a change visible).
const frozenSentinel = 0.5

// TestFrozenParamsGetNoGradient checks Caffe's param_propagate_down: a parameter
// with lr_mult 0 keeps its gradient as it was, and every other value and gradient —
// tops, bottoms' gradients, the learning parameters' gradients — is bit for bit what
// the net computes when nothing is frozen, in both numerics. The nets: frozen layers
// above a learning one (which still pass the gradient down), an Embed with frozen
// weights, and LeNet with its convolutions frozen (which need no backward at all).
func TestFrozenParamsGetNoGradient(t *testing.T) {
	for _, text := range []string{frozenNet, frozenEmbed, markLayers(lenetInput, "conv1", "conv2")} {
		for _, mode := range numerics.Modes {
			name := parseNet(t, strings.NewReplacer("F0", "", "F1", "").Replace(text), caffepb.Phase_TRAIN).GetName()
			t.Run(name+"/"+mode.String(), func(t *testing.T) {
				defer numerics.Set(numerics.Set(mode))
				ref, frozen := frozenPass(t, text, "1", true), frozenPass(t, text, "0", true)
				defer ref.Close()
				defer frozen.Close()
				nFrozen := 0
				for i, b := range frozen.Learnable() {
					if frozen.LrMult()[i] == 0 {
						nFrozen++
						for j, v := range b.Diff {
							if v != frozenSentinel {
								t.Fatalf("%s: gradient[%d] = %g, want it left at %g", frozen.ParamDisplayName(i), j, v, float32(frozenSentinel))
							}
						}
						continue
					}
					sameBits(t, frozen.ParamDisplayName(i)+" gradient", b.Diff, ref.Learnable()[i].Diff)
				}
				if nFrozen == 0 {
					t.Fatal("no parameter is frozen")
				}
				// Every value is the same; every gradient the frozen net wants too, and
				// one it does not want (below layers that all are frozen) is never
				// computed.
				for id, b := range frozen.blobs {
					want := ref.blobs[id].blob
					sameBits(t, b.name, b.blob.Data, want.Data)
					if b.needBackward {
						sameBits(t, b.name+" gradient", b.blob.Diff, want.Diff)
					} else {
						sameBits(t, b.name+" gradient", b.blob.Diff, make([]float32, len(b.blob.Diff)))
					}
				}
				if li := frozen.LayerIndex("deconv"); li >= 0 && !frozen.LayerNeedBackward(frozen.LayerIndex("conv2")) {
					t.Fatal("conv2 is frozen but conv1 below it learns: it must still pass the gradient down")
				}
			})
		}
	}
}

// TestForceBackwardComputesFrozenGradients checks that force_backward, which asks for
// every gradient, gets the frozen parameters' too, as in Caffe.
func TestForceBackwardComputesFrozenGradients(t *testing.T) {
	ref := frozenPass(t, frozenNet, "1", false)
	defer ref.Close()
	forced := frozenPass(t, "force_backward: true\n"+frozenNet, "0", false)
	defer forced.Close()
	for i, b := range forced.Learnable() {
		sameBits(t, forced.ParamDisplayName(i)+" gradient", b.Diff, ref.Learnable()[i].Diff)
	}
}

// markLayers marks the param specs of the named layers of a net whose layers give
// them as "param { lr_mult: 1 } param { lr_mult: 2 }" (LeNet), as a fine-tuning run
// freezes its first layers.
func markLayers(text string, names ...string) string {
	blocks := strings.Split(text, "layer {")
	for i, b := range blocks {
		for _, name := range names {
			if strings.Contains(b, `name: "`+name+`"`) {
				blocks[i] = strings.Replace(b, "param { lr_mult: 1 } param { lr_mult: 2 }", "F0 F1", 1)
			}
		}
	}
	return strings.Join(blocks, "layer {")
}

func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %g, want %g bit for bit", what, i, got[i], want[i])
		}
	}
}
