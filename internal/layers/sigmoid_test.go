package layers_test

import (
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Sigmoid (Caffe's test_neuron_layer.cpp).

// TestSigmoidGradient is Caffe's gradient check of the layer, with its step, threshold,
// kink and mode.
func TestSigmoidGradient(t *testing.T) {
	checkGradients(t, []gradCase{
		{"default", `type: "Sigmoid"`, caffepb.Phase_TRAIN, kinkChecker, checkEltwise, neuronBottom},
		{"wide", `type: "Sigmoid"`, caffepb.Phase_TRAIN, kinkChecker, checkEltwise, wideBottom},
	})
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

// TestSigmoidInPlace: in place (top and bottom the same blob) as out of place, bit
// for bit, on a bottom large enough for the loops to be split over goroutines.
func TestSigmoidInPlace(t *testing.T) {
	normal, _, diff := inPlaceBottoms()
	neuronInPlace(t, "sigmoid", `type: "Sigmoid"`, caffepb.Phase_TRAIN, normal, diff)
}

func TestSigmoidCaffeFixtures(t *testing.T) { caffeFixtures(t, "Sigmoid") }
