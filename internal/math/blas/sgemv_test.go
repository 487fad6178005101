package blas

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

// exactFMA is a·b + c rounded once to float32, through big.Float.
func exactFMA(a, b, c float32) float32 {
	const prec = 400 // more than the widest exact sum of float32s needs
	p := new(big.Float).SetPrec(prec).Mul(big.NewFloat(float64(a)).SetPrec(prec), big.NewFloat(float64(b)).SetPrec(prec))
	s := new(big.Float).SetPrec(prec).Add(p, big.NewFloat(float64(c)).SetPrec(prec))
	f, _ := s.Float32()
	return f
}

func TestFMAF(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	tests := []struct{ a, b, c float32 }{
		{1, 1, 1},
		{-1, 0, 0},                    // -0 + +0 = +0
		{1 + 0x1p-23, 1 + 0x1p-23, 0}, // product needs rounding
		// a·b = 1 + 2⁻¹¹ + 2⁻²⁴ is halfway between two float32s: float64 drops c,
		// and rounding its sum to float32 would go to even instead of toward c.
		{1 + 0x1p-12, 1 + 0x1p-12, 0x1p-70},
		{1 + 0x1p-12, 1 + 0x1p-12, -0x1p-70},
		{1 + 0x1p-12, 1 - 0x1p-12, 0x1p-70},
		{1 + 0x1p-23, 1 + 0x1p-23, 0x1p-24},
		{1 + 0x1p-23, 1 - 0x1p-24, 0x1p-24},
		{math.MaxFloat32, 2, -math.MaxFloat32},
		{math.MaxFloat32, 1.0000001, 0},
		{0x1p-126, 0x1p-23, 0x1p-149},
		{3, 0x1p-149, -0x1p-149},
	}
	for range 200000 {
		a := math.Float32frombits(r.Uint32() & 0xbfffffff) // |a| < 2
		b := math.Float32frombits(r.Uint32() & 0xbfffffff)
		// c near a·b's last bits, where ties and double rounding live.
		ab := float64(a) * float64(b)
		c := float32(-ab + ab*math.Ldexp(r.Float64()-0.5, -20-r.IntN(40)))
		switch r.IntN(3) {
		case 1:
			c = float32(ab * math.Ldexp(r.Float64(), -24-r.IntN(30)))
		case 2:
			// Twelve-bit significands: a·b is often a float32 tie, and c too small
			// for float64 to keep.
			a = math.Float32frombits(math.Float32bits(a) &^ (1<<12 - 1))
			b = math.Float32frombits(math.Float32bits(b) &^ (1<<12 - 1))
			c = float32(float64(a) * float64(b) * math.Ldexp(r.Float64()-0.5, -30-r.IntN(40)))
		}
		tests = append(tests, struct{ a, b, c float32 }{a, b, c})
	}
	for _, tt := range tests {
		got, want := fmaf(tt.a, tt.b, tt.c), exactFMA(tt.a, tt.b, tt.c)
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fmaf(%x, %x, %x) = %x, want %x", tt.a, tt.b, tt.c, got, want)
		}
	}
}

func TestGemvWidth(t *testing.T) {
	tests := []struct {
		n    int
		want []int // the widths of the two threads' shares
	}{
		{1, []int{1}}, {4, []int{4}}, {5, []int{4, 1}}, {7, []int{4, 3}}, {8, []int{4, 4}},
		{9, []int{5, 4}}, {32, []int{16, 16}}, {33, []int{17, 16}},
	}
	for _, tt := range tests {
		var got []int
		for rest, done := tt.n, 0; rest > 0; done++ {
			w := gemvWidth(rest, 2, done)
			got = append(got, w)
			rest -= w
		}
		if len(got) != len(tt.want) || got[0] != tt.want[0] || got[len(got)-1] != tt.want[len(tt.want)-1] {
			t.Errorf("%d: widths %v, want %v", tt.n, got, tt.want)
		}
	}
}

// TestGemvZeroAlpha: with alpha 0 y is only scaled, and NaN in y goes with beta 0.
func TestGemvZeroAlpha(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6}
	tests := []struct {
		alpha, beta float32
		y, want     []float32
	}{
		{0, 2, []float32{1, -1}, []float32{2, -2}},
		{0, 0, []float32{float32(math.NaN()), 1}, []float32{0, 0}},
		{1, 0, []float32{float32(math.NaN()), 1}, []float32{6, 15}},
	}
	for _, tt := range tests {
		Gemv(false, 2, 3, tt.alpha, a, []float32{1, 1, 1}, tt.beta, tt.y)
		for i := range tt.want {
			if tt.y[i] != tt.want[i] {
				t.Errorf("alpha %g beta %g: y = %v, want %v", tt.alpha, tt.beta, tt.y, tt.want)
				break
			}
		}
	}
}

