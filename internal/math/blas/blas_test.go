package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func TestNaiveByHand(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6} // 2×3
	b := []float32{1, 0, 0, 1, 1, 1} // 3×2
	c := make([]float32, 4)
	Naive{}.Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	want := []float32{4, 5, 10, 11}
	for i := range want {
		if c[i] != want[i] {
			t.Fatalf("C = %v, want %v", c, want)
		}
	}
}

func TestGemmAndGemv(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6} // 2×3
	x := []float32{1, 1, 1}
	y := make([]float32, 2)
	Gemv(false, 2, 3, 1, a, x, 0, y)
	if y[0] != 6 || y[1] != 15 {
		t.Fatalf("A·x = %v", y)
	}
	z := make([]float32, 3)
	Gemv(true, 2, 3, 1, a, []float32{1, 1}, 0, z)
	if z[0] != 5 || z[1] != 7 || z[2] != 9 {
		t.Fatalf("Aᵀ·x = %v", z)
	}
}

func TestVectorOps(t *testing.T) {
	x := []float32{1, -2, 3}
	y := []float32{1, 1, 1}
	Axpy(2, x, y)
	if y[0] != 3 || y[1] != -3 || y[2] != 7 {
		t.Fatalf("Axpy: %v", y)
	}
	if Dot(x, x) != 14 || Asum(x) != 6 || Sum(x) != 2 {
		t.Fatalf("Dot/Asum/Sum: %v %v %v", Dot(x, x), Asum(x), Sum(x))
	}
	Axpby(1, x, 2, y)
	if y[0] != 7 {
		t.Fatalf("Axpby: %v", y)
	}
	Scal(0.5, y)
	Fill(x, 0)
	if y[0] != 3.5 || x[1] != 0 {
		t.Fatalf("Scal/Fill: %v %v", y, x)
	}
}

func BenchmarkGemm(b *testing.B) {
	impls := []struct {
		name string
		g    Gemmer
	}{{"naive", Naive{}}, {"gonum", Gonum{}}}
	// Shapes of LeNet's and cifar10_quick's convolutions and inner products.
	shapes := [][3]int{{20, 576, 25}, {50, 64, 500}, {64, 500, 800}, {32, 1024, 75}, {256, 256, 256}}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		r := rand.New(rand.NewPCG(3, 4))
		a, bb, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		for _, impl := range impls {
			if impl.name == "naive" && m*n*k > 1<<22 {
				continue
			}
			b.Run(fmt.Sprintf("%s/%dx%dx%d", impl.name, m, n, k), func(b *testing.B) {
				b.SetBytes(int64(2 * m * n * k)) // flops reported as bytes: MB/s reads as MFLOP/s
				for b.Loop() {
					impl.g.Sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
				}
			})
		}
	}
}

// TestAxpyPart: an Axpy computed piece by piece, in pieces of every size and
// alignment, gives Axpy's bits, below and above the length OpenBLAS cuts between its
// threads.
func TestAxpyPart(t *testing.T) {
	for _, n := range []int{1, 31, 33, 100, 10000, 10001, 10067, 25000} {
		x, y := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i] = float32(i%97)*0.37 - 11
			y[i] = float32(i%89)*1.3 + 0.1
		}
		want := append([]float32(nil), y...)
		Axpy(0.3, x, want)
		for _, piece := range []int{1, 7, 32, 45, 1000, n} {
			got := append([]float32(nil), y...)
			for lo := 0; lo < n; lo += piece {
				hi := min(lo+piece, n)
				AxpyPart(n, lo, 0.3, x[lo:hi], got[lo:hi])
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n %d, pieces of %d: y[%d] = %v, Axpy gives %v", n, piece, i, got[i], want[i])
				}
			}
		}
	}
}

// TestPeakGFLOPS runs the peak measurement briefly: rates that are positive and
// finite, the cores together at least as fast as half of one (a shared machine may
// give a second core little).
func TestPeakGFLOPS(t *testing.T) {
	one, all := PeakGFLOPS(2, 20*time.Millisecond)
	// Only that the rates are rates: how they compare depends on what else the
	// machine runs, and a test must not time anything.
	if !(one > 0) || !(all > 0) || math.IsInf(one, 0) || math.IsInf(all, 0) {
		t.Errorf("PeakGFLOPS = %v a core, %v in all", one, all)
	}
}
