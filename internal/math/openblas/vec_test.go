//go:build openblas

package openblas

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"

	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// These tests hold blas's Level 1 and 2 routines to OpenBLAS's bits. Run them with the
// reference machine's kernels and threads:
//
//	OPENBLAS_CORETYPE=Zen OPENBLAS_NUM_THREADS=2 go test -tags openblas ./internal/math/openblas

// randVec returns n floats of mixed signs and magnitudes (10⁻³ to 10³), so that
// summing them in another order, or rounding a product apart from its sum, shows.
func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(7)-3)))
	}
	return v
}

// firstDiff returns the first index where got and want differ in their bits, or -1.
func firstDiff(got, want []float32) int {
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			return i
		}
	}
	return -1
}

func TestGemvBits(t *testing.T) {
	shapes := [][2]int{
		{32, 1024}, {64, 256}, {32, 256}, {64, 64}, {10, 1}, {100, 64}, {100, 10},
		{1, 1}, {1, 7}, {1, 10}, {1, 100}, {1, 5000}, {1, 20000}, {2, 3}, {2, 6000},
		{3, 3}, {3, 5000}, {4, 3000}, {4, 2304}, {5, 2000}, {7, 1}, {20, 1}, {1000, 1},
		{10000, 1}, {3000, 3}, {5, 9}, {13, 17}, {17, 13}, {31, 33}, {33, 31},
		{50, 576}, {20, 800}, {500, 800}, {64, 4096}, {8, 5000}, {3, 9000}, {6000, 2},
		{4099, 6}, {6, 4099}, {8193, 3}, {3, 8193}, {100, 100}, {96, 96}, {97, 95},
		{1024, 9}, {9, 1024}, {2, 4609}, {4609, 2}, {256, 36}, {36, 256},
	}
	params := []struct{ alpha, beta float32 }{{1, 1}, {1, 0}, {0.5, 0.25}, {-1.5, 1}, {1, -2}}
	r := rand.New(rand.NewPCG(1, 2))
	for _, sh := range shapes {
		m, n := sh[0], sh[1]
		for _, trans := range []bool{false, true} {
			for _, p := range params {
				name := fmt.Sprintf("%dx%d/trans=%v/alpha=%g/beta=%g", m, n, trans, p.alpha, p.beta)
				a := randVec(r, m*n)
				lx, ly := n, m
				if trans {
					lx, ly = m, n
				}
				x := randVec(r, lx)
				if r.IntN(3) == 0 {
					for i := range x {
						x[i] = 1
					}
				}
				y := randVec(r, ly)
				want := append([]float32(nil), y...)
				Sgemv(trans, m, n, p.alpha, a, n, x, p.beta, want)
				got := append([]float32(nil), y...)
				blas.Gemv(trans, m, n, p.alpha, a, x, p.beta, got)
				if i := firstDiff(got, want); i >= 0 {
					t.Errorf("%s: y[%d] = %g (%#x), OpenBLAS %g (%#x)", name, i, got[i], math.Float32bits(got[i]),
						want[i], math.Float32bits(want[i]))
				}
				if allOnes(x) {
					got = append(got[:0], y...)
					blas.GemvOnes(trans, m, n, p.alpha, a, p.beta, got)
					if i := firstDiff(got, want); i >= 0 {
						t.Errorf("%s: GemvOnes y[%d] = %g, OpenBLAS %g", name, i, got[i], want[i])
					}
				}
			}
		}
	}
}

func allOnes(x []float32) bool {
	for _, v := range x {
		if v != 1 {
			return false
		}
	}
	return true
}

// vecLengths covers the kernels' blocks (32), OpenBLAS's thread split (above 10000)
// with and without remainders, and sasum's cases (up to 255, past it, past 200000).
var vecLengths = []int{0, 1, 2, 3, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 65, 100, 255, 256, 257, 262, 263,
	300, 1000, 1023, 2400, 9999, 10000, 10001, 10031, 10064, 10065, 12345, 25600, 51200, 65536, 65537,
	100000, 100001, 199999, 200000, 200001, 200063, 262144}