// TestVecKernelsAsmGo: the assembly kernels and their Go versions agree bit for bit.
func TestVecKernelsAsmGo(t *testing.T) {
	if !useVecAsm {
		t.Skip("no AVX2/FMA")
	}
	defer func(old bool) { useVecAsm = old }(useVecAsm)
	r := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{4, 8, 12, 16, 20, 28, 32, 36, 64, 100, 1024} {
		lda := n + r.IntN(3)
		a, x := testutil.GoldenVec(r.Uint64(), 3*lda+n), testutil.GoldenVec(r.Uint64(), n)
		var got, want [4]float32
		useVecAsm = true
		dotCols4(n, a, lda, x, &got)
		useVecAsm = false
		dotCols4(n, a, lda, x, &want)
		if got != want {
			t.Errorf("dotCols4 %d: %v, Go %v", n, got, want)
		}
	}
	for _, nb := range []int{4, 8, 12, 16, 20, 28, 32, 36, 64, 100, 1024} {
		for _, w := range []int{4, 8} {
			for _, alpha := range []float32{1, -0.3} {
				lda := nb + r.IntN(3)
				a, x, y := testutil.GoldenVec(r.Uint64(), (w-1)*lda+nb), testutil.GoldenVec(r.Uint64(), w), testutil.GoldenVec(r.Uint64(), nb)
				got, want := append([]float32(nil), y...), append([]float32(nil), y...)
				useVecAsm = true
				sgemvNCols(w, nb, alpha, a, lda, x, got)
				useVecAsm = false
				sgemvNCols(w, nb, alpha, a, lda, x, want)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Errorf("sgemvNCols %d×%d alpha %g: y[%d] = %g, Go %g", nb, w, alpha, i, got[i], want[i])
						break
					}
				}
			}
		}
	}
	for _, n := range []int{32, 64, 96, 320, 4096} {
		x, y := testutil.GoldenVec(r.Uint64(), n), testutil.GoldenVec(r.Uint64(), n)
		useVecAsm = true
		got := sdotKernel(x, y)
		gy := append([]float32(nil), y...)
		saxpyFused(-0.3, x, gy)
		useVecAsm = false
		want := sdotKernel(x, y)
		wy := append([]float32(nil), y...)
		saxpyFused(-0.3, x, wy)
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("sdotKernel %d: %g, Go %g", n, got, want)
		}
		for i := range wy {
			if math.Float32bits(gy[i]) != math.Float32bits(wy[i]) {
				t.Errorf("saxpyFused %d: y[%d] = %g, Go %g", n, i, gy[i], wy[i])
				break
			}
		}
	}
}

// BenchmarkGemv: the gemvs of cifar10_quick's backward pass: conv1's bias gradient
// for one image (rows summed), ip1's and ip2's (columns summed, batch 100), and a
// softmax's sums over 10 channels.
func BenchmarkGemv(b *testing.B) {
	benches := []struct {
		name   string
		transA bool
		m, n   int
	}{
		{"conv1_bias_32x1024", false, 32, 1024},
		{"conv3_bias_64x64", false, 64, 64},
		{"ip1_bias_100x64", true, 100, 64},
		{"ip2_bias_100x10", true, 100, 10},
		{"softmax_10x1", true, 10, 1},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			lx, ly := bb.n, bb.m
			if bb.transA {
				lx, ly = bb.m, bb.n
			}
			a, x, y := testutil.GoldenVec(1, bb.m*bb.n), make([]float32, lx), make([]float32, ly)
			Fill(x, 1)
			for b.Loop() {
				Gemv(bb.transA, bb.m, bb.n, 1, a, x, 1, y)
			}
		})
	}
}

// BenchmarkVec: the solver's updates of conv2's weights (25600), SGD with momentum.
func BenchmarkVec(b *testing.B) {
	const n = 25600
	x, y := testutil.GoldenVec(1, n), testutil.GoldenVec(2, n)
	b.Run("Axpy", func(b *testing.B) {
		for b.Loop() {
			Axpy(1e-9, x, y)
		}
	})
	b.Run("Axpby", func(b *testing.B) {
		for b.Loop() {
			Axpby(1e-9, x, 1, y)
		}
	})
	b.Run("Dot", func(b *testing.B) {
		for b.Loop() {
			Dot(x, y)
		}
	})
}
