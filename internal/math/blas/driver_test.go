package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/gocaffe/gocaffe/internal/cputime"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// TestKernelWideMatchesTiles checks that the wide kernel gives the bits of the four
// 6×16 kernel calls it stands for: each element is the same chain of FMAs, so which
// kernel runs must never change a result (LeNet's log matches Caffe's to every
// printed digit, and a one-ulp change could break that).
func TestKernelWideMatchesTiles(t *testing.T) {
	if !hasAVX512 {
		t.Skip("this CPU has no AVX-512: the wide kernel runs as four 6×16 ones here")
	}
	defer func(old bool) { useAVX512 = old }(useAVX512)
	r := rand.New(rand.NewPCG(7, 8))
	for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 63, 255, 256, 257} {
		for _, ab := range [][2]float32{{1, 0}, {-0.5, 0}, {1, 1}, {2, -0.75}} {
			const ldc = 2*nr + 5
			a0, a1 := randSlice(r, mr*k), randSlice(r, mr*k)
			b0, b1 := randSlice(r, nr*k), randSlice(r, nr*k)
			c := randSlice(r, (2*mr-1)*ldc+2*nr+5)
			if ab[1] == 0 {
				for i := range c {
					c[i] = float32(math.NaN())
				}
			}
			want, got := append([]float32(nil), c...), append([]float32(nil), c...)
			useAVX512 = false
			kernelWide(k, a0, a1, b0, b1, want, ldc, ab[0], ab[1])
			useAVX512 = true
			kernelWide(k, a0, a1, b0, b1, got, ldc, ab[0], ab[1])
			for i := range want {
				if math.Float32bits(want[i]) != math.Float32bits(got[i]) && !(isNaN32(want[i]) && isNaN32(got[i])) {
					t.Fatalf("k=%d alpha=%g beta=%g: C[%d] = %g (wide), %g (four tiles)", k, ab[0], ab[1], i, got[i], want[i])
				}
			}
		}
	}
}

func isNaN32(v float32) bool { return v != v }

// TestKernelWideDirectMatchesPacked: the kernel that reads 12 rows of A in place gives
// the bits of packing them and running the wide kernel.
func TestKernelWideDirectMatchesPacked(t *testing.T) {
	if !hasAVX512 {
		t.Skip("this CPU has no AVX-512: A is always packed here")
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 63, 255, 256, 257} {
		for _, ab := range [][2]float32{{1, 0}, {-0.5, 0}, {1, 1}, {2, -0.75}} {
			const ldc = 2*nr + 5
			lda := k + 3
			a := randSlice(r, (2*mr-1)*lda+k)
			b0, b1 := randSlice(r, nr*k), randSlice(r, nr*k)
			c := randSlice(r, (2*mr-1)*ldc+2*nr+5)
			if ab[1] == 0 {
				for i := range c {
					c[i] = float32(math.NaN())
				}
			}
			want, got := append([]float32(nil), c...), append([]float32(nil), c...)
			kernelWideDirectGo(k, a, lda, b0, b1, want, ldc, ab[0], ab[1])
			kernelWideDirect(k, a, lda, b0, b1, got, ldc, ab[0], ab[1])
			for i := range want {
				if math.Float32bits(want[i]) != math.Float32bits(got[i]) && !(isNaN32(want[i]) && isNaN32(got[i])) {
					t.Fatalf("k=%d alpha=%g beta=%g: C[%d] = %g (direct), %g (packed)", k, ab[0], ab[1], i, got[i], want[i])
				}
			}
		}
	}
}

