package layers_test

import (
	"fmt"
	"math"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Caffe's neuron layers (test_neuron_layer.cpp, test_power_layer.cpp)
// and Dropout: gradient checks with Caffe's step, threshold, kink and mode over
// several parameter sets, forward values against float64 maths, and in place against
// out of place.

// neuronBottom is the bottom of Caffe's neuron tests: 2×3×4×5 standard normal draws.
func neuronBottom() *blob.Blob { return gaussian(rng.New(1701), 0, 1, 2, 3, 4, 5) }

// wideBottom is a second bottom for layers without parameters: two axes and a wider
// spread, so that tails and a different shape are checked too.
func wideBottom() *blob.Blob { return gaussian(rng.New(42), 0, 3, 4, 6) }

// expBottom is the bottom of Caffe's Log tests (LogBottomInit): e to standard normal
// draws, the second fill of the test's source after neuronBottom's.
func expBottom() *blob.Blob {
	r := rng.New(1701)
	gaussian(r, 0, 1, 2, 3, 4, 5)
	b := gaussian(r, 0, 1, 2, 3, 4, 5)
	for i, v := range b.Data {
		b.Data[i] = cmath.Expf(v)
	}
	return b
}

// powerBottom is the bottom of Caffe's Power gradient tests: for powers other than 0,
// 1 and 2, values below −shift/scale are reflected about it so that shift + scale·x
// is not negative (where a fractional power is NaN).
func powerBottom(power, scale, shift float32) *blob.Blob {
	b := neuronBottom()
	if power == 0 || power == 1 || power == 2 {
		return b
	}
	least := -shift / scale
	for i, v := range b.Data {
		if v < least {
			b.Data[i] = least + (least - v)
		}
	}
	return b
}

func TestNeuronGradients(t *testing.T) {
	caffe := func() *gradcheck.Checker { return gradcheck.New(1e-2, 1e-3) }
	kink := func() *gradcheck.Checker { return kinked(1e-2, 1e-3, 0.01) }
	type gradCase struct {
		name, text string
		phase      caffepb.Phase
		checker    func() *gradcheck.Checker
		mode       gradMode
		bottom     func() *blob.Blob
	}
	cases := []gradCase{
		{"absval", `type: "AbsVal"`, caffepb.Phase_TRAIN, kink, checkEltwise, neuronBottom},
		{"absval_wide", `type: "AbsVal"`, caffepb.Phase_TRAIN, kink, checkEltwise, wideBottom},
		{"sigmoid", `type: "Sigmoid"`, caffepb.Phase_TRAIN, kink, checkEltwise, neuronBottom},
		{"sigmoid_wide", `type: "Sigmoid"`, caffepb.Phase_TRAIN, kink, checkEltwise, wideBottom},
		{"tanh", `type: "TanH"`, caffepb.Phase_TRAIN, caffe, checkEltwise, neuronBottom},
		{"tanh_wide", `type: "TanH"`, caffepb.Phase_TRAIN, caffe, checkEltwise, wideBottom},
		{"bnll", `type: "BNLL"`, caffepb.Phase_TRAIN, caffe, checkEltwise, neuronBottom},
		{"bnll_wide", `type: "BNLL"`, caffepb.Phase_TRAIN, caffe, checkEltwise, wideBottom},
		{"elu_alpha0.5", `type: "ELU" elu_param { alpha: 0.5 }`, caffepb.Phase_TRAIN, kink, checkEltwise, neuronBottom},
		{"elu_as_relu", `type: "ELU" elu_param { alpha: 0 }`, caffepb.Phase_TRAIN, kink, checkEltwise, neuronBottom},
		{"elu_default", `type: "ELU"`, caffepb.Phase_TRAIN, kink, checkEltwise, neuronBottom},
		{"elu_alpha2_wide", `type: "ELU" elu_param { alpha: 2 }`, caffepb.Phase_TRAIN, kink, checkEltwise, wideBottom},
		{"dropout_train", `type: "Dropout"`, caffepb.Phase_TRAIN, caffe, checkEltwise, neuronBottom},
		{"dropout_train_0.75", `type: "Dropout" dropout_param { dropout_ratio: 0.75 }`, caffepb.Phase_TRAIN, caffe, checkEltwise, neuronBottom},
		{"dropout_train_0.2_wide", `type: "Dropout" dropout_param { dropout_ratio: 0.2 }`, caffepb.Phase_TRAIN, caffe, checkEltwise, wideBottom},
		{"dropout_test", `type: "Dropout"`, caffepb.Phase_TEST, caffe, checkEltwise, neuronBottom},
		{"prelu", `type: "PReLU" prelu_param { filler { type: "gaussian" } }`, caffepb.Phase_TRAIN, kink, checkExhaustive, neuronBottom},
		{"prelu_channel_shared", `type: "PReLU" prelu_param { channel_shared: true }`, caffepb.Phase_TRAIN, kink, checkExhaustive, neuronBottom},
		{"prelu_channel_shared_gaussian", `type: "PReLU" prelu_param { channel_shared: true filler { type: "gaussian" } }`, caffepb.Phase_TRAIN, kink, checkExhaustive, neuronBottom},
		{"prelu_2axes", `type: "PReLU" prelu_param { filler { type: "uniform" min: -1 max: 1 } }`, caffepb.Phase_TRAIN, kink, checkExhaustive, wideBottom},
	}
	// Caffe's Exp and Log sets: (base, scale, shift), base −1 meaning e; the last Exp
	// set is e with a shift, where Caffe once took (−1)^shift.
	for _, s := range [][3]float32{{-1, 1, 0}, {2, 1, 0}, {2, 1, 1}, {2, 3, 0}, {2, 3, 1}, {-1, 0.5, 1}} {
		params := fmt.Sprintf("base: %g scale: %g shift: %g", s[0], s[1], s[2])
		name := fmt.Sprintf("base%g_scale%g_shift%g", s[0], s[1], s[2])
		cases = append(cases, gradCase{"exp_" + name, `type: "Exp" exp_param { ` + params + ` }`,
			caffepb.Phase_TRAIN, caffe, checkEltwise, neuronBottom})
		if s != [3]float32{-1, 0.5, 1} {
			cases = append(cases, gradCase{"log_" + name, `type: "Log" log_param { ` + params + ` }`,
				caffepb.Phase_TRAIN, func() *gradcheck.Checker { return gradcheck.New(1e-2, 1e-2) }, checkEltwise, expBottom})
		}
	}
	// Caffe's Power sets (power, scale, shift), then those of the fixtures.
	powerChecker := func() *gradcheck.Checker { return kinked(1e-3, 1e-2, 0.01) }
	for _, s := range [][3]float32{{0.37, 0.83, -2.4}, {0.37, 0.83, 0}, {0, 0.83, -2.4}, {1, 0.83, -2.4},
		{2, 0.83, -2.4}, {2, 0.5, -2.4}, {0.5, 1, 0}, {3, 2, -0.5}} {
		cases = append(cases, gradCase{
			fmt.Sprintf("power%g_scale%g_shift%g", s[0], s[1], s[2]),
			fmt.Sprintf(`type: "Power" power_param { power: %g scale: %g shift: %g }`, s[0], s[1], s[2]),
			caffepb.Phase_TRAIN, powerChecker, checkEltwise, func() *blob.Blob { return powerBottom(s[0], s[1], s[2]) }})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := setUp(t, tc.text, tc.phase, []*blob.Blob{tc.bottom()}, 1)
			checkGradient(t, l, tc.checker(), tc.mode, gradcheck.AllBottoms)
		})
	}
}

