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

// hingeBottoms are Caffe's test inputs: N(0, 10²) scores (10, 5, 1, 1) and labels in
// [0, 5).
func hingeBottoms(r *rng.Source) []*blob.Blob {
	return []*blob.Blob{gaussian(r, 0, 10, 10, 5, 1, 1), labels(r, 5, 10, 1, 1, 1)}
}

func TestHingeLossGradient(t *testing.T) {
	// L1 has kinks where a margin is 0, that is where a score is ±1: Caffe's test
	// skips |x| within 0.01 of 1 and compares to 2e-3.
	l1 := gradcheck.New(1e-2, 2e-3)
	l1.Kink, l1.KinkRange = 1, 0.01
	for _, tc := range []struct {
		name, text string
		checker    *gradcheck.Checker
	}{
		{"l1", `type: "HingeLoss"`, l1},
		{"l1_explicit", `type: "HingeLoss" hinge_loss_param { norm: L1 }`, l1},
		{"l2", `type: "HingeLoss" hinge_loss_param { norm: L2 }`, gradcheck.New(1e-2, 1e-2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, hingeBottoms(r), 1)
			checkGradient(t, l, tc.checker, checkExhaustive, 0)
			checkLossWeight(t, l, 0)
		})
	}
}

// hingeReference is the loss from its definition, in float64.
func hingeReference(x, label []float32, k int, l2 bool) float64 {
	n := len(label)
	var loss float64
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			sign := 1.0
			if j == int(label[i]) {
				sign = -1
			}
			m := math.Max(0, 1+sign*float64(x[i*k+j]))
			if l2 {
				m *= m
			}
			loss += m
		}
	}
	return loss / float64(n)
}

func TestHingeLossForward(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		l2         bool
		std        float32
	}{
		{"l1", `type: "HingeLoss"`, false, 10},
		{"l2", `type: "HingeLoss" hinge_loss_param { norm: L2 }`, true, 10},
		// Scores near the margins, so that many terms are partly active.
		{"l1_small", `type: "HingeLoss"`, false, 1},
		{"l2_small", `type: "HingeLoss" hinge_loss_param { norm: L2 }`, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			bottom := []*blob.Blob{gaussian(r, 0, tc.std, 10, 5), labels(r, 5, 10)}
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, bottom, 1)
			if err := l.Forward(l.Bottom, l.Top); err != nil {
				t.Fatal(err)
			}
			want := hingeReference(bottom[0].Data, bottom[1].Data, 5, tc.l2)
			if got := float64(l.Top[0].Data[0]); !testutil.Close(got, want, 1e-6, 1e-5) {
				t.Fatalf("loss %g, want %g", got, want)
			}
		})
	}
}

// A hand-worked case: one item, three classes, true class 1.
func TestHingeLossByHand(t *testing.T) {
	x, lab := blob.New(1, 3), blob.New(1)
	copy(x.Data, []float32{0.5, 0.25, -2})
	lab.Data[0] = 1
	for _, tc := range []struct {
		name, text string
		loss       float32
		grad       []float32
	}{
		// Margins: 1 + 0.5 = 1.5, 1 − 0.25 = 0.75, max(0, 1 − 2) = 0.
		{"l1", `type: "HingeLoss"`, 2.25, []float32{1, -1, 0}},
		{"l2", `type: "HingeLoss" hinge_loss_param { norm: L2 }`, 1.5*1.5 + 0.75*0.75, []float32{3, -1.5, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, []*blob.Blob{x, lab}, 1)
			if err := l.Forward(l.Bottom, l.Top); err != nil {
				t.Fatal(err)
			}
			if got := l.Top[0].Data[0]; got != tc.loss {
				t.Fatalf("loss %g, want %g", got, tc.loss)
			}
			l.Top[0].Diff[0] = 1
			l.Backward(l.Top, []bool{true, false}, l.Bottom)
			if err := testutil.CompareSlices(x.Diff, tc.grad, 0, 0); err != nil {
				t.Fatalf("gradient: %v", err)
			}
		})
	}
}

func TestHingeLossErrors(t *testing.T) {
	r := rng.New(1)
	l := setUp(t, `type: "HingeLoss"`, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 4, 3), labels(r, 3, 4)}, 1)
	for _, bad := range []float32{3, -1} {
		l.Bottom[1].Data[2] = bad
		err := l.Forward(l.Bottom, l.Top)
		if err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Fatalf("label %g of 3 classes: error %v", bad, err)
		}
	}

	l2, _ := newLayer(t, `type: "HingeLoss"`, caffepb.Phase_TRAIN)
	if err := layers.SetUp(l2, []*blob.Blob{blob.New(4, 3), blob.New(4, 2)}, []*blob.Blob{blob.New()}); err == nil ||
		!strings.Contains(err.Error(), "4 2 (8)") {
		t.Fatalf("two labels per item: error %v", err)
	}
}

func TestHingeLossCaffeFixtures(t *testing.T) { caffeFixtures(t, "HingeLoss") }
