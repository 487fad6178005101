package layers_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Exp (Caffe's test_neuron_layer.cpp).

// TestExpGradient runs Caffe's Exp parameter sets: (base, scale, shift), base −1
// meaning e; the last is e with a shift, where Caffe once took (−1)^shift.
func TestExpGradient(t *testing.T) {
	var cases []gradCase
	for _, s := range [][3]float32{{-1, 1, 0}, {2, 1, 0}, {2, 1, 1}, {2, 3, 0}, {2, 3, 1}, {-1, 0.5, 1}} {
		cases = append(cases, gradCase{fmt.Sprintf("base%g_scale%g_shift%g", s[0], s[1], s[2]),
			fmt.Sprintf(`type: "Exp" exp_param { base: %g scale: %g shift: %g }`, s[0], s[1], s[2]),
			caffepb.Phase_TRAIN, caffeChecker, checkEltwise, neuronBottom})
	}
	checkGradients(t, cases)
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

func TestExpBadBase(t *testing.T) {
	refused(t, `type: "Exp" exp_param { base: 0 }`, `type: "Exp" exp_param { base: -2 }`, `type: "Exp" exp_param { base: inf }`)
}

// TestExpInPlace: in place (top and bottom the same blob) as out of place, bit
// for bit, on a bottom large enough for the loops to be split over goroutines.
func TestExpInPlace(t *testing.T) {
	normal, _, diff := inPlaceBottoms()
	neuronInPlace(t, "exp", `type: "Exp" exp_param { base: 2 scale: 0.5 shift: 1 }`, caffepb.Phase_TRAIN, normal, diff)
}

func TestExpCaffeFixtures(t *testing.T) { caffeFixtures(t, "Exp") }
