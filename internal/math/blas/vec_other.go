//go:build !amd64 || purego

package blas

// useVecAsm is false without the assembly; the tests set it all the same.
var useVecAsm = false

// Without assembly the vector kernels are their Go versions.

func dotCols4(nb int, a []float32, lda int, x []float32, out *[4]float32) {
	dotCols4Go(nb, a, lda, x, out)
}

func sgemvNCols(w, nb int, alpha float32, a []float32, lda int, x, y []float32) {
	sgemvNColsGo(w, nb, alpha, a, lda, x, y)
}

func saxpyFused(alpha float32, x, y []float32) { saxpyFusedGo(alpha, x, y) }

func sdotKernel(x, y []float32) float32 { return sdotKernelGo(x, y) }