// TestKernelWideRowsMatch runs the 8- and 4-row wide kernels, packed and direct, in
// assembly, and wants the first rows of what the 12-row kernel computes, bit for
// bit, and nothing written past their rows.
func TestKernelWideRowsMatch(t *testing.T) {
	if !hasAVX512 {
		t.Skip("this CPU has no AVX-512")
	}
	r := rand.New(rand.NewPCG(13, 14))
	for _, rows := range []int{8, 4} {
		for _, k := range []int{1, 2, 3, 4, 5, 8, 9, 63, 256, 257} {
			for _, ab := range [][2]float32{{1, 0}, {-0.5, 0}, {1, 1}, {2, -0.75}} {
				const ldc = 2*nr + 5
				lda := k + 3
				a := randSlice(r, (rows-1)*lda+k) // exactly rows rows: a read past them would fault the race detector's bounds
				full := append(append([]float32(nil), a...), make([]float32, (2*mr-rows)*lda)...)
				a0, a1 := make([]float32, mr*k), make([]float32, mr*k)
				packANGo(a0, full, lda, k, mr)
				packANGo(a1, full[mr*lda:], lda, k, mr)
				b0, b1 := randSlice(r, nr*k), randSlice(r, nr*k)
				c := randSlice(r, (2*mr-1)*ldc+2*nr)
				want := append([]float32(nil), c...)
				kernelWide(k, a0, a1, b0, b1, want, ldc, ab[0], ab[1])
				for _, direct := range []bool{false, true} {
					got := append([]float32(nil), c...)
					if direct {
						kernelWideDirectRows(rows, k, a, lda, b0, b1, got, ldc, ab[0], ab[1])
					} else {
						kernelWideRows(rows, k, a0, a1, b0, b1, got, ldc, ab[0], ab[1])
					}
					for i := range got {
						w := want[i]
						if i >= rows*ldc || i%ldc >= 2*nr {
							w = c[i] // past the kernel's rows and columns: untouched
						}
						if math.Float32bits(w) != math.Float32bits(got[i]) {
							t.Fatalf("%d rows, k=%d, alpha=%g beta=%g, direct %v: C[%d] = %g, want %g", rows, k, ab[0], ab[1], direct, i, got[i], w)
						}
					}
				}
			}
		}
	}
}

// leadingDims returns the leading dimensions of op(A) (m×k) and op(B) (k×n) stored
// without padding.
func leadingDims(m, n, k int, transA, transB bool) (lda, ldb int) {
	lda, ldb = k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	return lda, ldb
}

// TestWideSameBits runs whole products with and without the wide kernel, ragged
// blocks and several k blocks included, and wants the same bits.
func TestWideSameBits(t *testing.T) {
	for _, p := range Products {
		t.Run(p.Name, func(t *testing.T) { wideSameBits(t, p.G) })
	}
}

