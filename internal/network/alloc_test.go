package network

import (
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// lenetInput is Caffe's examples/mnist/lenet_train_test.prototxt for TRAIN, with an
// Input layer of the Data layer's shapes (batch 64) in place of the database.
const lenetInput = `
name: "LeNet"
layer { name: "mnist" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 64 dim: 1 dim: 28 dim: 28 } shape { dim: 64 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        param { lr_mult: 1 } param { lr_mult: 2 }
        convolution_param { num_output: 20 kernel_size: 5 stride: 1
                            weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
        pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2"
        param { lr_mult: 1 } param { lr_mult: 2 }
        convolution_param { num_output: 50 kernel_size: 5 stride: 1
                            weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2"
        pooling_param { pool: MAX kernel_size: 2 stride: 2 } }
layer { name: "ip1" type: "InnerProduct" bottom: "pool2" top: "ip1"
        param { lr_mult: 1 } param { lr_mult: 2 }
        inner_product_param { num_output: 500 weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
        param { lr_mult: 1 } param { lr_mult: 2 }
        inner_product_param { num_output: 10 weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
`

// cifarQuickInput is Caffe's examples/cifar10/cifar10_quick_train_test.prototxt for
// TRAIN with an Input layer of batch 100: ReLU in place, MAX and AVE pooling.
const cifarQuickInput = `
name: "CIFAR10_quick"
layer { name: "cifar" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 100 dim: 3 dim: 32 dim: 32 } shape { dim: 100 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        param { lr_mult: 1 } param { lr_mult: 2 }
        convolution_param { num_output: 32 pad: 2 kernel_size: 5 stride: 1
                            weight_filler { type: "gaussian" std: 0.0001 } bias_filler { type: "constant" } } }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1"
        pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
layer { name: "relu1" type: "ReLU" bottom: "pool1" top: "pool1" }
layer { name: "conv2" type: "Convolution" bottom: "pool1" top: "conv2"
        param { lr_mult: 1 } param { lr_mult: 2 }
        convolution_param { num_output: 32 pad: 2 kernel_size: 5 stride: 1
                            weight_filler { type: "gaussian" std: 0.01 } bias_filler { type: "constant" } } }
layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
layer { name: "pool2" type: "Pooling" bottom: "conv2" top: "pool2"
        pooling_param { pool: AVE kernel_size: 3 stride: 2 } }
layer { name: "conv3" type: "Convolution" bottom: "pool2" top: "conv3"
        param { lr_mult: 1 } param { lr_mult: 2 }
        convolution_param { num_output: 64 pad: 2 kernel_size: 5 stride: 1
                            weight_filler { type: "gaussian" std: 0.01 } bias_filler { type: "constant" } } }
layer { name: "relu3" type: "ReLU" bottom: "conv3" top: "conv3" }
layer { name: "pool3" type: "Pooling" bottom: "conv3" top: "pool3"
        pooling_param { pool: AVE kernel_size: 3 stride: 2 } }
layer { name: "ip1" type: "InnerProduct" bottom: "pool3" top: "ip1"
        param { lr_mult: 1 } param { lr_mult: 2 }
        inner_product_param { num_output: 64 weight_filler { type: "gaussian" std: 0.1 } bias_filler { type: "constant" } } }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
        param { lr_mult: 1 } param { lr_mult: 2 }
        inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.1 } bias_filler { type: "constant" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
`

// dropoutNet has the layers of AlexNet's classifier that the two nets above lack:
// Dropout in place after a ReLU, and LRN.
const dropoutNet = `
name: "classifier"
layer { name: "data" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 32 dim: 8 dim: 6 dim: 6 } shape { dim: 32 } } }
layer { name: "norm" type: "LRN" bottom: "data" top: "norm" lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 } }
layer { name: "fc6" type: "InnerProduct" bottom: "norm" top: "fc6"
        inner_product_param { num_output: 64 weight_filler { type: "gaussian" std: 0.1 } bias_filler { type: "constant" value: 0.1 } } }
layer { name: "relu6" type: "ReLU" bottom: "fc6" top: "fc6" }
layer { name: "drop6" type: "Dropout" bottom: "fc6" top: "fc6" dropout_param { dropout_ratio: 0.5 } }
layer { name: "fc7" type: "InnerProduct" bottom: "fc6" top: "fc7"
        inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.1 } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc7" bottom: "label" top: "loss" }
`

// residualNet is a ResNet block at batch 1: BatchNorm, Scale with a bias, a Split
// where the block forks and an Eltwise sum where it joins.
const residualNet = `
name: "residual"
layer { name: "data" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 1 dim: 8 dim: 14 dim: 14 } shape { dim: 1 } } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
        convolution_param { num_output: 16 kernel_size: 3 pad: 1 bias_term: false weight_filler { type: "msra" } } }
layer { name: "bn1" type: "BatchNorm" bottom: "conv1" top: "conv1" }
layer { name: "scale1" type: "Scale" bottom: "conv1" top: "conv1" scale_param { bias_term: true } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2"
        convolution_param { num_output: 16 kernel_size: 3 pad: 1 bias_term: false weight_filler { type: "msra" } } }
layer { name: "bn2" type: "BatchNorm" bottom: "conv2" top: "conv2" }
layer { name: "scale2" type: "Scale" bottom: "conv2" top: "conv2" scale_param { bias_term: true } }
layer { name: "sum" type: "Eltwise" bottom: "conv1" bottom: "conv2" top: "sum" }
layer { name: "relu2" type: "ReLU" bottom: "sum" top: "sum" }
layer { name: "fc" type: "InnerProduct" bottom: "sum" top: "fc"
        inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.01 } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
`

// activationNet chains the elementwise layers that LeNet, cifar10_quick and the two
// nets above lack.
const activationNet = `
name: "activations"
layer { name: "data" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 16 dim: 32 } shape { dim: 16 } } }
layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
        inner_product_param { num_output: 2048 weight_filler { type: "gaussian" std: 0.1 } } }
layer { name: "sigmoid" type: "Sigmoid" bottom: "ip1" top: "a1" }
layer { name: "tanh" type: "TanH" bottom: "a1" top: "a2" }
layer { name: "elu" type: "ELU" bottom: "a2" top: "a3" }
layer { name: "bnll" type: "BNLL" bottom: "a3" top: "a4" }
layer { name: "softplus" type: "Softplus" bottom: "a4" top: "a5" }
layer { name: "swish" type: "Swish" bottom: "a5" top: "a6" }
layer { name: "absval" type: "AbsVal" bottom: "a6" top: "a7" }
layer { name: "power" type: "Power" bottom: "a7" top: "a8" power_param { power: 2 shift: 1 } }
layer { name: "log" type: "Log" bottom: "a8" top: "a9" }
layer { name: "exp" type: "Exp" bottom: "a9" top: "a10" exp_param { scale: -1 } }
layer { name: "clip" type: "Clip" bottom: "a10" top: "a11" clip_param { min: 0 max: 0.9 } }
layer { name: "reshape" type: "Reshape" bottom: "a11" top: "a12" reshape_param { shape { dim: 0 dim: 8 dim: -1 } } }
layer { name: "prelu" type: "PReLU" bottom: "a12" top: "a13" }
layer { name: "ip2" type: "InnerProduct" bottom: "a13" top: "ip2"
        inner_product_param { num_output: 10 weight_filler { type: "gaussian" std: 0.1 } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
`

// TestForwardBackwardAllocs: once warm, a training pass of LeNet, cifar10_quick, an
// AlexNet-like classifier, a ResNet block and a chain of activations allocates
// nothing (every buffer is sized in Reshape, and the parallel loops start their
// workers without allocating).
func TestForwardBackwardAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's bookkeeping allocates; counting allocations means nothing under it")
	}
	for _, tc := range []struct {
		name, text string
		classes    int
	}{
		{"lenet", lenetInput, 10},
		{"cifar10_quick", cifarQuickInput, 10},
		{"classifier", dropoutNet, 10},
		{"residual", residualNet, 10},
		{"activations", activationNet, 10},
	} {
		for _, mode := range numerics.Modes {
			t.Run(tc.name+"/"+mode.String(), func(t *testing.T) {
				if testing.Short() && tc.name == "cifar10_quick" {
					t.Skip("-short: the full suite also counts cifar10_quick's allocations, the biggest net here")
				}
				defer numerics.Set(numerics.Set(mode))
				forwardBackwardAllocs(t, tc.text, tc.classes)
			})
		}
	}
}

// forwardBackwardAllocs builds the net and wants a warm training pass to allocate
// nothing.
func forwardBackwardAllocs(t *testing.T, text string, classes int) {
	n := build(t, text, caffepb.Phase_TRAIN)
	defer n.Close()
	// Inputs as a real batch would have them: data of both signs, valid labels.
	r := rng.New(1)
	data, label := n.Blob("data"), n.Blob("label")
	for i := range data.Data {
		data.Data[i] = r.Gaussian(0, 1)
	}
	for i := range label.Data {
		label.Data[i] = float32(r.Intn(classes))
	}
	pass := func() {
		n.ClearParamDiffs()
		if _, err := n.ForwardBackward(); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		pass() // warm up: buffers sized, pools and helper goroutines started
	}
	if allocs := testing.AllocsPerRun(5, pass); allocs != 0 {
		t.Errorf("%v allocations per ForwardBackward, want 0", allocs)
	}
}
