package layers_test

import (
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of ELU (Caffe's test_neuron_layer.cpp).

// TestELUGradient is Caffe's gradient check of the layer, with its step, threshold,
// kink and mode.
func TestELUGradient(t *testing.T) {
	checkGradients(t, []gradCase{
		{"alpha0.5", `type: "ELU" elu_param { alpha: 0.5 }`, caffepb.Phase_TRAIN, kinkChecker, checkEltwise, neuronBottom},
		{"as_relu", `type: "ELU" elu_param { alpha: 0 }`, caffepb.Phase_TRAIN, kinkChecker, checkEltwise, neuronBottom},
		{"default", `type: "ELU"`, caffepb.Phase_TRAIN, kinkChecker, checkEltwise, neuronBottom},
		{"alpha2_wide", `type: "ELU" elu_param { alpha: 2 }`, caffepb.Phase_TRAIN, kinkChecker, checkEltwise, wideBottom},
	})
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

// TestELUInPlace: in place (top and bottom the same blob) as out of place, bit
// for bit, on a bottom large enough for the loops to be split over goroutines.
func TestELUInPlace(t *testing.T) {
	normal, _, diff := inPlaceBottoms()
	for _, tc := range []struct {
		name, text string
		phase      caffepb.Phase
		x          *blob.Blob
	}{
		{"elu", `type: "ELU" elu_param { alpha: 0.5 }`, caffepb.Phase_TRAIN, normal},
		{"elu_negative_alpha", `type: "ELU" elu_param { alpha: -0.5 }`, caffepb.Phase_TRAIN, normal},
	} {
		neuronInPlace(t, tc.name, tc.text, tc.phase, tc.x, diff)
	}
}

func TestELUCaffeFixtures(t *testing.T) { caffeFixtures(t, "ELU") }