func wideSameBits(t *testing.T, g Gemmer) {
	defer func(old bool) { useAVX512 = old }(useAVX512)
	r := rand.New(rand.NewPCG(9, 10))
	// Narrow products read A in place (directBlock): an odd number of B slivers (40
	// columns), LeNet's conv2 (50×64×500), rows left over for the packed path.
	for _, s := range [][3]int{{129, 67, 45}, {mc + 13, 3*nr + 5, 2*obQ + 7}, {2 * mr, 2 * nr, 16},
		{64, 40, 300}, {50, 64, 500}, {2*mc + 5, 300, 33}} {
		m, n, k := s[0], s[1], s[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, beta := range []float32{0, 1} {
					a, b, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
					lda, ldb := leadingDims(m, n, k, tA, tB)
					want, got := append([]float32(nil), c...), append([]float32(nil), c...)
					useAVX512 = false
					g.Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, beta, want, n)
					useAVX512 = true
					g.Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, beta, got, n)
					for i := range want {
						if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
							t.Fatalf("%dx%dx%d transA=%v transB=%v beta=%g: C[%d] = %g (wide), %g (narrow)",
								m, n, k, tA, tB, beta, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestKernelGenericMatchesAsm feeds both micro-kernels the same packed slivers,
// including k values around the assembly's unrolling by four.
func TestKernelGenericMatchesAsm(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("this CPU has no AVX2/FMA: only the portable kernel runs here")
	}
	defer func(old bool) { useAsm = old }(useAsm)
	r := rand.New(rand.NewPCG(5, 6))
	for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 9, 63, 255, 256, 257} {
		for _, ab := range [][2]float32{{1, 0}, {-0.5, 0}, {1, 1}, {2, -0.75}} {
			const ldc = nr + 3
			a, b := randSlice(r, mr*k), randSlice(r, nr*k)
			c := randSlice(r, (mr-1)*ldc+nr+3)
			if ab[1] == 0 {
				for i := range c {
					c[i] = float32(math.NaN())
				}
			}
			want, got := append([]float32(nil), c...), append([]float32(nil), c...)
			useAsm = false
			kernel(k, a, b, want, ldc, ab[0], ab[1])
			useAsm = true
			kernel(k, a, b, got, ldc, ab[0], ab[1])
			for i := range want {
				w, g := float64(want[i]), float64(got[i])
				if math.IsNaN(w) != math.IsNaN(g) || math.Abs(w-g) > 1e-5*float64(k)*(1+math.Abs(w)) {
					t.Fatalf("k=%d alpha=%g beta=%g: C[%d] = %g (assembly), %g (generic)", k, ab[0], ab[1], i, g, w)
				}
			}
		}
	}
}

func TestTilingCoversC(t *testing.T) {
	for _, s := range [][3]int{{1, 1, 1}, {20, 576, 25}, {96, 3025, 363}, {500, 800, 64}, {7, 5000, 9}, {5000, 7, 9}} {
		for w := 1; w <= 9; w++ {
			tl := tiling{g: gemm{m: s[0], n: s[1], k: s[2]}}
			tl.choose(w)
			if tl.count() > w || tl.count() < 1 {
				t.Fatalf("%v on %d workers: %d tiles", s, w, tl.count())
			}
			if tl.pm*tl.tm < s[0] || (tl.pm-1)*tl.tm >= s[0] || tl.pn*tl.tn < s[1] || (tl.pn-1)*tl.tn >= s[1] {
				t.Fatalf("%v on %d workers: %d×%d tiles of %d×%d do not cover C exactly", s, w, tl.pm, tl.pn, tl.tm, tl.tn)
			}
		}
	}
}

// TestNoAllocs checks that buffers are reused: no allocation per call once warm, on
// the caller alone and in parallel, on every path of both products.
func TestNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's bookkeeping allocates; counting allocations means nothing under it")
	}
	for _, p := range Products {
		for _, s := range [][3]int{{20, 576, 25}, {96, 3025, 363}, {10, 4096, 300}, {10, 300, 4096}} {
			m, n, k := s[0], s[1], s[2]
			r := rand.New(rand.NewPCG(12, 13))
			a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
			for _, tB := range []bool{false, true} {
				ldb := n
				if tB {
					ldb = k
				}
				allocs := testing.AllocsPerRun(20, func() {
					p.G.Sgemm(false, tB, m, n, k, 1, a, k, b, ldb, 0, c, n)
				})
				if allocs > 0 {
					t.Errorf("%s %dx%dx%d transB=%v: %v allocations per call", p.Name, m, n, k, tB, allocs)
				}
			}
		}
	}
}

// benchShapes are the products gocaffe's layers make for a batch of LeNet,
// cifar10_quick and AlexNet-like layers: convolution forward W·col, its weight
// gradient dY·colᵀ and data gradient Wᵀ·dY, the inner products and their
// gradients, the bias terms (k = 1 products and matrix-vector products).
var benchShapes = []benchShape{
	{"conv_fwd", 20, 576, 25, false, false},
	{"conv_fwd", 50, 64, 500, false, false},
	{"conv_fwd", 32, 1024, 75, false, false},
	{"conv_fwd", 64, 64, 800, false, false},
	{"conv_fwd", 32, 256, 800, false, false},
	{"conv_fwd", 96, 3025, 363, false, false},
	{"conv_dW", 20, 25, 576, false, true},
	{"conv_dW", 50, 500, 64, false, true},
	{"conv_dW", 32, 75, 1024, false, true},
	{"conv_dW", 64, 800, 64, false, true},
	{"conv_dW", 96, 363, 3025, false, true},
	{"conv_dX", 25, 576, 20, true, false},
	{"conv_dX", 500, 64, 50, true, false},
	{"conv_dX", 75, 1024, 32, true, false},
	{"conv_dX", 800, 64, 64, true, false},
	{"conv_dX", 363, 3025, 96, true, false},
	{"ip_fwd", 64, 500, 800, false, true},
	{"ip_fwd", 64, 10, 500, false, true},
	{"conv_dW", 32, 800, 256, false, true},
	{"conv_dW", 64, 27, 1024, false, true},
	{"ip_dX", 64, 800, 500, false, false},
	{"ip_dX", 64, 500, 10, false, false},
	{"ip_dW", 500, 800, 64, true, false},
	{"ip_dW", 10, 500, 64, true, false},
	{"bias_fwd", 64, 500, 1, false, false},
	{"bias_fwd", 96, 3025, 1, false, false},
	{"gemv_T", 1, 500, 64, false, false},
	{"gemv_N", 96, 1, 3025, false, false},
	{"square", 256, 256, 256, false, false},
}

