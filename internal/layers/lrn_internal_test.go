package layers

import (
	"math"
	"math/rand/v2"
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

// TestMulNegPowAsm: the assembly loop gives the Go loop's bits, lengths off the
// multiple of four and special values included.
func TestMulNegPowAsm(t *testing.T) {
	if !useAVX {
		t.Skip("no AVX: mulNegPow is the Go loop here")
	}
	defer func(old bool) { useAVX = old }(useAVX)
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 3, 4, 5, 8, 17, 1000} {
		s, x := make([]float32, n), make([]float32, n)
		for i := range s {
			s[i] = float32(math.Pow(10, -6+12*r.Float64()))
			x[i] = float32(r.NormFloat64())
		}
		if n >= 8 {
			s[1], s[2], s[3] = 0, float32(math.Inf(1)), float32(math.NaN())
		}
		for _, beta := range []negPow{0.75, 0.5} {
			want, got := make([]float32, n), make([]float32, n)
			useAVX = false
			mulNegPow(beta, s, x, want)
			useAVX = true
			mulNegPow(beta, s, x, got)
			if i := sameBits(got, want); i >= 0 {
				t.Fatalf("n %d β %g: y[%d] = %g (assembly), %g (Go)", n, beta, i, got[i], want[i])
			}
		}
	}
}

// BenchmarkMulNegPow: LRN's x·scale^−0.75 on AlexNet's norm1 for one image.
func BenchmarkMulNegPow(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 96 * 55 * 55
	s, x, y := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range s {
		s[i] = 1 + r.Float32()
		x[i] = float32(r.NormFloat64())
	}
	hasAVX := useAVX
	defer func() { useAVX = hasAVX }()
	for _, asm := range []bool{false, true} {
		b.Run(map[bool]string{false: "go", true: "avx"}[asm], func(b *testing.B) {
			useAVX = asm && hasAVX
			for b.Loop() {
				mulNegPow(0.75, s, x, y)
			}
		})
	}
}
