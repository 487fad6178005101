package layers_test

import (
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of AbsVal (Caffe's test_neuron_layer.cpp).

// TestAbsValGradient is Caffe's gradient check of the layer, with its step, threshold,
// kink and mode.
func TestAbsValGradient(t *testing.T) {
	checkGradients(t, []gradCase{
		{"default", `type: "AbsVal"`, caffepb.Phase_TRAIN, kinkChecker, checkEltwise, neuronBottom},
		{"wide", `type: "AbsVal"`, caffepb.Phase_TRAIN, kinkChecker, checkEltwise, wideBottom},
	})
}

func TestAbsValForward(t *testing.T) {
	l := forwardOnce(t, `type: "AbsVal"`, caffepb.Phase_TRAIN, neuronBottom())
	compareForward(t, l, 0, 0, math.Abs)
}

// TestAbsValInPlace: in place (top and bottom the same blob) as out of place, bit
// for bit, on a bottom large enough for the loops to be split over goroutines.
func TestAbsValInPlace(t *testing.T) {
	normal, _, diff := inPlaceBottoms()
	neuronInPlace(t, "absval", `type: "AbsVal"`, caffepb.Phase_TRAIN, normal, diff)
}

func TestAbsValCaffeFixtures(t *testing.T) { caffeFixtures(t, "AbsVal") }
