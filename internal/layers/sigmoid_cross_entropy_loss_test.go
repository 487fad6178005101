package layers_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// sigmoidCrossEntropyReference is the loss in its textbook form, in float64: the
// summed cross-entropy of σ(x) against t over the targets not equal to ignore (when
// hasIgnore), with the number of those targets.
func sigmoidCrossEntropyReference(x, t []float32, hasIgnore bool, ignore int) (sum float64, valid int) {
	for i := range x {
		if hasIgnore && int(t[i]) == ignore {
			continue
		}
		p := 1 / (1 + math.Exp(-float64(x[i])))
		ti := float64(t[i])
		sum -= ti*math.Log(p) + (1-ti)*math.Log(1-p)
		valid++
	}
	return sum, valid
}

// sigmoidCrossEntropyBottoms are Caffe's test inputs: N(0, 1) scores and U(0, 1)
// targets of shape (10, 5, 1, 1); with ignore, the first half of the targets is -1.
func sigmoidCrossEntropyBottoms(r *rng.Source, ignore bool) []*blob.Blob {
	x, t := gaussian(r, 0, 1, 10, 5, 1, 1), uniform(r, 0, 1, 10, 5, 1, 1)
	if ignore {
		for i := 0; i < t.Count()/2; i++ {
			t.Data[i] = -1
		}
	}
	return []*blob.Blob{x, t}
}

func TestSigmoidCrossEntropyLossGradient(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		ignore     bool
	}{
		{"default", `type: "SigmoidCrossEntropyLoss"`, false},
		{"ignore", `type: "SigmoidCrossEntropyLoss" loss_param { ignore_label: -1 }`, true},
		{"ignore_valid", `type: "SigmoidCrossEntropyLoss" loss_param { ignore_label: -1 normalization: VALID }`, true},
		{"full", `type: "SigmoidCrossEntropyLoss" loss_param { normalization: FULL }`, false},
		{"batch_size", `type: "SigmoidCrossEntropyLoss" loss_param { normalization: BATCH_SIZE }`, false},
		{"none", `type: "SigmoidCrossEntropyLoss" loss_param { normalization: NONE }`, false},
		{"legacy_normalize", `type: "SigmoidCrossEntropyLoss" loss_param { normalize: true ignore_label: -1 }`, true},
		{"legacy_unnormalized", `type: "SigmoidCrossEntropyLoss" loss_param { normalize: false }`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, sigmoidCrossEntropyBottoms(r, tc.ignore), 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkExhaustive, 0)
			checkLossWeight(t, l, 0)
		})
	}
}

// TestSigmoidCrossEntropyLossForward is Caffe's TestSigmoidCrossEntropyLoss (100
// random trials against the textbook formula) extended to every normalization.
func TestSigmoidCrossEntropyLossForward(t *testing.T) {
	const n, count = 10, 50
	for _, tc := range []struct {
		name, text string
		ignore     bool
		// divisor is what the summed loss is divided by, given the valid count.
		divisor func(valid int) float64
	}{
		// Unlike SoftmaxWithLoss, the default is the batch size (Caffe keeps the
		// layer's behaviour from before it had loss_param).
		{"default", `type: "SigmoidCrossEntropyLoss"`, false, func(int) float64 { return n }},
		{"default_ignore", `type: "SigmoidCrossEntropyLoss" loss_param { ignore_label: -1 }`, true, func(int) float64 { return n }},
		{"valid", `type: "SigmoidCrossEntropyLoss" loss_param { ignore_label: -1 normalization: VALID }`, true,
			func(v int) float64 { return float64(v) }},
		{"full", `type: "SigmoidCrossEntropyLoss" loss_param { ignore_label: -1 normalization: FULL }`, true,
			func(int) float64 { return count }},
		{"none", `type: "SigmoidCrossEntropyLoss" loss_param { normalization: NONE }`, false, func(int) float64 { return 1 }},
		{"legacy_true", `type: "SigmoidCrossEntropyLoss" loss_param { normalize: true ignore_label: -1 }`, true,
			func(v int) float64 { return float64(v) }},
		{"legacy_false", `type: "SigmoidCrossEntropyLoss" loss_param { normalize: false ignore_label: -1 }`, true,
			func(int) float64 { return n }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			for trial := 0; trial < 100; trial++ {
				bottom := sigmoidCrossEntropyBottoms(r, tc.ignore)
				l := setUp(t, tc.text, caffepb.Phase_TRAIN, bottom, 1)
				if err := l.Forward(l.Bottom, l.Top); err != nil {
					t.Fatal(err)
				}
				sum, valid := sigmoidCrossEntropyReference(bottom[0].Data, bottom[1].Data, tc.ignore, -1)
				want := sum / tc.divisor(valid)
				if got := float64(l.Top[0].Data[0]); !testutil.Close(got, want, 1e-6, 1e-5) {
					t.Fatalf("trial %d: loss %g, want %g", trial, got, want)
				}
			}
		})
	}
}

