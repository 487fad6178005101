package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/network"
)

// zooBlockNet is a small net of the model-zoo layers as the zoo nets combine them:
// a residual block (Convolution → BatchNorm → Scale → ReLU, all in place, summed with
// the shortcut by Eltwise), an inception-like Slice/Concat, Crop, Reshape, Flatten,
// MVN, Tile, Reduction and SPP, ending in two losses.
const zooBlockNet = `
name: "zoo_block"
state { phase: TRAIN }
layer { name: "data" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 2 dim: 4 dim: 6 dim: 6 } shape { dim: 2 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 4 kernel_size: 3 pad: 1 weight_filler { type: "gaussian" std: 0.3 } bias_filler { type: "gaussian" } } }
layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
layer { name: "scale1" type: "Scale" bottom: "conv1" top: "conv1"
        scale_param { bias_term: true filler { type: "gaussian" mean: 1 std: 0.2 } bias_filler { type: "gaussian" std: 0.2 } } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "res" type: "Eltwise" bottom: "data" bottom: "conv1" top: "res" eltwise_param { coeff: 0.5 coeff: 1 } }
layer { name: "slice" type: "Slice" bottom: "res" top: "a" top: "b" slice_param { slice_point: 1 } }
layer { name: "bias_a" type: "Bias" bottom: "a" top: "a" bias_param { filler { type: "gaussian" } } }
layer { name: "cat" type: "Concat" bottom: "b" bottom: "a" top: "cat" }
layer { name: "crop" type: "Crop" bottom: "cat" bottom: "data" top: "crop" crop_param { axis: 3 offset: 0 } }
layer { name: "mvn" type: "MVN" bottom: "crop" top: "mvn" }
layer { name: "spp" type: "SPP" bottom: "mvn" top: "spp" spp_param { pyramid_height: 2 pool: AVE } }
layer { name: "tile" type: "Tile" bottom: "spp" top: "tile" tile_param { axis: 1 tiles: 2 } }
layer { name: "reshape" type: "Reshape" bottom: "tile" top: "r" reshape_param { shape { dim: 0 dim: 8 dim: -1 } } }
layer { name: "flat" type: "Flatten" bottom: "r" top: "flat" }
layer { name: "ip" type: "InnerProduct" bottom: "flat" top: "ip"
        inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.3 } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
layer { name: "sq" type: "Reduction" bottom: "mvn" top: "sq" reduction_param { operation: SUMSQ coeff: 0.01 } loss_weight: 1 }
`

// TestZooBlockNet builds the net, checks every layer's gradient inside it with
// Caffe's per-type settings (as gocaffe gradcheck does), and checks that the whole
// net's backward pass reaches the input.
func TestZooBlockNet(t *testing.T) {
	param, err := protofile.ParseNetText("zoo_block.prototxt", []byte(zooBlockNet))
	if err != nil {
		t.Fatal(err)
	}
	param.ForceBackward = func() *bool { b := true; return &b }()
	n, err := network.New(param, network.Options{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	gradcheck.FillInputs(n, rng.New(1701))
	results, err := gradcheck.CheckNet(n, gradcheck.NetOptions{Seed: 1701})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range results {
		if r.Failed() {
			t.Errorf("layer %s (%s): %v", r.Layer, r.Type, r.Report.Err())
		}
		if r.Report != nil {
			checked++
		}
	}
	if checked < 18 {
		t.Fatalf("%d layers checked, want every layer but the input", checked)
	}
	loss, err := n.ForwardBackward()
	if err != nil {
		t.Fatal(err)
	}
	if loss <= 0 {
		t.Fatalf("loss %g", loss)
	}
	nonZero := 0
	for _, g := range n.Blob("data").Diff {
		if g != 0 {
			nonZero++
		}
	}
	if nonZero == 0 {
		t.Fatal("no gradient reached the input")
	}
}