// BenchmarkSgemm measures every implementation on every shape in one run, so that
// their ratios are not skewed by what else the machine is doing. Naive runs on the
// small shapes only.
func BenchmarkSgemm(b *testing.B) {
	impls := []struct {
		name string
		g    Gemmer
	}{{"naive", Naive{}}, {"gonum", Gonum{}}, {"ordered", Ordered{}}, {"fast", Fast{}}}
	for _, s := range benchShapes {
		for _, impl := range impls {
			if impl.name == "naive" && s.m*s.n*s.k > 1<<20 {
				continue
			}
			b.Run(fmt.Sprintf("%s_%dx%dx%d/%s", s.name, s.m, s.n, s.k, impl.name), func(b *testing.B) {
				benchGemm(b, impl.g, s)
			})
		}
	}
}

// benchShape is one product a benchmark times: C (m×n) = op(A)·op(B), k inner.
type benchShape struct {
	name           string
	m, n, k        int
	transA, transB bool
}

// benchGemm times g on s with random operands and reports GFLOP per second and per
// CPU-second (the steadier figure on a shared machine).
func benchGemm(b *testing.B, g Gemmer, s benchShape) {
	m, n, k := s.m, s.n, s.k
	r := rand.New(rand.NewPCG(3, 4))
	a, bm, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	lda, ldb := leadingDims(m, n, k, s.transA, s.transB)
	start, cpuStart := time.Now(), cputime.Process()
	for b.Loop() {
		g.Sgemm(s.transA, s.transB, m, n, k, 1, a, lda, bm, ldb, 0, c, n)
	}
	gflop := 2 * float64(m*n*k) * float64(b.N) / 1e9
	b.ReportMetric(gflop/time.Since(start).Seconds(), "GFLOP/s")
	if cpu := cputime.Process() - cpuStart; cpu > 0 {
		b.ReportMetric(gflop/cpu.Seconds(), "GFLOP/cpu-s")
	}
}