// TestSigmoidCrossEntropyLossIgnoreGradient is Caffe's TestIgnoreGradient: the
// ignored half of the targets gets no gradient, the other half does.
func TestSigmoidCrossEntropyLossIgnoreGradient(t *testing.T) {
	r := rng.New(1701)
	l := setUp(t, `type: "SigmoidCrossEntropyLoss" loss_param { ignore_label: -1 }`, caffepb.Phase_TRAIN,
		sigmoidCrossEntropyBottoms(r, true), 1)
	for i := range l.Bottom[0].Diff {
		l.Bottom[0].Diff[i] = 42 // Backward must overwrite, not add.
	}
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	l.Top[0].Diff[0] = 1
	l.Backward(l.Top, []bool{true, false}, l.Bottom)
	half := l.Bottom[0].Count() / 2
	for i := 0; i < half; i++ {
		if d := l.Bottom[0].Diff[i]; d != 0 {
			t.Fatalf("ignored element %d has gradient %g", i, d)
		}
		x, tgt := float64(l.Bottom[0].Data[half+i]), float64(l.Bottom[1].Data[half+i])
		want := (1/(1+math.Exp(-x)) - tgt) / 10
		if d := float64(l.Bottom[0].Diff[half+i]); d == 0 || !testutil.Close(d, want, 1e-7, 1e-5) {
			t.Fatalf("element %d has gradient %g, want %g", half+i, d, want)
		}
	}
}

// A sigmoid saturates, but the stable form of the loss must not overflow.
func TestSigmoidCrossEntropyLossExtremeScores(t *testing.T) {
	x, tg := blob.New(2, 2), blob.New(2, 2)
	copy(x.Data, []float32{100, -100, 100, -100})
	copy(tg.Data, []float32{1, 0, 0, 1})
	l := setUp(t, `type: "SigmoidCrossEntropyLoss" loss_param { normalization: NONE }`, caffepb.Phase_TRAIN,
		[]*blob.Blob{x, tg}, 1)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	// Right with certainty costs 0, wrong with certainty costs |x| each.
	if got := l.Top[0].Data[0]; got != 200 {
		t.Fatalf("loss %g, want 200", got)
	}
}

func TestSigmoidCrossEntropyLossErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		x, t []int
	}{
		{"count", []int{10, 5}, []int{10, 4}},
		{"batch", []int{10, 5}, []int{5, 10}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := newLayer(t, `type: "SigmoidCrossEntropyLoss"`, caffepb.Phase_TRAIN)
			err := layers.SetUp(l, []*blob.Blob{blob.New(tc.x...), blob.New(tc.t...)}, []*blob.Blob{blob.New()})
			if err == nil {
				t.Fatal("Setup accepted targets that do not match the scores")
			}
			if !strings.Contains(err.Error(), blob.ShapeString(tc.t)) {
				t.Fatalf("the error does not show the targets' shape: %v", err)
			}
		})
	}
}

func TestSigmoidCrossEntropyLossCaffeFixtures(t *testing.T) {
	caffeFixtures(t, "SigmoidCrossEntropyLoss")
}
