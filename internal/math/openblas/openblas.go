//go:build openblas

// Package openblas calls the real OpenBLAS (and the C library's expf, logf, powf, tanhf
// and pow) through cgo: the oracle gocaffe's pure-Go arithmetic is checked against, bit for
// bit. Caffe on a CPU is Caffe linked with OpenBLAS, so its numbers are OpenBLAS's
// numbers; Caffe's outputs under testdata/fixtures were made with Debian 12's OpenBLAS
// 0.3.21 on an AMD EPYC, where OpenBLAS runs its Zen kernels. For every routine Caffe
// calls those are its Haswell kernels, sasum aside (the Zen sasum is the older SSE
// kernel, which the fixtures' Reduction ASUM results show).
//
// It is built only with the openblas tag, on a machine with Debian's
// libopenblas-pthread-dev (apt-get install libopenblas-pthread-dev):
//
//	OPENBLAS_CORETYPE=Zen OPENBLAS_NUM_THREADS=2 go test -tags openblas ./internal/math/openblas
//
// OPENBLAS_CORETYPE=Zen selects the kernels the fixtures' machine ran, whatever this
// CPU is (a virtual machine that hides the CPU's family gets the Haswell ones, whose
// sasum differs); OPENBLAS_NUM_THREADS=2 the threading it ran with (two cores), which
// decides how OpenBLAS cuts a product into kernel calls.
//
// Solver (solver.go) is a C transcription of Caffe's solvers on these libraries: the
// oracle of gocaffe's solver updates.
//
// With the tag, gocaffe also gets a GEMM named "openblas" (GOCAFFE_GEMM=openblas).
package openblas

/*
#cgo CFLAGS: -I/usr/include/x86_64-linux-gnu/openblas-pthread
#cgo LDFLAGS: -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -lm
#include <cblas.h>
#include <math.h>
static float gc_expf(float x) { return expf(x); }
static float gc_logf(float x) { return logf(x); }
static float gc_powf(float x, float y) { return powf(x, y); }
static double gc_pow(double x, double y) { return pow(x, y); }
static float gc_tanhf(float x) { return tanhf(x); }
*/
import "C"

import "github.com/gocaffe/gocaffe/internal/math/blas"

func trans(t bool) uint32 {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

func ptr(s []float32) *C.float {
	if len(s) == 0 {
		return nil
	}
	return (*C.float)(&s[0])
}

// Gemm is cblas_sgemm, row-major, with blas.Gemmer's arguments.
type Gemm struct{}

// Sgemm implements blas.Gemmer.
func (Gemm) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	C.cblas_sgemm(C.CblasRowMajor, trans(transA), trans(transB), C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), ptr(a), C.blasint(lda), ptr(b), C.blasint(ldb), C.float(beta), ptr(c), C.blasint(ldc))
}

// Sgemv is cblas_sgemv, row-major: y = alpha·op(A)·x + beta·y for the m×n matrix A
// (leading dimension lda), as Caffe's caffe_cpu_gemv calls it.
func Sgemv(transA bool, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32) {
	C.cblas_sgemv(C.CblasRowMajor, trans(transA), C.blasint(m), C.blasint(n), C.float(alpha), ptr(a), C.blasint(lda),
		ptr(x), 1, C.float(beta), ptr(y), 1)
}

// Saxpy is cblas_saxpy with unit strides: y += alpha·x.
func Saxpy(alpha float32, x, y []float32) {
	C.cblas_saxpy(C.blasint(len(x)), C.float(alpha), ptr(x), 1, ptr(y), 1)
}

// Sscal is cblas_sscal with unit stride: x *= alpha.
func Sscal(alpha float32, x []float32) {
	C.cblas_sscal(C.blasint(len(x)), C.float(alpha), ptr(x), 1)
}

// Sdot is cblas_sdot with unit strides.
func Sdot(x, y []float32) float32 {
	return float32(C.cblas_sdot(C.blasint(len(x)), ptr(x), 1, ptr(y), 1))
}

// SdotStrided is cblas_sdot with positive increments: Caffe's caffe_cpu_strided_dot.
func SdotStrided(n int, x []float32, incx int, y []float32, incy int) float32 {
	return float32(C.cblas_sdot(C.blasint(n), ptr(x), C.blasint(incx), ptr(y), C.blasint(incy)))
}

// Scopy is cblas_scopy with unit strides: y = x.
func Scopy(x, y []float32) {
	C.cblas_scopy(C.blasint(len(x)), ptr(x), 1, ptr(y), 1)
}

// Sasum is cblas_sasum with unit stride.
func Sasum(x []float32) float32 {
	return float32(C.cblas_sasum(C.blasint(len(x)), ptr(x), 1))
}

// Expf and Logf are the C library's, as C++'s std::exp and std::log on a float call them.
func Expf(x float32) float32 { return float32(C.gc_expf(C.float(x))) }

// Logf: see Expf.
func Logf(x float32) float32 { return float32(C.gc_logf(C.float(x))) }

// Powf is the C library's powf, as C++'s std::pow on two floats calls it (Caffe's "inv"
// and "poly" learning-rate policies).
func Powf(x, y float32) float32 { return float32(C.gc_powf(C.float(x), C.float(y))) }

// Tanhf is the C library's tanhf, as C++'s std::tanh on a float calls it (Caffe's TanH).
func Tanhf(x float32) float32 { return float32(C.gc_tanhf(C.float(x))) }

// Pow is the C library's pow on doubles, as C++'s std::pow on a float and an int calls it
// (Caffe's "step", "exp" and "multistep" learning-rate policies, Adam's bias correction).
func Pow(x, y float64) float64 { return float64(C.gc_pow(C.double(x), C.double(y))) }

func init() { blas.Implementations["openblas"] = Gemm{} }