// TestPackGenericMatchesAsm packs the same blocks with the assembly and the
// portable packing, which must agree exactly, ragged slivers and tails included.
func TestPackGenericMatchesAsm(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("this CPU has no AVX2/FMA: only the portable packing runs here")
	}
	defer func(old bool) { useAsm = old }(useAsm)
	r := rand.New(rand.NewPCG(14, 15))
	for _, kk := range []int{1, 7, 8, 9, 16, 23, 255, 256} {
		for _, size := range []int{1, 5, 6, 7, 15, 16, 17, 40} {
			for _, trans := range []bool{false, true} {
				const pad = 3
				// A block of size×kk of op(A) and kk×size of op(B), at an offset into
				// larger matrices so that packing reads from the middle of them.
				g := gemm{transA: trans, transB: trans, m: size + 2, n: size + 2, k: kk + 1}
				g.lda, g.ldb = g.k+pad, g.n+pad
				if trans {
					g.lda, g.ldb = g.m+pad, g.k+pad
				}
				g.a, g.b = randSlice(r, (g.m+g.k)*g.lda), randSlice(r, (g.n+g.k)*g.ldb)
				for _, side := range []string{"A", "B"} {
					var want, got []float32
					for _, asm := range []bool{false, true} {
						useAsm = asm
						// NaN shows any element the packing fails to write.
						dst := make([]float32, max(roundUp(size, mr), roundUp(size, nr))*kk)
						for i := range dst {
							dst[i] = float32(math.NaN())
						}
						if side == "A" {
							g.packA(new(workspace), dst, 1, size, 1, kk)
							dst = dst[:roundUp(size, mr)*kk]
						} else {
							g.packB(new(workspace), dst, 1, kk, 1, size)
						}
						if asm {
							got = dst
						} else {
							want = dst
						}
					}
					for i := range want {
						if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
							t.Fatalf("pack%s kk=%d size=%d trans=%v: element %d = %g (assembly), %g (generic)", side, kk, size, trans, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestAxpyGenericMatchesAsm compares the fused axpy the kernels' edges merge with,
// in assembly and in Go, bit for bit, for every length up to a few times its
// unrolling.
func TestAxpyGenericMatchesAsm(t *testing.T) {
	if !hasAVX2FMA {
		t.Skip("this CPU has no AVX2/FMA: only the portable kernels run here")
	}
	defer func(old bool) { useAsm = old }(useAsm)
	r := rand.New(rand.NewPCG(16, 17))
	for n := 0; n <= 75; n++ {
		x, y := randSlice(r, n), randSlice(r, n)
		useAsm = false
		want := append([]float32(nil), y...)
		axpy32(-1.5, x, want)
		useAsm = true
		got := append([]float32(nil), y...)
		axpy32(-1.5, x, got)
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
				t.Fatalf("axpy n=%d: y[%d] = %g (assembly), %g (generic)", n, i, got[i], want[i])
			}
		}
	}
}

// netShapes are the products of one image of the bigger reference nets (ResNet-50,
// AlexNet, SqueezeNet v1.1): each convolution's forward W·col, weight gradient
// dY·colᵀ and data gradient Wᵀ·dY (m, n, k as Gemm gets them), and AlexNet's inner
// products for a batch of 10.
var netShapes = []benchShape{
	{"resnet_conv1_fwd", 64, 12544, 147, false, false},
	{"resnet_conv1_dW", 64, 147, 12544, false, true},
	{"resnet_res2_3x3_fwd", 64, 3136, 576, false, false},
	{"resnet_res2_3x3_dW", 64, 576, 3136, false, true},
	{"resnet_res2_3x3_dX", 576, 3136, 64, true, false},
	{"resnet_res2_1x1_fwd", 256, 3136, 64, false, false},
	{"resnet_res3_3x3_fwd", 128, 784, 1152, false, false},
	{"resnet_res3_3x3_dW", 128, 1152, 784, false, true},
	{"resnet_res3_3x3_dX", 1152, 784, 128, true, false},
	{"resnet_res4_3x3_fwd", 256, 196, 2304, false, false},
	{"resnet_res4_3x3_dW", 256, 2304, 196, false, true},
	{"resnet_res4_3x3_dX", 2304, 196, 256, true, false},
	{"resnet_res4_1x1_fwd", 1024, 196, 256, false, false},
	{"resnet_res5_3x3_fwd", 512, 49, 4608, false, false},
	{"resnet_res5_3x3_dW", 512, 4608, 49, false, true},
	{"resnet_res5_3x3_dX", 4608, 49, 512, true, false},
	{"resnet_res5_1x1_fwd", 2048, 49, 512, false, false},
	{"resnet_res5_1x1_dX", 512, 49, 2048, true, false},
	{"alexnet_conv1_fwd", 96, 3025, 363, false, false},
	{"alexnet_conv1_dWT", 363, 96, 3025, false, true},
	{"alexnet_conv1_dX", 363, 3025, 96, true, false},
	{"alexnet_conv1_dWT", 363, 96, 3025, false, true},
	{"alexnet_conv1_dX", 363, 3025, 96, true, false},
	{"alexnet_conv2_fwd", 128, 729, 1200, false, false},
	{"alexnet_conv2_dW", 128, 1200, 729, false, true},
	{"alexnet_conv2_dX", 1200, 729, 128, true, false},
	{"alexnet_conv3_fwd", 384, 169, 2304, false, false},
	{"alexnet_conv3_dW", 384, 2304, 169, false, true},
	{"alexnet_conv3_dX", 2304, 169, 384, true, false},
	{"alexnet_fc7_fwd", 10, 4096, 4096, false, true},
	{"alexnet_fc7_dX", 10, 4096, 4096, false, false},
	{"alexnet_conv3_dW", 384, 2304, 169, false, true},
	{"alexnet_conv3_dX", 2304, 169, 384, true, false},
	{"alexnet_fc6_fwd", 10, 4096, 9216, false, true},
	{"alexnet_fc6_dW", 4096, 9216, 10, true, false},
	{"alexnet_fc6_dX", 10, 9216, 4096, false, false},
	{"squeezenet_conv1_fwd", 64, 12769, 27, false, false},
	{"squeezenet_expand3x3_fwd", 64, 3136, 144, false, false},
	{"squeezenet_conv10_fwd", 1000, 169, 512, false, false},
}

// BenchmarkSgemmNets measures Ordered and Fast on netShapes. To compare one core with two, set
// GOMAXPROCS in the environment: -cpu does not give the products one core.
func BenchmarkSgemmNets(b *testing.B) {
	for _, s := range netShapes {
		for _, impl := range []struct {
			name string
			g    Gemmer
		}{{"ordered", Ordered{}}, {"fast", Fast{}}} {
			b.Run(fmt.Sprintf("%s_%dx%dx%d/%s", s.name, s.m, s.n, s.k, impl.name), func(b *testing.B) {
				benchGemm(b, impl.g, s)
			})
		}
	}
}

// TestOrderedOpenBLASOrder wants Ordered to give, bit for bit, what orderRef computes one
// element at a time in OpenBLAS's order: the shapes of cifar10_quick's and LeNet's
// products (forward, weight and data gradients), threaded and one-thread ones, k
// blocks of every kind, and every transposition, on one core and on several.
func TestOrderedOpenBLASOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	shapes := [][3]int{
		{32, 1024, 75}, {32, 75, 1024}, {75, 1024, 32}, // cifar10_quick conv1
		{32, 256, 800}, {32, 800, 256}, {800, 256, 32}, // conv2
		{64, 64, 800}, {64, 800, 64}, {800, 64, 64}, // conv3
		{100, 64, 1024}, {64, 1024, 100}, {100, 1024, 64}, // ip1
		{100, 10, 64}, {10, 64, 100}, {100, 64, 10}, // ip2
		{20, 576, 25}, {50, 64, 500}, {100, 500, 800}, {64, 10, 500}, // LeNet
		{19, 104, 163}, {16, 117, 260}, {11, 87, 295}, {13, 419, 53}, {32, 122, 263},
		{20, 29, 226}, {12, 408, 20}, {7, 1000, 9}, {5, 3, 700}, {3, 5, 1500}, {1, 37, 300}, {37, 1, 300},
	}
	keep := testutil.Every(t, 8, "every shape on one core, and every third on four")
	for _, procs := range []int{1, 4} {
		old := runtime.GOMAXPROCS(procs)
		for si, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			if procs > 1 && si%3 != 0 {
				continue // the tiling changes with the cores, the order must not
			}
			if !keep(si) {
				continue
			}
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					for _, beta := range []float32{0, 1, 0.5} {
						if beta == 0.5 && (tA || tB) {
							continue
						}
						a, b, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
						lda, ldb := k, n
						if tA {
							lda = m
						}
						if tB {
							ldb = k
						}
						want := append([]float32(nil), c...)
						orderRef(&gemm{transA: tA, transB: tB, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: want, ldc: n, ordered: true})
						Ordered{}.Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, beta, c, n)
						for i := range c {
							if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
								t.Fatalf("GOMAXPROCS %d, %d×%d×%d tA=%v tB=%v beta=%v: C[%d,%d] = %v, OpenBLAS's order gives %v",
									procs, m, n, k, tA, tB, beta, i/n, i%n, c[i], want[i])
							}
						}
					}
				}
			}
		}
		runtime.GOMAXPROCS(old)
	}
}

