//go:build amd64 && !purego

package blas

import "github.com/gocaffe/gocaffe/internal/math/cpufeat"

// useVecAsm selects the AVX2/FMA vector kernels of vec_amd64.s; tests turn it off to
// run the Go ones, which give the same bits.
var useVecAsm = cpufeat.AVX2FMA

//go:noescape
func sgemvT4AVX2(nb int, a *float32, lda int, x *float32, out *[4]float32)

//go:noescape
func sgemvN8AVX2(n int, a *float32, lda int, x *float32, y *float32, alpha float32)

//go:noescape
func sgemvN4AVX2(n int, a *float32, lda int, x *float32, y *float32, alpha float32)

//go:noescape
func saxpyFusedAVX2(n int, alpha float32, x, y *float32)

//go:noescape
func sdotAVX2(n int, x, y *float32) float32

// dotCols4 is dotCols4Go in assembly.
func dotCols4(nb int, a []float32, lda int, x []float32, out *[4]float32) {
	if useVecAsm && nb > 0 {
		_ = a[3*lda+nb-1]
		_ = x[nb-1]
		sgemvT4AVX2(nb, &a[0], lda, &x[0], out)
		return
	}
	dotCols4Go(nb, a, lda, x, out)
}

// sgemvNCols is sgemvNColsGo in assembly.
func sgemvNCols(w, nb int, alpha float32, a []float32, lda int, x, y []float32) {
	if useVecAsm && nb > 0 {
		_ = a[(w-1)*lda+nb-1]
		_ = x[w-1]
		_ = y[nb-1]
		if w == 8 {
			sgemvN8AVX2(nb, &a[0], lda, &x[0], &y[0], alpha)
		} else {
			sgemvN4AVX2(nb, &a[0], lda, &x[0], &y[0], alpha)
		}
		return
	}
	sgemvNColsGo(w, nb, alpha, a, lda, x, y)
}

// saxpyFused computes y = alpha·x + y with one rounding per element, len(x) a
// multiple of 32.
func saxpyFused(alpha float32, x, y []float32) {
	if useVecAsm && len(x) > 0 {
		y = y[:len(x)]
		saxpyFusedAVX2(len(x), alpha, &x[0], &y[0])
		return
	}
	saxpyFusedGo(alpha, x, y)
}

// sdotKernel returns sdot's sum of the first len(x) products, len(x) a positive
// multiple of 32.
func sdotKernel(x, y []float32) float32 {
	if useVecAsm {
		y = y[:len(x)]
		return sdotAVX2(len(x), &x[0], &y[0])
	}
	return sdotKernelGo(x, y)
}
