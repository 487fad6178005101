package layers_test

import (
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Gradient checks of the layers the net needs for its own tests, with the step and
// threshold of Caffe's tests of the same layers.

func TestInnerProductGradient(t *testing.T) {
	cases := []struct {
		name, text string
		shape      []int
	}{
		{"default", `type: "InnerProduct" inner_product_param { num_output: 10 weight_filler { type: "gaussian" } bias_filler { type: "gaussian" } }`, []int{2, 3, 4, 5}},
		{"transpose", `type: "InnerProduct" inner_product_param { num_output: 10 transpose: true weight_filler { type: "gaussian" } bias_filler { type: "gaussian" } }`, []int{2, 3, 4, 5}},
		{"axis2_nobias", `type: "InnerProduct" inner_product_param { num_output: 3 axis: 2 bias_term: false weight_filler { type: "gaussian" } }`, []int{2, 3, 4, 2}},
		{"axis-1", `type: "InnerProduct" inner_product_param { num_output: 4 axis: -1 weight_filler { type: "uniform" } bias_filler { type: "uniform" } }`, []int{3, 2, 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, tc.shape...)}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

func TestInnerProductShapes(t *testing.T) {
	r := rng.New(1)
	l := setUp(t, `type: "InnerProduct" inner_product_param { num_output: 10 axis: 2 }`, caffepb.Phase_TRAIN,
		[]*blob.Blob{gaussian(r, 0, 1, 2, 3, 4, 5)}, 1)
	if got := l.Top[0].ShapeString(); got != "2 3 10 (60)" {
		t.Fatalf("top shape %s", got)
	}
	if got := l.Params()[0].ShapeString(); got != "10 20 (200)" {
		t.Fatalf("weight shape %s", got)
	}
	// A bottom whose size from axis changes no longer fits the weights.
	l.Bottom[0].Reshape(2, 3, 4, 6)
	if err := l.Reshape(l.Bottom, l.Top); err == nil {
		t.Fatal("Reshape accepted a bottom that does not fit the weights")
	}
}

func TestReLUGradient(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"default", `type: "ReLU"`},
		{"leaky", `type: "ReLU" relu_param { negative_slope: 0.01 }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 2, 3, 4, 5)}, 1)
			checkGradient(t, l, kinked(1e-2, 1e-3, 0.01), checkEltwise, gradcheck.AllBottoms)
		})
	}
}

func TestReLUInPlace(t *testing.T) {
	r := rng.New(3)
	x := gaussian(r, 0, 1, 4, 5)
	orig := append([]float32(nil), x.Data...)
	l, _ := newLayer(t, `type: "ReLU" relu_param { negative_slope: 0.5 }`, caffepb.Phase_TRAIN)
	io := []*blob.Blob{x}
	if err := layers.SetUp(l, io, io); err != nil {
		t.Fatal(err)
	}
	l.Forward(io, io)
	for i := range x.Diff {
		x.Diff[i] = 1
	}
	l.Backward(io, []bool{true}, io)
	for i, v := range orig {
		wantY, wantD := v, float32(1)
		if v <= 0 {
			wantY, wantD = 0.5*v, 0.5
		}
		if x.Data[i] != wantY || x.Diff[i] != wantD {
			t.Fatalf("element %d: y %g dx %g, want %g %g", i, x.Data[i], x.Diff[i], wantY, wantD)
		}
	}
}

func TestSoftmaxGradient(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		shape      []int
	}{
		{"axis1", `type: "Softmax"`, []int{2, 10, 2, 3}},
		{"axis-1", `type: "Softmax" softmax_param { axis: -1 }`, []int{3, 2, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, tc.shape...)}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, gradcheck.AllBottoms)
			// Every softmax sums to 1 along its axis.
			y := l.Top[0].Data
			c := tc.shape[len(tc.shape)-1]
			if tc.name == "axis1" {
				c = tc.shape[1]
				inner := tc.shape[2] * tc.shape[3]
				for n := 0; n < tc.shape[0]; n++ {
					for i := 0; i < inner; i++ {
						var s float64
						for k := 0; k < c; k++ {
							s += float64(y[(n*c+k)*inner+i])
						}
						if math.Abs(s-1) > 1e-5 {
							t.Fatalf("softmax sums to %g", s)
						}
					}
				}
			}
		})
	}
}

func TestSoftmaxWithLossGradient(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"valid", `type: "SoftmaxWithLoss"`},
		{"ignore", `type: "SoftmaxWithLoss" loss_param { ignore_label: 2 }`},
		{"full", `type: "SoftmaxWithLoss" loss_param { normalization: FULL }`},
		{"batch_size", `type: "SoftmaxWithLoss" loss_param { normalization: BATCH_SIZE }`},
		{"none", `type: "SoftmaxWithLoss" loss_param { normalization: NONE }`},
		{"unnormalized_legacy", `type: "SoftmaxWithLoss" loss_param { normalize: false }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			bottom := []*blob.Blob{gaussian(r, 0, 1, 10, 5, 2, 3), labels(r, 5, 10, 1, 2, 3)}
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, bottom, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkExhaustive, 0)
		})
	}
}