// TestGemmBlocksAddUp wants GemmBlocks then AddBlocks to give the bits of Gemm with
// beta 1, for products of one, two and four k blocks, threaded and not; and, with the
// naive GEMM selected (whose sums have no blocks), about the same values.
func TestGemmBlocksAddUp(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, name := range []string{"ordered", "naive"} {
		restore := Use(name, Implementations[name])
		for _, s := range [][3]int{{20, 25, 576}, {32, 75, 1024}, {50, 500, 64}, {7, 9, 1}, {3, 4, 700}} {
			m, n, k := s[0], s[1], s[2]
			for _, tB := range []bool{false, true} {
				a, b, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, m*n)
				want := append([]float32(nil), c...)
				Gemm(false, tB, m, n, k, 1, a, b, 1, want)
				parts := make([][]float32, KBlocks(m, n, k))
				for i := range parts {
					parts[i] = randSlice(r, m*n) // garbage: GemmBlocks overwrites it
				}
				GemmBlocks(false, tB, m, n, k, a, b, parts)
				AddBlocks(c, parts)
				for i := range c {
					same := math.Float32bits(c[i]) == math.Float32bits(want[i])
					if name != "ordered" {
						same = math.Abs(float64(c[i]-want[i])) <= 1e-5*(1+math.Abs(float64(want[i])))
					}
					if !same {
						t.Fatalf("%s %d×%d×%d tB=%v: C[%d] = %v, Gemm gives %v", name, m, n, k, tB, i, c[i], want[i])
					}
				}
			}
		}
		restore()
	}
}

