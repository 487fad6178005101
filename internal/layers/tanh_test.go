package layers_test

import (
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of TanH (Caffe's test_neuron_layer.cpp).

// TestTanHGradient is Caffe's gradient check of the layer, with its step, threshold,
// kink and mode.
func TestTanHGradient(t *testing.T) {
	checkGradients(t, []gradCase{
		{"default", `type: "TanH"`, caffepb.Phase_TRAIN, caffeChecker, checkEltwise, neuronBottom},
		{"wide", `type: "TanH"`, caffepb.Phase_TRAIN, caffeChecker, checkEltwise, wideBottom},
	})
}

func TestTanHForward(t *testing.T) {
	for _, b := range []*blob.Blob{neuronBottom(), extremeBottom()} {
		l := forwardOnce(t, `type: "TanH"`, caffepb.Phase_TRAIN, b)
		compareForward(t, l, 1e-7, 1e-6, math.Tanh)
	}
}

// TestTanHInPlace: in place (top and bottom the same blob) as out of place, bit
// for bit, on a bottom large enough for the loops to be split over goroutines.
func TestTanHInPlace(t *testing.T) {
	normal, _, diff := inPlaceBottoms()
	neuronInPlace(t, "tanh", `type: "TanH"`, caffepb.Phase_TRAIN, normal, diff)
}

func TestTanHCaffeFixtures(t *testing.T) { caffeFixtures(t, "TanH") }
