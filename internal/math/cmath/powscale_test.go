package cmath

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPowfScale holds the vectorised powers to Powf's bits, on bases spread over the
// whole float32 range and the special ones, powers from LRN's −0.75 to ones that
// overflow, with and without the assembly.
func TestPowfScale(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	specials := []float32{0, float32(math.Copysign(0, -1)), -1, 1, math.SmallestNonzeroFloat32, 0x1p-127,
		math.MaxFloat32, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0x1.66p-1, 0x1.66p0}
	const n = 4099
	s, x := make([]float32, n), make([]float32, n)
	for i := range s {
		switch r.IntN(8) {
		case 0:
			s[i] = specials[r.IntN(len(specials))]
		case 1:
			s[i] = math.Float32frombits(r.Uint32()) // anything
		default:
			s[i] = 1 + float32(r.ExpFloat64()) // LRN's scales: k + α/n·Σx² ≥ k = 1
		}
		x[i] = float32(r.NormFloat64())
	}
	for _, y := range []float32{-0.75, 0.75, -0.5, 2, -1.3, 37, -200, 0, float32(math.Inf(1)), float32(math.NaN())} {
		want := make([]float32, n)
		for i := range s {
			want[i] = Powf(s[i], y) * x[i]
		}
		for _, asm := range []bool{false, usePowAsm} {
			old := usePowAsm
			usePowAsm = asm
			got := make([]float32, n)
			PowfScale(got, s, x, y)
			usePowAsm = old
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("y=%g asm=%v: Powf(%g, y)·%g = %g (%#x), want %g (%#x)", y, asm, s[i], x[i],
						got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

func BenchmarkPowfScale(b *testing.B) {
	r := rand.New(rand.NewPCG(23, 24))
	s, x, out := make([]float32, 1<<14), make([]float32, 1<<14), make([]float32, 1<<14)
	for i := range s {
		s[i], x[i] = 1+float32(r.ExpFloat64()), float32(r.NormFloat64())
	}
	for _, asm := range []bool{false, true} {
		b.Run(map[bool]string{false: "go", true: "asm"}[asm], func(b *testing.B) {
			defer func(old bool) { usePowAsm = old }(usePowAsm)
			usePowAsm = asm && usePowAsm
			for b.Loop() {
				PowfScale(out, s, x, -0.75)
			}
		})
	}
}