// TestKernelTwoChainSameBits runs the two-chain kernel with AVX-512 and with the
// strided AVX2 kernel (and in Go), for every k remainder mod 8, beta 0 and 1.
func TestKernelTwoChainSameBits(t *testing.T) {
	defer func(avx512, asm bool) { useAVX512, useAsm = avx512, asm }(useAVX512, useAsm)
	r := rand.New(rand.NewPCG(51, 52))
	for _, k := range []int{8, 9, 15, 16, 17, 23, 75, 320} {
		a, b, c := randSlice(r, mr*k), randSlice(r, nr*k), randSlice(r, mr*20)
		for _, beta := range []float32{0, 1} {
			var results [][]float32
			for _, mode := range [][2]bool{{true, true}, {false, true}, {false, false}} {
				useAVX512, useAsm = mode[0], mode[1]
				got := append([]float32(nil), c...)
				kernelTwoChain(k, a, b, got, 20, beta)
				results = append(results, got)
			}
			for m := 1; m < len(results); m++ {
				for i := range results[0] {
					if math.Float32bits(results[m][i]) != math.Float32bits(results[0][i]) {
						t.Fatalf("k=%d beta=%v: mode %d gives C[%d] = %v, the first %v", k, beta, m, i, results[m][i], results[0][i])
					}
				}
			}
		}
	}
}

// TestKernelTwoChain8MatchesWide wants the 6×8 two-chain kernel, in assembly and in
// Go, to give the bits of the 16-column one on either half of a sliver.
func TestKernelTwoChain8MatchesWide(t *testing.T) {
	defer func(old bool) { useAsm = old }(useAsm)
	r := rand.New(rand.NewPCG(61, 62))
	for _, k := range []int{8, 9, 16, 21, 50, 288} {
		a, b := randSlice(r, mr*k), randSlice(r, nr*k)
		var wide [mr * nr]float32
		kernelTwoChain(k, a, b, wide[:], nr, 0)
		for _, asm := range []bool{true, false} {
			useAsm = asm
			for half := 0; half < 2; half++ {
				var narrow [mr * 8]float32
				kernelTwoChain8(k, a, b[half*8:], narrow[:], 8, 0)
				for i := range narrow {
					want := wide[i/8*nr+half*8+i%8]
					if math.Float32bits(narrow[i]) != math.Float32bits(want) {
						t.Fatalf("k=%d asm=%v half %d: C[%d] = %v, the 16-column kernel %v", k, asm, half, i, narrow[i], want)
					}
				}
			}
		}
	}
}