// forwardOnce sets up the layer on bottom and runs its forward.
func forwardOnce(t *testing.T, text string, phase caffepb.Phase, bottom *blob.Blob) *testLayer {
	t.Helper()
	l := setUp(t, text, phase, []*blob.Blob{bottom}, 1)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	return l
}

// compareForward checks every top value against want(x) computed in float64.
func compareForward(t *testing.T, l *testLayer, atol, rtol float64, want func(x float64) float64) {
	t.Helper()
	for i, x := range l.Bottom[0].Data {
		got, w := float64(l.Top[0].Data[i]), want(float64(x))
		if !testutil.Close(got, w, atol, rtol) {
			t.Fatalf("x = %g: y = %g, want %g", x, got, w)
		}
	}
}

// extremes are inputs far out on both sides, where a careless e^x overflows.
var extremes = []float32{-1e4, -100, -50, -20, -1, 0, 1, 20, 50, 100, 1e4}

func extremeBottom() *blob.Blob {
	b := blob.New(len(extremes))
	copy(b.Data, extremes)
	return b
}

func TestAbsValForward(t *testing.T) {
	l := forwardOnce(t, `type: "AbsVal"`, caffepb.Phase_TRAIN, neuronBottom())
	compareForward(t, l, 0, 0, math.Abs)
}

