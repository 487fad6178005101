package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of PReLU (Caffe's test_neuron_layer.cpp).

// TestPReLUGradient is Caffe's gradient check of the layer, with its step, threshold,
// kink and mode.
func TestPReLUGradient(t *testing.T) {
	checkGradients(t, []gradCase{
		{"default", `type: "PReLU" prelu_param { filler { type: "gaussian" } }`, caffepb.Phase_TRAIN, kinkChecker, checkExhaustive, neuronBottom},
		{"channel_shared", `type: "PReLU" prelu_param { channel_shared: true }`, caffepb.Phase_TRAIN, kinkChecker, checkExhaustive, neuronBottom},
		{"channel_shared_gaussian", `type: "PReLU" prelu_param { channel_shared: true filler { type: "gaussian" } }`, caffepb.Phase_TRAIN, kinkChecker, checkExhaustive, neuronBottom},
		{"2axes", `type: "PReLU" prelu_param { filler { type: "uniform" min: -1 max: 1 } }`, caffepb.Phase_TRAIN, kinkChecker, checkExhaustive, wideBottom},
	})
}

// preluRef is max(x, 0) + a·min(x, 0) for element i of a bottom whose channel has
// dim elements per item and C channels.
func preluRef(l *testLayer, i int, shared bool) float32 {
	b := l.Bottom[0]
	c := (i / b.CountFrom(2)) % b.Dim(1)
	if shared {
		c = 0
	}
	x := b.Data[i]
	return max(x, 0) + l.Params()[0].Data[c]*min(x, 0)
}

func TestPReLUForward(t *testing.T) {
	// Caffe's TestPReLUParam: the default filler is the constant 0.25.
	l := setUp(t, `type: "PReLU"`, caffepb.Phase_TRAIN, []*blob.Blob{neuronBottom()}, 1)
	if s := l.Params()[0]; s.ShapeString() != "3 (3)" {
		t.Fatalf("slopes of shape %s, want one per channel", s.ShapeString())
	}
	for _, a := range l.Params()[0].Data {
		if a != 0.25 {
			t.Fatalf("default slope %g, want 0.25", a)
		}
	}
	for _, tc := range []struct {
		name, text string
		shared     bool
		shape      []int
	}{
		{"channelwise", `type: "PReLU" prelu_param { filler { type: "gaussian" } }`, false, []int{2, 3, 4, 5}},
		{"channel_shared", `type: "PReLU" prelu_param { channel_shared: true }`, true, []int{2, 3, 4, 5}},
		// Large enough that forward and backward are split over goroutines.
		{"channelwise_large", `type: "PReLU" prelu_param { filler { type: "gaussian" } }`, false, []int{4, 8, 32, 32}},
		{"channel_shared_large", `type: "PReLU" prelu_param { channel_shared: true filler { type: "gaussian" } }`, true, []int{4, 8, 32, 32}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(7)
			l := forwardOnce(t, tc.text, caffepb.Phase_TRAIN, gaussian(r, 0, 1, tc.shape...))
			if tc.shared && l.Params()[0].NumAxes() != 0 {
				t.Fatalf("shared slope of shape %s, want a 0-axis blob", l.Params()[0].ShapeString())
			}
			for i := range l.Top[0].Data {
				if got, want := l.Top[0].Data[i], preluRef(l, i, tc.shared); got != want {
					t.Fatalf("y[%d] = %g, want %g", i, got, want)
				}
			}
			// Backward against sums taken here in float64, on top of an existing
			// gradient (the slope's must accumulate).
			top, bottom, slope := l.Top[0], l.Bottom[0], l.Params()[0]
			for i := range top.Diff {
				top.Diff[i] = r.Gaussian(0, 1)
			}
			for i := range slope.Diff {
				slope.Diff[i] = 1
			}
			want := make([]float64, slope.Count())
			dim, channels := bottom.CountFrom(2), bottom.Dim(1)
			for i, x := range bottom.Data {
				c := (i / dim) % channels
				if tc.shared {
					c = 0
				}
				if x <= 0 {
					want[c] += float64(top.Diff[i]) * float64(x)
				}
			}
			l.Backward(l.Top, []bool{true}, l.Bottom)
			for c := range want {
				if got := float64(slope.Diff[c]); !testutil.Close(got, 1+want[c], 1e-5, 1e-5) {
					t.Fatalf("slope diff %d = %g, want 1 + %g", c, got, want[c])
				}
			}
			for i, x := range bottom.Data {
				a := slope.Data[(i/dim)%channels%slope.Count()]
				want := top.Diff[i]
				if x <= 0 {
					want *= a
				}
				if bottom.Diff[i] != want {
					t.Fatalf("dx[%d] = %g, want %g", i, bottom.Diff[i], want)
				}
			}
		})
	}
}

func TestPReLUShapeErrors(t *testing.T) {
	l, _ := newLayer(t, `type: "PReLU"`, caffepb.Phase_TRAIN)
	if err := layers.SetUp(l, []*blob.Blob{blob.New(6)}, []*blob.Blob{blob.New()}); err == nil {
		t.Fatal("a 1-axis bottom accepted")
	}
	pl := setUp(t, `type: "PReLU"`, caffepb.Phase_TRAIN, []*blob.Blob{neuronBottom()}, 1)
	pl.Bottom[0].Reshape(2, 4, 4, 5)
	if err := pl.Reshape(pl.Bottom, pl.Top); err == nil {
		t.Fatal("4 channels accepted with 3 slopes")
	}
	shared := setUp(t, `type: "PReLU" prelu_param { channel_shared: true }`, caffepb.Phase_TRAIN, []*blob.Blob{neuronBottom()}, 1)
	shared.Bottom[0].Reshape(2, 4, 4, 5)
	if err := shared.Reshape(shared.Bottom, shared.Top); err != nil {
		t.Fatalf("a shared slope refused another channel count: %v", err)
	}
}

