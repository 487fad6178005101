package layers

import (
	"math"
	"testing"
)

// TestNegPow: the square-root shortcuts give the float32 that math.Pow gives.
func TestNegPow(t *testing.T) {
	for _, beta := range []float32{0.75, 0.5, 1, 0.6, 2} {
		for i := 0; i < 200000; i++ {
			// From 1e-6 to about 1e6, spread evenly in the exponent.
			x := float32(math.Pow(10, -6+12*float64(i)/200000))
			want := float32(math.Pow(float64(x), -float64(beta)))
			got := negPow(beta).of(x)
			if got != want {
				t.Fatalf("β %g: %g^−β = %g, math.Pow gives %g", beta, x, got, want)
			}
		}
		for _, x := range []float32{0, -1, float32(math.Inf(1))} {
			want := float32(math.Pow(float64(x), -float64(beta)))
			got := negPow(beta).of(x)
			if !(got == want || math.IsNaN(float64(got)) && math.IsNaN(float64(want))) {
				t.Errorf("β %g: %g^−β = %g, math.Pow gives %g", beta, x, got, want)
			}
		}
	}
}