func TestSigmoidForward(t *testing.T) {
	for _, b := range []*blob.Blob{neuronBottom(), extremeBottom()} {
		l := forwardOnce(t, `type: "Sigmoid"`, caffepb.Phase_TRAIN, b)
		compareForward(t, l, 1e-7, 1e-6, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) })
		for _, y := range l.Top[0].Data {
			if !(y >= 0 && y <= 1) {
				t.Fatalf("sigmoid %g outside [0, 1]", y)
			}
		}
	}
}

func TestTanHForward(t *testing.T) {
	for _, b := range []*blob.Blob{neuronBottom(), extremeBottom()} {
		l := forwardOnce(t, `type: "TanH"`, caffepb.Phase_TRAIN, b)
		compareForward(t, l, 1e-7, 1e-6, math.Tanh)
	}
}

// softplusRef is log(1 + eˣ) in float64, computed without overflow.
func softplusRef(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }

func TestBNLLForward(t *testing.T) {
	for _, b := range []*blob.Blob{neuronBottom(), extremeBottom()} {
		l := forwardOnce(t, `type: "BNLL"`, caffepb.Phase_TRAIN, b)
		// Caffe's log(1 + e^x) loses values below 1e-16 or so: hence the atol.
		compareForward(t, l, 1e-7, 1e-6, softplusRef)
		for i, y := range l.Top[0].Data {
			if x := l.Bottom[0].Data[i]; !(y >= 0 && y >= x) || math.IsInf(float64(y), 0) {
				t.Fatalf("BNLL(%g) = %g: want finite, >= 0 and >= x", x, y)
			}
		}
	}
}

func TestBNLLBackwardFarOut(t *testing.T) {
	l := forwardOnce(t, `type: "BNLL"`, caffepb.Phase_TRAIN, extremeBottom())
	for i := range l.Top[0].Diff {
		l.Top[0].Diff[i] = 1
	}
	l.Backward(l.Top, []bool{true}, l.Bottom)
	for i, x := range l.Bottom[0].Data {
		want := 1 / (1 + math.Exp(-float64(x)))
		if got := float64(l.Bottom[0].Diff[i]); !testutil.Close(got, want, 1e-7, 1e-6) {
			t.Fatalf("dBNLL/dx at %g = %g, want %g", x, got, want)
		}
	}
}

