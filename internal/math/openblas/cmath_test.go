//go:build openblas

package openblas_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/internal/math/openblas"
)

// TestCmathMatchesLibm checks cmath's pure-Go Expf and Logf against the C library's
// expf and logf, bit for bit (any NaN for a NaN), over a few million inputs: a sweep
// of all float32 bit patterns with an odd stride, so every sign, exponent and
// low-mantissa pattern appears; dense runs where softmax's exp and the losses' log
// spend their time; and random patterns. cmath reproduces glibc 2.36 on x86_64 with
// FMA, so with another C library, or on a CPU without FMA, a failure here reports how
// that library differs, not a bug in cmath.
func TestCmathMatchesLibm(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var inputs []uint32
	for b := uint64(0); b < 1<<32; b += 2039 {
		inputs = append(inputs, uint32(b))
	}
	// Every seventh float32 in [−0.5, −0.25), a binade of softmax's exp arguments,
	// and every float32 in [0.984375, 1.03125), where log cancels most.
	for b := uint32(0xbe800000); b < 0xbf000000; b += 7 {
		inputs = append(inputs, b)
	}
	for b := uint32(0x3f800000) - 1<<18; b < 0x3f800000+1<<18; b++ {
		inputs = append(inputs, b)
	}
	for range 1 << 20 {
		inputs = append(inputs, rng.Uint32())
	}

	for _, tc := range []struct {
		name       string
		pure, libm func(float32) float32
	}{
		{"Expf", cmath.Expf, openblas.Expf},
		{"Logf", cmath.Logf, openblas.Logf},
	} {
		t.Run(tc.name, func(t *testing.T) {
			failed := 0
			for _, b := range inputs {
				x := math.Float32frombits(b)
				got, want := tc.pure(x), tc.libm(x)
				if math.Float32bits(got) == math.Float32bits(want) || got != got && want != want {
					continue
				}
				if failed++; failed <= 20 {
					t.Errorf("%s(%v) (%#08x) = %v (%#08x), C library gives %v (%#08x)",
						tc.name, x, b, got, math.Float32bits(got), want, math.Float32bits(want))
				}
			}
			if failed > 0 {
				t.Errorf("%d of %d inputs differ", failed, len(inputs))
			}
			t.Logf("%d inputs", len(inputs))
		})
	}
}
