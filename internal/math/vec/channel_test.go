package vec

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestChannelAsmMatchesGo runs the loops of channel.go with and without the assembly,
// on lengths around the loops' steps, aliased and not, with the specials among the
// values, and wants the same bits (and the same float64 sums).
func TestChannelAsmMatchesGo(t *testing.T) {
	if !useAsm {
		t.Skip("no assembly on this CPU")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 49, 63, 64, 65, 100, 1000, 3136} {
		for trial := range 4 {
			x, y, z := inputs(r, n), inputs(r, n), inputs(r, n)
			if trial == 0 {
				// Plain values too, whose sums are not NaN.
				for i := range x {
					x[i], y[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
				}
			}
			a, b, c := float32(r.NormFloat64()), float32(r.NormFloat64()), float32(r.NormFloat64())
			for _, tc := range []struct {
				name string
				run  func(out []float32)
			}{
				{"Sum", func(out []float32) { putSums(out, Sum(x), 0) }},
				{"SumSqDiff", func(out []float32) { putSums(out, SumSqDiff(x, a), 0) }},
				{"SumDot", func(out []float32) { s, d := SumDot(x, y); putSums(out, s, d) }},
				{"ScaleAdd", func(out []float32) { ScaleAdd(out, x, a, b) }},
				{"ScaleAddInPlace", func(out []float32) { copy(out, x); ScaleAdd(out, out, a, b) }},
				{"SubScale", func(out []float32) { SubScale(out, x, a, b) }},
				{"SubScaleInPlace", func(out []float32) { copy(out, x); SubScale(out, out, a, b) }},
				{"Affine2", func(out []float32) { Affine2(out, x, y, a, b, c) }},
				{"Affine2InPlaceX", func(out []float32) { copy(out, x); Affine2(out, out, y, a, b, c) }},
				{"Affine2InPlaceY", func(out []float32) { copy(out, y); Affine2(out, x, out, a, b, c) }},
				{"AddScaled", func(out []float32) { copy(out, z); AddScaled(out, x, a) }},
				{"Div", func(out []float32) { Div(out, x, y) }},
				{"DivInPlace", func(out []float32) { copy(out, y); Div(out, x, out) }},
				{"DivConst", func(out []float32) { DivConst(out, x, b) }},
				{"DivConstInPlace", func(out []float32) { copy(out, x); DivConst(out, out, b) }},
			} {
				m := n
				if tc.name[:3] == "Sum" {
					m = 4 // two float64
				}
				want, got := make([]float32, m), make([]float32, m)
				useAsm = false
				tc.run(want)
				useAsm = true
				tc.run(got)
				if i := sameBits(want, got); i >= 0 {
					t.Fatalf("%s n=%d trial %d: element %d is %v (%#x) in assembly, %v (%#x) in Go", tc.name, n, trial, i,
						got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
				}
			}
		}
	}
}

// putSums stores two float64 sums as the bits of four float32, for sameBits.
func putSums(out []float32, s, d float64) {
	for i, v := range []float64{s, d} {
		b := math.Float64bits(v)
		out[2*i], out[2*i+1] = math.Float32frombits(uint32(b)), math.Float32frombits(uint32(b>>32))
	}
}

// TestSums: the sums against float64 loops, within what float32 lanes of about a
// hundred values each lose.
func TestSums(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for _, asm := range []bool{false, useAsm} {
		old := useAsm
		useAsm = asm
		for _, n := range []int{0, 1, 5, 8, 13, 49, 196, 3136, 12544} {
			x, y := make([]float32, n), make([]float32, n)
			for i := range x {
				x[i], y[i] = float32(1+r.NormFloat64()), float32(r.NormFloat64())
			}
			m := float32(0.75)
			var s, sq, sy, sxy float64
			for i, v := range x {
				s += float64(v)
				d := float64(v - m)
				sq += d * d
				sy += float64(v)
				sxy += float64(v) * float64(y[i])
			}
			gs, gsy, gsxy := Sum(x), 0.0, 0.0
			gsq := SumSqDiff(x, m)
			gsy, gsxy = SumDot(x, y)
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"Sum", gs, s}, {"SumSqDiff", gsq, sq}, {"SumDot's sum", gsy, sy}, {"SumDot's dot", gsxy, sxy}} {
				if math.Abs(c.got-c.want) > 1e-6*float64(n) {
					t.Errorf("asm %v n=%d: %s = %v, want %v", asm, n, c.name, c.got, c.want)
				}
			}
		}
		useAsm = old
	}
}