func TestAxpyBits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range vecLengths {
		for _, alpha := range []float32{-1, 0.001, 1.7, 0} {
			x, y := randVec(r, n), randVec(r, n)
			want := append([]float32(nil), y...)
			Saxpy(alpha, x, want)
			got := append([]float32(nil), y...)
			blas.Axpy(alpha, x, got)
			if i := firstDiff(got, want); i >= 0 {
				t.Errorf("Axpy n=%d alpha=%g: y[%d] = %g, OpenBLAS %g", n, alpha, i, got[i], want[i])
			}
		}
	}
}

func TestAxpbyBits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range vecLengths {
		for _, c := range []struct{ alpha, beta float32 }{{-0.01, 0.9}, {1, 0}, {0.5, 1}, {0, 0.9}} {
			x, y := randVec(r, n), randVec(r, n)
			// Caffe's cblas_saxpby without MKL: sscal, then saxpy.
			want := append([]float32(nil), y...)
			Sscal(c.beta, want)
			Saxpy(c.alpha, x, want)
			got := append([]float32(nil), y...)
			blas.Axpby(c.alpha, x, c.beta, got)
			if i := firstDiff(got, want); i >= 0 {
				t.Errorf("Axpby n=%d %+v: y[%d] = %g, OpenBLAS %g", n, c, i, got[i], want[i])
			}
		}
	}
}

func TestScalBits(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	nan := float32(math.NaN())
	for _, n := range vecLengths {
		for _, alpha := range []float32{0, 1, -1, 0.9, 3e-5, nan} {
			x := randVec(r, n)
			if n > 2 {
				x[1], x[2] = nan, float32(math.Inf(-1))
			}
			want := append([]float32(nil), x...)
			Sscal(alpha, want)
			got := append([]float32(nil), x...)
			blas.Scal(alpha, got)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Errorf("Scal n=%d alpha=%g: x[%d] = %g, OpenBLAS %g", n, alpha, i, got[i], want[i])
					break
				}
			}
		}
	}
}

func TestDotBits(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range vecLengths {
		x, y := randVec(r, n), randVec(r, n)
		for _, c := range []struct {
			name string
			y    []float32
		}{{"x·y", y}, {"x·x", x}} {
			got, want := blas.Dot(x, c.y), Sdot(x, c.y)
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Errorf("Dot %s n=%d: %g, OpenBLAS %g", c.name, n, got, want)
			}
		}
	}
}

func TestDotStridedBits(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{0, 1, 2, 3, 4, 5, 7, 10, 31, 32, 33, 100, 1000, 10001, 20000} {
		for _, inc := range [][2]int{{1, 1}, {2, 2}, {6, 6}, {1, 3}, {4, 1}, {100, 7}} {
			x, y := randVec(r, max(1, (n-1)*inc[0]+1)), randVec(r, max(1, (n-1)*inc[1]+1))
			got, want := blas.DotStrided(n, x, inc[0], y, inc[1]), SdotStrided(n, x, inc[0], y, inc[1])
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Errorf("DotStrided n=%d increments %v: %g, OpenBLAS %g", n, inc, got, want)
			}
		}
	}
}

// TestScaleBits: Caffe's caffe_cpu_scale is scopy, then sscal.
func TestScaleBits(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	nan := float32(math.NaN())
	for _, n := range vecLengths {
		for _, alpha := range []float32{0, 1, -1, 0.9, nan} {
			x := randVec(r, n)
			if n > 2 {
				x[1], x[2] = nan, float32(math.Inf(-1))
			}
			want := make([]float32, n)
			Scopy(x, want)
			Sscal(alpha, want)
			got := make([]float32, n)
			blas.Scale(alpha, x, got)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Errorf("Scale n=%d alpha=%g: y[%d] = %g, OpenBLAS %g", n, alpha, i, got[i], want[i])
					break
				}
			}
		}
	}
}

