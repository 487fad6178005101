//go:build openblas

package openblas

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/blas/blastest"
)

// TestGemmConformance runs the conformance suite every gocaffe Gemmer runs on the real
// OpenBLAS: the oracle keeps the contract the others are held to.
func TestGemmConformance(t *testing.T) {
	blastest.Gemmer(t, Gemm{}, blastest.Options{AlphaZeroSkipsAB: true})
}

// TestOrderedIsOpenBLAS wants blas.Ordered to give OpenBLAS's bits: the products of
// cifar10_quick and LeNet, and random shapes over every path of OpenBLAS's driver
// (one thread and two, k blocks of every kind), every transposition, beta 0, 1 and
// another. Run with OPENBLAS_CORETYPE=Zen OPENBLAS_NUM_THREADS=2.
func TestOrderedIsOpenBLAS(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	shapes := [][3]int{
		{32, 1024, 75}, {32, 75, 1024}, {75, 1024, 32}, {32, 256, 800}, {32, 800, 256}, {800, 256, 32},
		{64, 64, 800}, {64, 800, 64}, {800, 64, 64}, {100, 64, 1024}, {64, 1024, 100}, {100, 1024, 64},
		{100, 10, 64}, {10, 64, 100}, {100, 64, 10}, {20, 576, 25}, {50, 64, 500}, {100, 500, 800},
		{20, 25, 576}, {25, 576, 20}, {50, 500, 64}, {500, 64, 50}, {100, 10, 500}, {10, 500, 100},
	}
	for range 300 {
		shapes = append(shapes, [3]int{1 + r.IntN(140), 1 + r.IntN(1200), 1 + r.IntN(1400)})
	}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		tA, tB := r.IntN(2) == 1, r.IntN(2) == 1
		beta := []float32{0, 1, 0.5}[r.IntN(3)]
		a, b, c := rnd(r, m*k), rnd(r, k*n), rnd(r, m*n)
		lda, ldb := k, n
		if tA {
			lda = m
		}
		if tB {
			ldb = k
		}
		want := append([]float32(nil), c...)
		Gemm{}.Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, beta, want, n)
		blas.Ordered{}.Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, beta, c, n)
		diff := 0
		for i := range c {
			if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
				diff++
			}
		}
		if diff > 0 {
			t.Errorf("%d×%d×%d tA=%v tB=%v beta=%v: %d of %d elements differ from OpenBLAS's", m, n, k, tA, tB, beta, diff, m*n)
		}
	}
}

func rnd(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}