// TestFMA32 holds fma32 to a·x + y computed exactly and rounded once to float32, on
// random values, values whose product and sum nearly cancel, and the specials.
func TestFMA32(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 11))
	exact := func(a, x, y float32) float32 {
		p := new(big.Float).SetPrec(600).SetFloat64(float64(a))
		p.Mul(p, new(big.Float).SetPrec(600).SetFloat64(float64(x)))
		p.Add(p, new(big.Float).SetPrec(600).SetFloat64(float64(y)))
		f, _ := p.Float32()
		return f
	}
	check := func(a, x, y float32) {
		got := fma32(a, x, y)
		fa, fx, fy := float64(a), float64(x), float64(y)
		if math.IsInf(fa, 0) || math.IsInf(fx, 0) || math.IsInf(fy, 0) || a != a || x != x || y != y {
			want := float32(math.FMA(fa, fx, fy))
			if sameBits([]float32{got}, []float32{want}) >= 0 {
				t.Fatalf("fma32(%v, %v, %v) = %v, want %v", a, x, y, got, want)
			}
			return
		}
		if want := exact(a, x, y); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma32(%v, %v, %v) = %v (%#x), want %v (%#x)", a, x, y, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	for range 200000 {
		a, x := float32(r.NormFloat64()), float32(r.NormFloat64())
		switch r.IntN(4) {
		case 0: // y cancels most of the product: the rounding decides on the low bits
			check(a, x, -a*x)
		case 1: // y a tie away: products whose low half is a half ulp of the sum
			y := float32(r.NormFloat64()) * float32(math.Ldexp(1, r.IntN(60)-30))
			check(a, x, y)
		case 2: // small integers, whose exact products and sums are ties often
			check(float32(r.IntN(1<<12)+1), float32(r.IntN(1<<12)+1), float32(r.IntN(1<<24))*float32(int(1)<<r.IntN(4)))
		default:
			check(a, x, float32(r.NormFloat64()))
		}
	}
	// Sums a hair off a float32 midpoint, by less than float64's half ulp: rounded to
	// float64 first, they would become ties and round to even, half of them wrongly.
	u, v := float32(1+0x1p-23), float32(1-0x1p-23) // u·v = 1 − 2⁻⁴⁶
	for range 10000 {
		f := float32(r.NormFloat64())
		ulp := math.Float32frombits(math.Float32bits(f)+1) - f // signed
		e := math.Ilogb(float64(ulp)) - 1
		a := float32(math.Ldexp(float64(u), e))
		if ulp < 0 {
			a = -a
		}
		check(a, v, f)                                            // f + ulp/2 − tiny
		check(-a, v, math.Float32frombits(math.Float32bits(f)+1)) // f + ulp/2 + tiny
	}
	for _, a := range specials {
		for _, x := range specials {
			for _, y := range specials {
				check(a, x, y)
			}
		}
	}
	// Subnormal results.
	for range 10000 {
		a := float32(math.Ldexp(r.Float64()+1, -70))
		x := float32(math.Ldexp(r.Float64()+1, -70))
		check(a, x, float32(math.Ldexp(r.NormFloat64(), -140)))
	}
}

func BenchmarkSumDot(b *testing.B) {
	x := inputs(rand.New(rand.NewPCG(3, 4)), 3136)
	y := inputs(rand.New(rand.NewPCG(4, 5)), 3136)
	for _, asm := range []bool{false, true} {
		name := map[bool]string{false: "go", true: "asm"}[asm]
		b.Run(name, func(b *testing.B) {
			defer func(old bool) { useAsm = old }(useAsm)
			useAsm = asm && useAsm
			b.SetBytes(8 * 3136)
			for b.Loop() {
				SumDot(x, y)
			}
		})
	}
}
