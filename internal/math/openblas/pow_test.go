//go:build openblas

package openblas_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/internal/math/openblas"
)

// TestPowfMatchesLibm checks cmath's pure-Go Powf against the C library's powf, bit
// for bit (any NaN for a NaN), over a few million pairs: random bit patterns for both
// (which reach every special case, overflow and underflow), x in (0, 4] with y in
// [−2, 2], the learning-rate policies' 1 + gamma·iter and 1 − iter/max_iter with their
// powers, and negative x with integer y. cmath reproduces glibc 2.36 on x86_64 with
// FMA, so with another C library a failure here reports how that library differs, not
// a bug in cmath.
func TestPowfMatchesLibm(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 17))
	var xs, ys []float32
	add := func(x, y float32) { xs, ys = append(xs, x), append(ys, y) }
	for range 1 << 21 {
		add(math.Float32frombits(rng.Uint32()), math.Float32frombits(rng.Uint32()))
	}
	for range 1 << 20 {
		add(4*(1-rng.Float32()), 4*rng.Float32()-2)
	}
	powers := []float32{-0.75, 0.75, 0.5, 1, 2, 0.9}
	for iter := 0; iter <= 100000; iter++ {
		x := float32(1) + float32(1e-4)*float32(iter)
		for _, y := range powers {
			add(x, y)
		}
	}
	for _, maxIter := range []int{10000, 45000, 450000} {
		for iter := 0; iter <= maxIter; iter += 7 {
			x := float32(1) - float32(iter)/float32(maxIter)
			for _, y := range powers {
				add(x, y)
			}
		}
	}
	for range 1 << 19 {
		add(-math.Float32frombits(rng.Uint32N(0x7f800001)), float32(rng.IntN(601)-300))
	}

	failed := 0
	for i, x := range xs {
		y := ys[i]
		got, want := cmath.Powf(x, y), openblas.Powf(x, y)
		if math.Float32bits(got) == math.Float32bits(want) || got != got && want != want {
			continue
		}
		if failed++; failed <= 20 {
			t.Errorf("Powf(%v, %v) (%#08x, %#08x) = %v (%#08x), C library gives %v (%#08x)",
				x, y, math.Float32bits(x), math.Float32bits(y), got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d pairs differ", failed, len(xs))
	}
	t.Logf("%d pairs", len(xs))
}