// TestPowxBits: Caffe's caffe_powx is the C library's powf per element, for 2 and 0.5
// too (which are not x·x and the square root).
func TestPowxBits(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	x := randVec(r, 1<<16)
	for _, b := range []float32{2, 0.5, -1, -0.75, 3} {
		got := make([]float32, len(x))
		blas.Powx(x, b, got)
		for i, v := range x {
			want := Powf(v, b)
			if math.Float32bits(got[i]) != math.Float32bits(want) && !(got[i] != got[i] && want != want) {
				t.Errorf("Powx(%g, %g) = %g, powf gives %g", v, b, got[i], want)
				break
			}
		}
	}
}

func TestAsumBits(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range vecLengths {
		buf := randVec(r, n+8)
		// Every offset from a 32-byte boundary: sasum's loop aligns itself, so
		// AsumAt is told where x lies modulo 16 bytes.
		for off := range 8 {
			x := buf[off : off+n]
			var mis int
			if n > 0 {
				mis = int(uintptr(unsafe.Pointer(&x[0])) % 16 / 4)
			}
			got, want := blas.AsumAt(x, mis), Sasum(x)
			if math.Float32bits(got) != math.Float32bits(want) {
				t.Errorf("Asum n=%d offset %d: %g, OpenBLAS %g", n, off, got, want)
			}
		}
	}
}

var update = flag.Bool("update", false, "rewrite the golden files the selected tests check (../blas/testdata/openblas.txt, ../cmath/testdata/pow.txt, ...) from OpenBLAS and the C library")

// goldenCase is one line of ../blas/testdata/openblas.txt: a call whose inputs
// testutil.GoldenVec makes from the seed, and the FNV-1a hash of OpenBLAS's output bits. The
// blas package's tests recompute the call and check the hash on machines without
// OpenBLAS.
type goldenCase struct {
	op          string // gemv, axpy, axpby, scal, dot, asum
	trans, ones bool   // gemv
	m, n        int    // gemv: the matrix; the others: n elements
	off         int    // asum: floats from a 32-byte boundary
	incx, incy  int    // dots: the increments of the strided dot
	alpha, beta float32
	seed        uint64
}

func goldenCases() []goldenCase {
	var cs []goldenCase
	seed := uint64(1)
	add := func(c goldenCase) {
		c.seed = seed
		seed++
		cs = append(cs, c)
	}
	for _, sh := range [][2]int{
		{32, 1024}, {64, 256}, {32, 256}, {64, 64}, {10, 1}, {100, 64}, {100, 10}, {1, 10}, {1, 20000},
		{2, 6000}, {3, 5000}, {4, 2304}, {5, 2000}, {7, 1}, {10000, 1}, {3000, 3}, {13, 17}, {31, 33},
		{50, 576}, {500, 800}, {64, 4096}, {4099, 6}, {6, 4099}, {8193, 3}, {3, 8193}, {97, 95},
		{9, 1024}, {2, 4609}, {4609, 2},
	} {
		for _, trans := range []bool{false, true} {
			add(goldenCase{op: "gemv", trans: trans, ones: true, m: sh[0], n: sh[1], alpha: 1, beta: 1})
			add(goldenCase{op: "gemv", trans: trans, m: sh[0], n: sh[1], alpha: -0.75, beta: 0.5})
			add(goldenCase{op: "gemv", trans: trans, ones: true, m: sh[0], n: sh[1], alpha: 1, beta: 0})
		}
	}
	for _, n := range []int{1, 31, 32, 33, 100, 1000, 2400, 10001, 10031, 10065, 25600, 65537, 200001} {
		add(goldenCase{op: "axpy", n: n, alpha: -0.01})
		add(goldenCase{op: "axpby", n: n, alpha: 0.001, beta: 0.9})
		add(goldenCase{op: "scal", n: n, alpha: 0.9})
		add(goldenCase{op: "scal", n: n, alpha: 0})
		add(goldenCase{op: "dot", n: n})
	}
	for _, n := range []int{5, 8, 100, 255, 256, 262, 263, 1000, 2400, 100001, 200001, 262144} {
		for _, off := range []int{0, 3, 4} {
			add(goldenCase{op: "asum", n: n, off: off})
		}
	}
	for _, n := range []int{1, 2, 7, 10, 33, 1000, 10001} {
		for _, inc := range [][2]int{{2, 2}, {6, 6}, {1, 3}, {49, 49}} {
			add(goldenCase{op: "dots", n: n, incx: inc[0], incy: inc[1]})
		}
	}
	return cs
}

