package layers_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Log (Caffe's test_neuron_layer.cpp).

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

// TestLogGradient runs Caffe's Log parameter sets: (base, scale, shift), base −1
// meaning e.
func TestLogGradient(t *testing.T) {
	var cases []gradCase
	for _, s := range [][3]float32{{-1, 1, 0}, {2, 1, 0}, {2, 1, 1}, {2, 3, 0}, {2, 3, 1}} {
		cases = append(cases, gradCase{fmt.Sprintf("base%g_scale%g_shift%g", s[0], s[1], s[2]),
			fmt.Sprintf(`type: "Log" log_param { base: %g scale: %g shift: %g }`, s[0], s[1], s[2]),
			caffepb.Phase_TRAIN, func() *gradcheck.Checker { return gradcheck.New(1e-2, 1e-2) }, checkEltwise, expBottom})
	}
	checkGradients(t, cases)
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

func TestLogBadBase(t *testing.T) {
	refused(t, `type: "Log" log_param { base: 0 }`, `type: "Log" log_param { base: -0.5 }`, `type: "Log" log_param { base: 1 }`)
}

// TestLogInPlace: in place (top and bottom the same blob) as out of place, bit
// for bit, on a bottom large enough for the loops to be split over goroutines.
func TestLogInPlace(t *testing.T) {
	_, positive, diff := inPlaceBottoms()
	neuronInPlace(t, "log", `type: "Log" log_param { base: 10 scale: 2 shift: 0.5 }`, caffepb.Phase_TRAIN, positive, diff)
}

func TestLogCaffeFixtures(t *testing.T) { caffeFixtures(t, "Log") }