func TestExpForward(t *testing.T) {
	for _, s := range [][3]float64{{-1, 1, 0}, {2, 1, 0}, {2, 1, 1}, {2, 3, 0}, {2, 3, 1}, {-1, 0.5, 1}, {10, -0.5, 2}} {
		base, scale, shift := s[0], s[1], s[2]
		t.Run(fmt.Sprintf("base%g_scale%g_shift%g", base, scale, shift), func(t *testing.T) {
			l := forwardOnce(t, fmt.Sprintf(`type: "Exp" exp_param { base: %g scale: %g shift: %g }`, base, scale, shift),
				caffepb.Phase_TRAIN, neuronBottom())
			compareForward(t, l, 1e-6, 1e-5, func(x float64) float64 {
				if base == -1 {
					return math.Exp(shift + scale*x)
				}
				return math.Pow(base, shift+scale*x)
			})
		})
	}
}

func TestLogForward(t *testing.T) {
	for _, s := range [][3]float64{{-1, 1, 0}, {2, 1, 0}, {2, 1, 1}, {2, 3, 0}, {2, 3, 1}, {10, 2, 0.5}} {
		base, scale, shift := s[0], s[1], s[2]
		t.Run(fmt.Sprintf("base%g_scale%g_shift%g", base, scale, shift), func(t *testing.T) {
			l := forwardOnce(t, fmt.Sprintf(`type: "Log" log_param { base: %g scale: %g shift: %g }`, base, scale, shift),
				caffepb.Phase_TRAIN, expBottom())
			compareForward(t, l, 1e-6, 1e-5, func(x float64) float64 {
				if base == -1 {
					return math.Log(shift + scale*x)
				}
				return math.Log(shift+scale*x) / math.Log(base)
			})
		})
	}
}

func TestExpLogBadBase(t *testing.T) {
	for _, text := range []string{
		`type: "Exp" exp_param { base: 0 }`, `type: "Exp" exp_param { base: -2 }`, `type: "Exp" exp_param { base: inf }`,
		`type: "Log" log_param { base: 0 }`, `type: "Log" log_param { base: -0.5 }`, `type: "Log" log_param { base: 1 }`,
	} {
		p := &caffepb.LayerParameter{}
		if err := prototext.Unmarshal([]byte(text), p); err != nil {
			t.Fatal(err)
		}
		if _, err := layers.New(p, nil); err == nil {
			t.Errorf("%s: accepted", text)
		}
	}
}

func TestPowerForward(t *testing.T) {
	// Caffe's sets, then the fixtures'.
	for _, s := range [][3]float32{{0.37, 0.83, -2.4}, {0, 0.83, -2.4}, {1, 0.83, -2.4}, {2, 0.34, -2.4},
		{0.5, 1, 0}, {3, 2, -0.5}, {1.5, 0, 2}} {
		power, scale, shift := s[0], s[1], s[2]
		t.Run(fmt.Sprintf("power%g_scale%g_shift%g", power, scale, shift), func(t *testing.T) {
			l := forwardOnce(t, fmt.Sprintf(`type: "Power" power_param { power: %g scale: %g shift: %g }`, power, scale, shift),
				caffepb.Phase_TRAIN, neuronBottom())
			for i, x := range l.Bottom[0].Data {
				y := float64(l.Top[0].Data[i])
				want := math.Pow(float64(shift+scale*x), float64(power))
				if power == 0 || power == 1 || power == 2 {
					if math.IsNaN(y) {
						t.Fatalf("x = %g: y is NaN", x)
					}
				}
				// Caffe's precision: 1e-4 relative, at least 1e-5; NaN where the maths is.
				if !testutil.Close(y, want, 1e-5, 1e-4) {
					t.Fatalf("x = %g: y = %g, want %g", x, y, want)
				}
			}
		})
	}
}

func TestELUForward(t *testing.T) {
	l := forwardOnce(t, `type: "ELU" elu_param { alpha: 0.5 }`, caffepb.Phase_TRAIN, neuronBottom())
	for i, x := range l.Bottom[0].Data {
		y := l.Top[0].Data[i]
		if x > 0 && y != x {
			t.Fatalf("ELU(%g) = %g, want x", x, y)
		}
		if want := 0.5 * math.Expm1(float64(x)); x <= 0 && !testutil.Close(float64(y), want, 1e-7, 1e-6) {
			t.Fatalf("ELU(%g) = %g, want %g", x, y, want)
		}
	}
	// With α = 0 it is a ReLU.
	l = forwardOnce(t, `type: "ELU" elu_param { alpha: 0 }`, caffepb.Phase_TRAIN, neuronBottom())
	for i, x := range l.Bottom[0].Data {
		if y := l.Top[0].Data[i]; y != max(x, 0) {
			t.Fatalf("ELU as ReLU(%g) = %g", x, y)
		}
	}
}

