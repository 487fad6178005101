package layers_test

import (
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of BNLL (Caffe's test_neuron_layer.cpp).

// TestBNLLGradient is Caffe's gradient check of the layer, with its step, threshold,
// kink and mode.
func TestBNLLGradient(t *testing.T) {
	checkGradients(t, []gradCase{
		{"default", `type: "BNLL"`, caffepb.Phase_TRAIN, caffeChecker, checkEltwise, neuronBottom},
		{"wide", `type: "BNLL"`, caffepb.Phase_TRAIN, caffeChecker, checkEltwise, wideBottom},
	})
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

// TestBNLLInPlace: in place (top and bottom the same blob) as out of place, bit
// for bit, on a bottom large enough for the loops to be split over goroutines.
func TestBNLLInPlace(t *testing.T) {
	normal, _, diff := inPlaceBottoms()
	neuronInPlace(t, "bnll", `type: "BNLL"`, caffepb.Phase_TRAIN, normal, diff)
}

func TestBNLLCaffeFixtures(t *testing.T) { caffeFixtures(t, "BNLL") }
