package layers_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Power (Caffe's test_power_layer.cpp).

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

// TestPowerGradient runs Caffe's Power sets (power, scale, shift), then those of the
// fixtures.
func TestPowerGradient(t *testing.T) {
	powerChecker := func() *gradcheck.Checker { return kinked(1e-3, 1e-2, 0.01) }
	var cases []gradCase
	for _, s := range [][3]float32{{0.37, 0.83, -2.4}, {0.37, 0.83, 0}, {0, 0.83, -2.4}, {1, 0.83, -2.4},
		{2, 0.83, -2.4}, {2, 0.5, -2.4}, {0.5, 1, 0}, {3, 2, -0.5}} {
		cases = append(cases, gradCase{
			fmt.Sprintf("power%g_scale%g_shift%g", s[0], s[1], s[2]),
			fmt.Sprintf(`type: "Power" power_param { power: %g scale: %g shift: %g }`, s[0], s[1], s[2]),
			caffepb.Phase_TRAIN, powerChecker, checkEltwise, func() *blob.Blob { return powerBottom(s[0], s[1], s[2]) }})
	}
	checkGradients(t, cases)
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

// TestPowerInPlace: in place (top and bottom the same blob) as out of place, bit
// for bit, on a bottom large enough for the loops to be split over goroutines.
func TestPowerInPlace(t *testing.T) {
	normal, positive, diff := inPlaceBottoms()
	for _, tc := range []struct {
		name, text string
		phase      caffepb.Phase
		x          *blob.Blob
	}{
		{"power", `type: "Power" power_param { power: 0.37 scale: 0.83 }`, caffepb.Phase_TRAIN, positive},
		{"power2", `type: "Power" power_param { power: 2 scale: 0.5 shift: -2.4 }`, caffepb.Phase_TRAIN, normal},
		{"power0", `type: "Power" power_param { power: 0 }`, caffepb.Phase_TRAIN, normal},
	} {
		neuronInPlace(t, tc.name, tc.text, tc.phase, tc.x, diff)
	}
}

func TestPowerCaffeFixtures(t *testing.T) { caffeFixtures(t, "Power") }