func TestThresholdForward(t *testing.T) {
	for _, th := range []float32{0, 0.2, -0.5} {
		l := forwardOnce(t, fmt.Sprintf(`type: "Threshold" threshold_param { threshold: %g }`, th), caffepb.Phase_TRAIN, neuronBottom())
		ones := 0
		for i, x := range l.Bottom[0].Data {
			y := l.Top[0].Data[i]
			if y != 0 && y != 1 {
				t.Fatalf("threshold output %g, want 0 or 1", y)
			}
			if (y == 1) != (x > th) {
				t.Fatalf("threshold %g: x = %g gave %g", th, x, y)
			}
			ones += int(y)
		}
		if ones == 0 || ones == len(l.Top[0].Data) {
			t.Fatalf("threshold %g: %d ones of %d, the inputs should fall on both sides", th, ones, len(l.Top[0].Data))
		}
		// Like Caffe's, the layer gives no gradient: the net must not ask for one...
		if g, ok := l.Layer.(layers.BackwardGate); !ok || g.AllowForceBackward(0) {
			t.Fatal("Threshold lets the net ask for its bottom's gradient")
		}
		// ...and should anything ask, the step's gradient is 0 and overwrites the old one.
		for i := range l.Bottom[0].Diff {
			l.Bottom[0].Diff[i], l.Top[0].Diff[i] = 7, 1
		}
		l.Backward(l.Top, []bool{true}, l.Bottom)
		for _, d := range l.Bottom[0].Diff {
			if d != 0 {
				t.Fatalf("threshold backward left %g", d)
			}
		}
	}
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

// dropoutForward is Caffe's TestDropoutForward: in TRAIN every output is 0 or the
// input times 1/(1 − p), and the share of zeros is within 1.96 standard errors of p.
func dropoutForward(t *testing.T, text string, ratio float64) {
	l := forwardOnce(t, text, caffepb.Phase_TRAIN, neuronBottom())
	scale := float32(1 / (1 - ratio))
	x, y := l.Bottom[0].Data, l.Top[0].Data
	kept := 0
	for i := range y {
		if y[i] != 0 {
			kept++
			if y[i] != x[i]*scale {
				t.Fatalf("kept y[%d] = %g, want %g·%g", i, y[i], x[i], scale)
			}
		}
	}
	count := float64(len(y))
	stdErr := math.Sqrt(ratio * (1 - ratio) / count)
	if empirical := 1 - float64(kept)/count; math.Abs(empirical-ratio) > 1.96*stdErr {
		t.Fatalf("dropped %.3f of the inputs, want %g ± %.3f", empirical, ratio, 1.96*stdErr)
	}
	// Backward drops the same elements and scales the rest alike.
	for i := range l.Top[0].Diff {
		l.Top[0].Diff[i] = float32(i + 1)
	}
	l.Backward(l.Top, []bool{true}, l.Bottom)
	for i, d := range l.Bottom[0].Diff {
		want := float32(0)
		if y[i] != 0 {
			want = float32(i+1) * scale
		}
		if d != want {
			t.Fatalf("dx[%d] = %g, want %g", i, d, want)
		}
	}
}

func TestDropoutHalf(t *testing.T) { dropoutForward(t, `type: "Dropout"`, 0.5) }

func TestDropoutThreeQuarters(t *testing.T) {
	dropoutForward(t, `type: "Dropout" dropout_param { dropout_ratio: 0.75 }`, 0.75)
}

func TestDropoutTestPhase(t *testing.T) {
	l := forwardOnce(t, `type: "Dropout"`, caffepb.Phase_TEST, neuronBottom())
	for i := range l.Top[0].Diff {
		l.Top[0].Diff[i] = float32(i)
	}
	l.Backward(l.Top, []bool{true}, l.Bottom)
	for i, x := range l.Bottom[0].Data {
		if l.Top[0].Data[i] != x || l.Bottom[0].Diff[i] != float32(i) {
			t.Fatalf("TEST phase: y %g for x %g, dx %g for dy %d", l.Top[0].Data[i], x, l.Bottom[0].Diff[i], i)
		}
	}
}

// TestDropoutMaskFromRNG checks that each TRAIN forward draws a new mask from the
// layer's random source, and the same mask again once that source is reseeded.
func TestDropoutMaskFromRNG(t *testing.T) {
	l := setUp(t, `type: "Dropout"`, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(rng.New(1), 1, 0.1, 1000)}, 1)
	forward := func() []float32 {
		if err := l.Forward(l.Bottom, l.Top); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), l.Top[0].Data...)
	}
	l.RNG.Seed(9)
	a, b := forward(), forward()
	l.RNG.Seed(9)
	c := forward()
	differ := false
	for i := range a {
		differ = differ || (a[i] == 0) != (b[i] == 0)
		if a[i] != c[i] {
			t.Fatalf("after reseeding, y[%d] = %g, was %g", i, c[i], a[i])
		}
	}
	if !differ {
		t.Fatal("two forwards drew the same mask")
	}
}

