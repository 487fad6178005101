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

// CheckGemmer compares g with Naive over shapes that exercise edges: sizes that are
// not multiples of any block, padded leading dimensions, every transposition, and
// alpha/beta cases including beta == 0 over a C holding NaN.
func CheckGemmer(t *testing.T, g Gemmer) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][3]int{{1, 1, 1}, {3, 5, 7}, {16, 16, 16}, {17, 33, 9}, {64, 1, 200}, {1, 100, 31}, {50, 20, 800}, {129, 67, 45}, {5, 4, 0}}
	for _, s := range sizes {
		m, n, k := s[0], s[1], s[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, ab := range [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}} {
					name := fmt.Sprintf("m%d_n%d_k%d_tA%v_tB%v_a%g_b%g", m, n, k, tA, tB, ab[0], ab[1])
					rowsA, colsA := m, k
					if tA {
						rowsA, colsA = k, m
					}
					rowsB, colsB := k, n
					if tB {
						rowsB, colsB = n, k
					}
					lda, ldb, ldc := colsA+3, colsB+1, n+2
					a := randSlice(r, max(rowsA*lda, 1))
					b := randSlice(r, max(rowsB*ldb, 1))
					c := randSlice(r, m*ldc)
					if ab[1] == 0 {
						for i := range c {
							c[i] = float32(math.NaN())
						}
					}
					want := append([]float32(nil), c...)
					got := append([]float32(nil), c...)
					Naive{}.Sgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
					g.Sgemm(tA, tB, m, n, k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							w, gv := want[i*ldc+j], got[i*ldc+j]
							if math.Abs(float64(w-gv)) > 1e-4*math.Sqrt(float64(k+1))*(1+math.Abs(float64(w))) {
								t.Fatalf("%s: C[%d,%d] = %g, want %g", name, i, j, gv, w)
							}
						}
						// Padding columns of C must be left alone.
						for j := n; j < ldc && i*ldc+j < len(c); j++ {
							if got[i*ldc+j] != c[i*ldc+j] && !(math.IsNaN(float64(got[i*ldc+j])) && math.IsNaN(float64(c[i*ldc+j]))) {
								t.Fatalf("%s: wrote padding C[%d,%d]", name, i, j)
							}
						}
					}
				}
			}
		}
	}
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

func TestGonum(t *testing.T) { CheckGemmer(t, Gonum{}) }

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
	if !(one > 0) || !(all > 0) || math.IsInf(one, 0) || math.IsInf(all, 0) || all < one/2 {
		t.Errorf("PeakGFLOPS = %v a core, %v in all", one, all)
	}
}