func TestSoftmaxWithLossErrors(t *testing.T) {
	r := rng.New(1)
	l := setUp(t, `type: "SoftmaxWithLoss"`, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 4, 3), labels(r, 3, 4)}, 1)
	l.Bottom[1].Data[2] = 3
	if err := l.Forward(l.Bottom, l.Top); err == nil {
		t.Fatal("label 3 of 3 classes accepted")
	}
	l2, _ := newLayer(t, `type: "SoftmaxWithLoss"`, caffepb.Phase_TRAIN)
	if err := layers.SetUp(l2, []*blob.Blob{blob.New(4, 3), blob.New(5)}, []*blob.Blob{blob.New()}); err == nil {
		t.Fatal("4 predictions with 5 labels accepted")
	}
}

func TestSplitGradient(t *testing.T) {
	r := rng.New(1701)
	l := setUp(t, `type: "Split"`, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 2, 3, 4, 5)}, 2)
	checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkExhaustive, gradcheck.AllBottoms)
}

func TestDummyData(t *testing.T) {
	l := setUp(t, `type: "DummyData" dummy_data_param {
		shape { dim: 5 dim: 3 } shape { dim: 4 }
		data_filler { type: "constant" value: 7 } data_filler { type: "uniform" min: 1 max: 2 } }`,
		caffepb.Phase_TRAIN, nil, 2)
	if l.Top[0].ShapeString() != "5 3 (15)" || l.Top[1].ShapeString() != "4 (4)" {
		t.Fatalf("shapes %s, %s", l.Top[0].ShapeString(), l.Top[1].ShapeString())
	}
	first := append([]float32(nil), l.Top[1].Data...)
	l.Forward(nil, l.Top)
	same := true
	for i, v := range l.Top[1].Data {
		if v < 1 || v > 2 {
			t.Fatalf("uniform value %g", v)
		}
		same = same && v == first[i]
	}
	if same {
		t.Fatal("the uniform top was not drawn again")
	}
	for _, v := range l.Top[0].Data {
		if v != 7 {
			t.Fatalf("constant top holds %g", v)
		}
	}
	legacy := setUp(t, `type: "DummyData" dummy_data_param { num: 2 channels: 3 height: 4 width: 5 }`, caffepb.Phase_TRAIN, nil, 1)
	if legacy.Top[0].ShapeString() != "2 3 4 5 (120)" {
		t.Fatalf("legacy shape %s", legacy.Top[0].ShapeString())
	}
}

func TestInputShapes(t *testing.T) {
	l := setUp(t, `type: "Input" input_param { shape { dim: 64 dim: 1 dim: 28 dim: 28 } shape { dim: 64 } }`, caffepb.Phase_TEST, nil, 2)
	if l.Top[0].ShapeString() != "64 1 28 28 (50176)" || l.Top[1].ShapeString() != "64 (64)" {
		t.Fatalf("shapes %s, %s", l.Top[0].ShapeString(), l.Top[1].ShapeString())
	}
	bad, _ := newLayer(t, `type: "Input" input_param { shape { dim: 1 } shape { dim: 2 } }`, caffepb.Phase_TEST)
	if err := layers.SetUp(bad, nil, []*blob.Blob{blob.New(), blob.New(), blob.New()}); err == nil {
		t.Fatal("2 shapes for 3 tops accepted")
	}
}

// BenchmarkSplit: the sum of two tops' gradients on ResNet-50's res2 shape at batch 1.
func BenchmarkSplit(b *testing.B) {
	benchLayers(b, []layerBench{{name: "res2_1x256x56x56", text: `type: "Split"`, phase: caffepb.Phase_TRAIN,
		bottoms: [][]int{{1, 256, 56, 56}}, tops: 2}})
}