func TestDropoutBadRatio(t *testing.T) {
	for _, ratio := range []string{"1", "1.5", "-0.1", "nan"} {
		p := &caffepb.LayerParameter{}
		if err := prototext.Unmarshal([]byte(`type: "Dropout" dropout_param { dropout_ratio: `+ratio+` }`), p); err != nil {
			t.Fatal(err)
		}
		if _, err := layers.New(p, nil); err == nil {
			t.Errorf("dropout_ratio %s accepted", ratio)
		}
	}
}

// TestNeuronInPlace runs each layer out of place and in place (top and bottom the same
// blob, as a prototxt with top == bottom makes it) on the same input and top gradient:
// outputs and gradients must agree bit for bit. The bottom is large enough for the
// loops to be split over goroutines.
func TestNeuronInPlace(t *testing.T) {
	r := rng.New(11)
	normal := gaussian(r, 0, 2, 4, 8, 32, 32)
	positive := blob.New(normal.Shape()...)
	for i, v := range normal.Data {
		positive.Data[i] = float32(math.Exp(float64(v) / 2))
	}
	diff := gaussian(r, 0, 1, normal.Shape()...).Data
	for _, tc := range []struct {
		name, text string
		phase      caffepb.Phase
		x          *blob.Blob
	}{
		{"absval", `type: "AbsVal"`, caffepb.Phase_TRAIN, normal},
		{"bnll", `type: "BNLL"`, caffepb.Phase_TRAIN, normal},
		{"elu", `type: "ELU" elu_param { alpha: 0.5 }`, caffepb.Phase_TRAIN, normal},
		{"elu_negative_alpha", `type: "ELU" elu_param { alpha: -0.5 }`, caffepb.Phase_TRAIN, normal},
		{"exp", `type: "Exp" exp_param { base: 2 scale: 0.5 shift: 1 }`, caffepb.Phase_TRAIN, normal},
		{"log", `type: "Log" log_param { base: 10 scale: 2 shift: 0.5 }`, caffepb.Phase_TRAIN, positive},
		{"power", `type: "Power" power_param { power: 0.37 scale: 0.83 }`, caffepb.Phase_TRAIN, positive},
		{"power2", `type: "Power" power_param { power: 2 scale: 0.5 shift: -2.4 }`, caffepb.Phase_TRAIN, normal},
		{"power0", `type: "Power" power_param { power: 0 }`, caffepb.Phase_TRAIN, normal},
		{"prelu", `type: "PReLU" prelu_param { filler { type: "gaussian" } }`, caffepb.Phase_TRAIN, normal},
		{"prelu_shared", `type: "PReLU" prelu_param { channel_shared: true }`, caffepb.Phase_TRAIN, normal},
		{"sigmoid", `type: "Sigmoid"`, caffepb.Phase_TRAIN, normal},
		{"tanh", `type: "TanH"`, caffepb.Phase_TRAIN, normal},
		{"threshold", `type: "Threshold" threshold_param { threshold: 0.3 }`, caffepb.Phase_TRAIN, normal},
		{"dropout_train", `type: "Dropout" dropout_param { dropout_ratio: 0.3 }`, caffepb.Phase_TRAIN, normal},
		{"dropout_test", `type: "Dropout"`, caffepb.Phase_TEST, normal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Out of place.
			x := blob.New(tc.x.Shape()...)
			copy(x.Data, tc.x.Data)
			out := setUp(t, tc.text, tc.phase, []*blob.Blob{x}, 1)
			out.Forward(out.Bottom, out.Top)
			copy(out.Top[0].Diff, diff)
			out.Backward(out.Top, []bool{true}, out.Bottom)

			// In place, on a fresh layer with the same random source.
			io := blob.New(tc.x.Shape()...)
			copy(io.Data, tc.x.Data)
			in, _ := newLayer(t, tc.text, tc.phase)
			blobs := []*blob.Blob{io}
			if err := layers.SetUp(in, blobs, blobs); err != nil {
				t.Fatal(err)
			}
			in.Forward(blobs, blobs)
			for i, v := range io.Data {
				if w := out.Top[0].Data[i]; v != w && !(v != v && w != w) {
					t.Fatalf("y[%d]: in place %g, out of place %g", i, v, w)
				}
			}
			copy(io.Diff, diff)
			in.Backward(blobs, []bool{true}, blobs)
			for i, v := range io.Diff {
				if w := out.Bottom[0].Diff[i]; v != w && !(v != v && w != w) {
					t.Fatalf("dx[%d] at x = %g: in place %g, out of place %g", i, tc.x.Data[i], v, w)
				}
			}
			for p := range in.Params() {
				for i, v := range in.Params()[p].Diff {
					if w := out.Params()[p].Diff[i]; v != w {
						t.Fatalf("param %d diff[%d]: in place %g, out of place %g", p, i, v, w)
					}
				}
			}
		})
	}
}

