// Package blas is gocaffe's single-precision linear algebra: the matrix product every
// convolution and inner product reduces to, and the few vector operations the solvers
// and layers need.
//
// Like gonum's blas32, the matrix product goes through a small interface with
// interchangeable implementations: Naive (the triple loop everyone can read, summing
// in float64: the reference of the values, which the others must come within a
// tolerance of), Gonum (gonum's pure-Go kernel), Fast (packed panels and
// AVX2/AVX-512 micro-kernels, summing in whatever order is fastest: the product of
// the fast numerics) and Ordered (the same kernels summing in OpenBLAS's order,
// openblas_order.go, so that its products are Caffe's bit for bit: the product of
// the caffe numerics). Gemm uses the one the current numerics
// (internal/math/numerics) asks for, unless UseByName chose another. Matrices are
// row-major, as in Caffe.
//
// The bit-level reference of the caffe numerics is the real OpenBLAS 0.3.21 (Zen
// kernels, two threads), which internal/math/openblas calls through cgo under the
// openblas build tag and checks Ordered against. Without the library, Ordered is
// held to orderRef (openblas_order.go), OpenBLAS's order one element at a time, and
// Gemv and the vector operations to testdata/openblas.txt, hashes of the library's
// outputs.
//
// Gemv and the vector operations (Axpy, Axpby, Scal, Scale, Dot, DotStrided, Asum)
// have one implementation each: OpenBLAS 0.3.21's arithmetic, bit for bit, as the CPU
// Caffe that made gocaffe's fixtures computed them through its caffe_cpu_* wrappers
// (see sgemv.go and vec.go; the reference machine ran OpenBLAS's Zen kernels, which
// are its Haswell ones but for sasum). AxpyPart computes a range of an Axpy with the
// whole one's roundings, for loops split over the cores; Ones is the vector of ones
// Caffe sums with; Powx is Caffe's caffe_powx, glibc's powf per element. A training
// run is chaotic enough that any other order of additions, or a multiply-add fused
// where OpenBLAS rounds twice, ends up in a different log. They cost little beside
// the products, so the fast numerics uses them too.
package blas

import (
	"fmt"
	"sync/atomic"

	"github.com/gocaffe/gocaffe/internal/math/numerics"
)

// Gemmer computes C = alpha·op(A)·op(B) + beta·C, where op(X) is X or Xᵀ, op(A) is
// m×k, op(B) is k×n and C is m×n, all row-major with leading dimensions lda, ldb, ldc
// (the distance between the starts of consecutive rows). beta == 0 overwrites C
// without reading it, so C may hold garbage (even NaN) on entry.
type Gemmer interface {
	Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
		b []float32, ldb int, beta float32, c []float32, ldc int)
}

// override, when set, is the product Gemm uses whatever the numerics.
var override atomic.Pointer[namedGemmer]

type namedGemmer struct {
	name string
	Gemmer
}

// Implementations are the GEMMs gocaffe has, by name, for UseByName.
var Implementations = map[string]Gemmer{"naive": Naive{}, "gonum": Gonum{}, "fast": Fast{}, "ordered": Ordered{}}

// UseByName makes the named implementation the one behind Gemm, whatever the
// numerics; "" goes back to the numerics' own.
func UseByName(name string) error {
	if name == "" {
		override.Store(nil)
		return nil
	}
	g, ok := Implementations[name]
	if !ok {
		return fmt.Errorf("unknown GEMM %q (want naive, gonum, fast or ordered)", name)
	}
	Use(name, g)
	return nil
}

// Use makes g the implementation behind Gemm, whatever the numerics, and returns the
// function that restores what was there before (tests defer it).
func Use(name string, g Gemmer) (restore func()) {
	old := override.Swap(&namedGemmer{name, g})
	return func() { override.Store(old) }
}

// Current returns the name and implementation behind Gemm: the override, or the
// numerics' own product (fast: Fast, caffe: Ordered).
func Current() (string, Gemmer) {
	if o := override.Load(); o != nil {
		return o.name, o.Gemmer
	}
	if numerics.IsCaffe() {
		return "ordered", Ordered{}
	}
	return "fast", Fast{}
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C for densely packed row-major matrices:
// A is m×k (k×m when transA), B is k×n (n×k when transB), C is m×n. It is the call
// the layers make, in the form of Caffe's caffe_cpu_gemm.
func Gemm(transA, transB bool, m, n, k int, alpha float32, a, b []float32, beta float32, c []float32) {
	_, g := Current()
	gemmDense(g, transA, transB, m, n, k, alpha, a, b, beta, c)
}

// GemmOne is Gemm on the calling goroutine alone: for a caller that is itself one of
// several goroutines sharing a batch (a convolution's chunks), whose products would
// otherwise be cut into tiles for helpers that are busy — and pay for the cut (each
// tile packs its own blocks) for nothing. The bits are Gemm's.
func GemmOne(transA, transB bool, m, n, k int, alpha float32, a, b []float32, beta float32, c []float32) {
	gemmDense(serial(Current()), transA, transB, m, n, k, alpha, a, b, beta, c)
}

// gemmDense is g's Sgemm on densely packed matrices: each leading dimension is its
// matrix's row length.
func gemmDense(g Gemmer, transA, transB bool, m, n, k int, alpha float32, a, b []float32, beta float32, c []float32) {
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	g.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, n)
}

// serial returns g set to run on its caller alone, where it can be.
func serial(_ string, g Gemmer) Gemmer {
	switch p := g.(type) {
	case Fast:
		p.Serial = true
		return p
	case Ordered:
		p.Serial = true
		return p
	}
	return g
}

// isOrdered reports whether g is Ordered, serial or not.
func isOrdered(g Gemmer) bool {
	_, ok := g.(Ordered)
	return ok
}

// checkSizes panics with a clear message when a matrix slice is too short for the
// dimensions given: a programming error in a layer, never a user's.
func checkSizes(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	rowsA, colsA := m, k
	if transA {
		rowsA, colsA = k, m
	}
	rowsB, colsB := k, n
	if transB {
		rowsB, colsB = n, k
	}
	checkMatrix("A", a, rowsA, colsA, lda)
	checkMatrix("B", b, rowsB, colsB, ldb)
	checkMatrix("C", c, m, n, ldc)
}

// checkMatrix panics when s is too short for a rows×cols matrix with leading
// dimension ld.
func checkMatrix(name string, s []float32, rows, cols, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols || len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("blas: %s has %d elements, too few for %d×%d with leading dimension %d", name, len(s), rows, cols, ld))
	}
}
