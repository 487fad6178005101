package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// specials are the values whose bits a careless loop gets wrong.
var specials = []float32{0, float32(math.Copysign(0, -1)), 1, -1, float32(math.Inf(1)), float32(math.Inf(-1)),
	float32(math.NaN()), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32}

// inputs returns a slice of n values: random, with the specials sprinkled in.
func inputs(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		if r.IntN(4) == 0 {
			x[i] = specials[r.IntN(len(specials))]
		} else {
			x[i] = float32(r.NormFloat64())
		}
	}
	return x
}

// sameBits reports whether a and b hold the same bits (NaNs as NaNs).
func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}

// TestAsmMatchesGo runs every function with and without the assembly, on lengths
// around the loops' steps, aliased and not, and wants the same bits.
func TestAsmMatchesGo(t *testing.T) {
	if !useAsm {
		t.Skip("no assembly on this CPU")
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 31, 32, 33, 40, 63, 64, 65, 1000} {
		for _, slope := range []float32{0, 0.1, -2, float32(math.Inf(1))} {
			x, y, dy := inputs(r, n), inputs(r, n), inputs(r, n)
			c := float32(r.NormFloat64())
			for _, tc := range []struct {
				name string
				run  func(out []float32)
			}{
				{"AddConst", func(out []float32) { copy(out, x); AddConst(out, c) }},
				{"Scale", func(out []float32) { Scale(out, x, c) }},
				{"ScaleInPlace", func(out []float32) { copy(out, x); Scale(out, out, c) }},
				{"Add", func(out []float32) { Add(out, x, y) }},
				{"AddInPlace", func(out []float32) { copy(out, x); Add(out, out, y) }},
				{"Relu", func(out []float32) { Relu(out, x, slope) }},
				{"ReluInPlace", func(out []float32) { copy(out, x); Relu(out, out, slope) }},
				{"ReluGrad", func(out []float32) { ReluGrad(out, x, dy, slope) }},
				{"ReluGradInPlace", func(out []float32) { copy(out, dy); ReluGrad(out, x, out, slope) }},
				{"Mul", func(out []float32) { Mul(out, x, y) }},
				{"AddQuotient", func(out []float32) { copy(out, dy); AddQuotient(out, x, y, x, 1) }},
				{"SubQuotient", func(out []float32) { copy(out, dy); AddQuotient(out, x, y, dy, -1) }},
				{"PowScale75", func(out []float32) { PowScale(out, y, x, 0.75) }},
			} {
				want, got := make([]float32, n), make([]float32, n)
				useAsm = false
				tc.run(want)
				useAsm = true
				tc.run(got)
				if i := sameBits(want, got); i >= 0 {
					t.Fatalf("%s n=%d slope=%g: element %d is %v (%#x) in assembly, %v (%#x) in Go", tc.name, n, slope, i,
						got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

// TestRelu pins the values: Caffe's ReLU on the specials, as C++ computes
// max(x, 0) + slope·min(x, 0) and dy·((x > 0) + slope·(x <= 0)).
func TestRelu(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	nan := float32(math.NaN())
	x := []float32{2, -2, 0, negZero, float32(math.Inf(-1)), nan, -3}
	for _, tc := range []struct {
		slope   float32
		y, grad []float32
	}{
		{0.5, []float32{2, -1, 0, negZero, float32(math.Inf(-1)), nan, -1.5}, []float32{1, 0.5, 0.5, 0.5, 0.5, 0, 0.5}},
		{0, []float32{2, 0, 0, negZero, nan, nan, 0}, []float32{1, 0, 0, 0, 0, 0, 0}},
	} {
		for _, asm := range []bool{false, useAsm} {
			old := useAsm
			useAsm = asm
			// Eight copies, so that the assembly runs too.
			xs := make([]float32, 0, 8*len(x))
			for range 8 {
				xs = append(xs, x...)
			}
			y := make([]float32, len(xs))
			Relu(y, xs, tc.slope)
			dx := make([]float32, len(xs))
			ones := make([]float32, len(xs))
			for i := range ones {
				ones[i] = 1
			}
			ReluGrad(dx, xs, ones, tc.slope)
			useAsm = old
			for i := range xs {
				if w := tc.y[i%len(x)]; sameBits([]float32{w}, y[i:i+1]) >= 0 {
					t.Errorf("asm %v: Relu(%v, slope %g) = %v (%#x), want %v (%#x)", asm, xs[i], tc.slope, y[i], math.Float32bits(y[i]), w, math.Float32bits(w))
				}
				if w := tc.grad[i%len(x)]; sameBits([]float32{w}, dx[i:i+1]) >= 0 {
					t.Errorf("asm %v: ReluGrad(%v, slope %g) = %v, want %v", asm, xs[i], tc.slope, dx[i], w)
				}
			}
		}
	}
}

func BenchmarkRelu(b *testing.B) {
	x := inputs(rand.New(rand.NewPCG(3, 4)), 1<<16)
	y := make([]float32, len(x))
	for _, asm := range []bool{false, true} {
		name := map[bool]string{false: "go", true: "asm"}[asm]
		b.Run(name, func(b *testing.B) {
			defer func(old bool) { useAsm = old }(useAsm)
			useAsm = asm && useAsm
			b.SetBytes(8 << 16)
			for b.Loop() {
				Relu(y, x, 0)
			}
		})
	}
}