// TestDropoutCaffeMask: the TRAIN mask is Caffe's caffe_rng_bernoulli(count,
// 1. - ratio, mask) on the net's source — for ratio 0.5 and seed 1701 the first 64
// keep bits Boost 1.74 draws (rng's testdata/boost_1_74.txt) — and a dropped input
// is multiplied by 0, as in Caffe, so a dropped negative value is −0.
func TestDropoutCaffeMask(t *testing.T) {
	boost := "1010001001001110000110111011011001100101000000111000011000100111"
	l := setUp(t, `type: "Dropout"`, caffepb.Phase_TRAIN, []*blob.Blob{neuronBottom()}, 1)
	l.RNG.Seed(1701)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	negZero := 0
	for i, x := range l.Bottom[0].Data[:len(boost)] {
		y := l.Top[0].Data[i]
		want := x * 2
		if boost[i] == '0' {
			want = x * 0
		}
		if math.Float32bits(y) != math.Float32bits(want) {
			t.Fatalf("y[%d] = %g for x = %g, want %g (Boost's mask bit %c)", i, y, x, want, boost[i])
		}
		if math.Float32bits(y) == 0x80000000 {
			negZero++
		}
	}
	if negZero == 0 {
		t.Error("no dropped negative input gave -0")
	}
}