// TestPReLUConsistencyReLU is Caffe's: PReLU with its default slopes computes what
// ReLU with negative_slope 0.25 computes, forward and backward, bit for bit.
func TestPReLUConsistencyReLU(t *testing.T) {
	prelu := setUp(t, `type: "PReLU"`, caffepb.Phase_TRAIN, []*blob.Blob{neuronBottom()}, 1)
	relu := setUp(t, `type: "ReLU" relu_param { negative_slope: 0.25 }`, caffepb.Phase_TRAIN, []*blob.Blob{neuronBottom()}, 1)
	prelu.Forward(prelu.Bottom, prelu.Top)
	relu.Forward(relu.Bottom, relu.Top)
	r := rng.New(3)
	for i := range prelu.Top[0].Diff {
		d := r.Gaussian(0, 1)
		prelu.Top[0].Diff[i], relu.Top[0].Diff[i] = d, d
	}
	prelu.Backward(prelu.Top, []bool{true}, prelu.Bottom)
	relu.Backward(relu.Top, []bool{true}, relu.Bottom)
	for i := range prelu.Top[0].Data {
		if prelu.Top[0].Data[i] != relu.Top[0].Data[i] || prelu.Bottom[0].Diff[i] != relu.Bottom[0].Diff[i] {
			t.Fatalf("element %d: PReLU y %g dx %g, ReLU y %g dx %g", i,
				prelu.Top[0].Data[i], prelu.Bottom[0].Diff[i], relu.Top[0].Data[i], relu.Bottom[0].Diff[i])
		}
	}
}

// TestPReLUInPlace is Caffe's: InnerProduct then PReLU in place gives the same
// outputs and the same gradients (bottom, weights, bias, slopes) as out of place.
func TestPReLUInPlace(t *testing.T) {
	const ipText = `type: "InnerProduct" inner_product_param { num_output: 3 weight_filler { type: "gaussian" } }`
	x1, x2 := neuronBottom(), neuronBottom()
	ip1, _ := newLayer(t, ipText, caffepb.Phase_TRAIN)
	ip2, _ := newLayer(t, ipText, caffepb.Phase_TRAIN)
	pr1, _ := newLayer(t, `type: "PReLU"`, caffepb.Phase_TRAIN)
	pr2, _ := newLayer(t, `type: "PReLU"`, caffepb.Phase_TRAIN)
	mid1, mid2, top2 := blob.New(), blob.New(), blob.New()
	for _, err := range []error{
		layers.SetUp(ip1, []*blob.Blob{x1}, []*blob.Blob{mid1}),
		layers.SetUp(pr1, []*blob.Blob{mid1}, []*blob.Blob{mid1}),
		layers.SetUp(ip2, []*blob.Blob{x2}, []*blob.Blob{mid2}),
		layers.SetUp(pr2, []*blob.Blob{mid2}, []*blob.Blob{top2}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	copy(ip2.Params()[0].Data, ip1.Params()[0].Data)
	ip1.Forward([]*blob.Blob{x1}, []*blob.Blob{mid1})
	pr1.Forward([]*blob.Blob{mid1}, []*blob.Blob{mid1})
	ip2.Forward([]*blob.Blob{x2}, []*blob.Blob{mid2})
	pr2.Forward([]*blob.Blob{mid2}, []*blob.Blob{top2})
	for i := range top2.Data {
		if mid1.Data[i] != top2.Data[i] {
			t.Fatalf("y[%d]: in place %g, out of place %g", i, mid1.Data[i], top2.Data[i])
		}
	}
	r := rng.New(5)
	for i := range top2.Diff {
		d := r.Gaussian(0, 1)
		mid1.Diff[i], top2.Diff[i] = d, d
	}
	down := []bool{true}
	pr1.Backward([]*blob.Blob{mid1}, down, []*blob.Blob{mid1})
	ip1.Backward([]*blob.Blob{mid1}, down, []*blob.Blob{x1})
	pr2.Backward([]*blob.Blob{top2}, down, []*blob.Blob{mid2})
	ip2.Backward([]*blob.Blob{mid2}, down, []*blob.Blob{x2})
	same := func(what string, a, b []float32) {
		t.Helper()
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s[%d]: in place %g, out of place %g", what, i, a[i], b[i])
			}
		}
	}
	same("bottom diff", x1.Diff, x2.Diff)
	same("weight diff", ip1.Params()[0].Diff, ip2.Params()[0].Diff)
	same("bias diff", ip1.Params()[1].Diff, ip2.Params()[1].Diff)
	same("slope diff", pr1.Params()[0].Diff, pr2.Params()[0].Diff)
}

// TestPReLUInPlaceLarge: in place (top and bottom the same blob) as out of place, bit
// for bit, on a bottom large enough for the loops to be split over goroutines.
func TestPReLUInPlaceLarge(t *testing.T) {
	normal, _, diff := inPlaceBottoms()
	for _, tc := range []struct {
		name, text string
		phase      caffepb.Phase
		x          *blob.Blob
	}{
		{"prelu", `type: "PReLU" prelu_param { filler { type: "gaussian" } }`, caffepb.Phase_TRAIN, normal},
		{"prelu_shared", `type: "PReLU" prelu_param { channel_shared: true }`, caffepb.Phase_TRAIN, normal},
	} {
		neuronInPlace(t, tc.name, tc.text, tc.phase, tc.x, diff)
	}
}

func TestPReLUCaffeFixtures(t *testing.T) { caffeFixtures(t, "PReLU") }
