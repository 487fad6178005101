//go:build openblas

package openblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// powArgs returns the (x, y) pairs cmath.Pow is checked on: C's special values against
// each other; random bit patterns (every special case, overflow and underflow, the
// denormal path); x in (0, 4] with y in [−50, 50]; the learning-rate policies'
// gamma^n for common and random float32 gammas and n up to 10⁶; Adam's β^t; negative
// x with integer y; and results near the ends of the double range.
func powArgs(rng *rand.Rand, random int) [][2]float64 {
	var args [][2]float64
	add := func(x, y float64) { args = append(args, [2]float64{x, y}) }
	special := []float64{0, math.Copysign(0, -1), 1, -1, 2, -2, 0.5, -0.5, 3, -3, math.Inf(1), math.Inf(-1),
		math.NaN(), math.Float64frombits(0x7ff4000000000000), math.Float64frombits(0xfff8000000000000),
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 0x1p-1022, math.MaxFloat64, -math.MaxFloat64,
		0x1p-70, -0x1p-70, 0x1p63, -0x1p63, 0x1p70, 1 + 0x1p-52, 1 - 0x1p-53, 1e300, 1e-300, 2.5, -2.5}
	for _, x := range special {
		for _, y := range special {
			add(x, y)
		}
	}
	for range random {
		add(math.Float64frombits(rng.Uint64()), math.Float64frombits(rng.Uint64()))
	}
	for range random {
		add(4*(1-rng.Float64()), 100*rng.Float64()-50)
	}
	gammas := []float32{0.1, 0.5, 0.9, 0.95, 0.96, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999, 0.7, 1.0001}
	for _, g := range gammas {
		for n := 0; n <= 1000000; n += 1 + n/1000 {
			add(float64(g), float64(n))
		}
	}
	for range random / 4 {
		add(float64(rng.Float32()), float64(rng.IntN(100000)))
	}
	for _, b := range []float32{0.9, 0.99, 0.999, 0.9999, 0.5} {
		for t := 1; t <= 20000; t++ {
			add(float64(b), float64(t))
		}
	}
	for range random / 4 {
		add(-math.Float64frombits(rng.Uint64N(0x7ff0000000000000)), float64(rng.IntN(2001)-1000))
	}
	// e^(y·log x) near the overflow threshold and in and below the denormal range.
	for range random / 4 {
		x := 1 + rng.Float64()
		edge := []float64{709.78, -708.4, -745.1, -740}[rng.IntN(4)] + rng.Float64() - 0.5
		add(x, edge/math.Log(x))
		add(-x, math.Round(edge/math.Log(x)))
	}
	return args
}

func samePow(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b)
}

// TestPowMatchesLibm checks cmath.Pow against the C library's pow bit for bit, NaN
// payloads included, on a few million pairs. cmath reproduces glibc 2.36 on x86_64 with
// FMA; with another C library a failure here reports how that library differs.
func TestPowMatchesLibm(t *testing.T) {
	args := powArgs(rand.New(rand.NewPCG(19, 23)), 1<<20)
	failed, stdDiffers := 0, 0
	for _, a := range args {
		got, want := cmath.Pow(a[0], a[1]), Pow(a[0], a[1])
		if !samePow(math.Pow(a[0], a[1]), want) {
			stdDiffers++
		}
		if samePow(got, want) {
			continue
		}
		if failed++; failed <= 20 {
			t.Errorf("Pow(%v, %v) (%#016x, %#016x) = %v (%#016x), C library gives %v (%#016x)",
				a[0], a[1], math.Float64bits(a[0]), math.Float64bits(a[1]), got, math.Float64bits(got),
				want, math.Float64bits(want))
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d pairs differ", failed, len(args))
	}
	t.Logf("%d pairs; Go's math.Pow differs from the C library's on %d", len(args), stdDiffers)
}

// TestPowGolden writes ../cmath/testdata/pow.txt with -update (and otherwise checks
// that it is what the C library computes): a sample of powArgs with the C library's
// results, so that cmath's tests check Pow where there is no cgo.
func TestPowGolden(t *testing.T) {
	const path = "../cmath/testdata/pow.txt"
	var sb strings.Builder
	sb.WriteString("# pow: x, y and the result of glibc 2.36's pow on x86_64 with FMA (Debian 12,\n")
	sb.WriteString("# /usr/lib/x86_64-linux-gnu/libm.so.6, whose ifunc picks __pow_fma), as float64 bit\n")
	sb.WriteString("# patterns in hex; a sample of internal/math/openblas's powArgs. Regenerate:\n")
	sb.WriteString("# go test -tags openblas ./internal/math/openblas -run TestPowGolden -update\n")
	args := powArgs(rand.New(rand.NewPCG(29, 31)), 1<<11)
	rng := rand.New(rand.NewPCG(37, 41))
	for i, a := range args {
		// The special values all, one in 40 of the pairs where Go's math.Pow
		// differs from the C library (most of them gamma^n), one in 100 of the rest.
		want := Pow(a[0], a[1])
		keep := 100
		if !samePow(math.Pow(a[0], a[1]), want) {
			keep = 40
		}
		if i >= 31*31 && rng.IntN(keep) != 0 {
			continue
		}
		fmt.Fprintf(&sb, "%016x %016x %016x\n", math.Float64bits(a[0]), math.Float64bits(a[1]), math.Float64bits(want))
	}
	testutil.CheckGolden(t, path, sb.String(), *update, "the C library")
}