// run computes the case with OpenBLAS and returns the output.
func (c goldenCase) run() []float32 {
	switch c.op {
	case "gemv":
		lx, ly := c.n, c.m
		if c.trans {
			lx, ly = c.m, c.n
		}
		a, x, y := testutil.GoldenVec(4*c.seed, c.m*c.n), testutil.GoldenVec(4*c.seed+1, lx), testutil.GoldenVec(4*c.seed+2, ly)
		if c.ones {
			for i := range x {
				x[i] = 1
			}
		}
		Sgemv(c.trans, c.m, c.n, c.alpha, a, c.n, x, c.beta, y)
		return y
	case "axpy", "axpby":
		x, y := testutil.GoldenVec(4*c.seed, c.n), testutil.GoldenVec(4*c.seed+1, c.n)
		if c.op == "axpby" {
			Sscal(c.beta, y)
		}
		Saxpy(c.alpha, x, y)
		return y
	case "scal":
		x := testutil.GoldenVec(4*c.seed, c.n)
		Sscal(c.alpha, x)
		return x
	case "dot":
		x, y := testutil.GoldenVec(4*c.seed, c.n), testutil.GoldenVec(4*c.seed+1, c.n)
		return []float32{Sdot(x, y)}
	case "dots":
		x, y := testutil.GoldenVec(4*c.seed, (c.n-1)*c.incx+1), testutil.GoldenVec(4*c.seed+1, (c.n-1)*c.incy+1)
		return []float32{SdotStrided(c.n, x, c.incx, y, c.incy)}
	case "asum":
		x := testutil.Aligned32(c.n, c.off)
		copy(x, testutil.GoldenVec(4*c.seed, c.n))
		return []float32{Sasum(x)}
	}
	panic("unknown op " + c.op)
}

func (c goldenCase) String() string {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	s := fmt.Sprintf("op=%s trans=%d ones=%d m=%d n=%d off=%d alpha=%v beta=%v seed=%d",
		c.op, b(c.trans), b(c.ones), c.m, c.n, c.off, c.alpha, c.beta, c.seed)
	if c.op == "dots" {
		s += fmt.Sprintf(" incx=%d incy=%d", c.incx, c.incy)
	}
	return s
}

// TestGolden writes the blas package's golden file with -update, and otherwise
// checks that the file is what OpenBLAS computes.
func TestGolden(t *testing.T) {
	const path = "../blas/testdata/openblas.txt"
	var sb strings.Builder
	sb.WriteString("# Outputs of OpenBLAS 0.3.21 (Zen kernels, 2 threads) for blas's golden test:\n")
	sb.WriteString("# each line a call, its inputs made from the seed, and the FNV-1a hash of the output bits.\n")
	sb.WriteString("# Regenerate: OPENBLAS_CORETYPE=Zen OPENBLAS_NUM_THREADS=2 go test -tags openblas ./internal/math/openblas -run TestGolden -update\n")
	for _, c := range goldenCases() {
		fmt.Fprintf(&sb, "%v hash=%016x\n", c, testutil.GoldenHash(c.run()))
	}
	testutil.CheckGolden(t, path, sb.String(), *update, "OpenBLAS")
}
