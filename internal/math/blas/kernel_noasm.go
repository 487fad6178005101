//go:build !amd64 || purego

package blas

// hasAVX2FMA is false where there is no assembly micro-kernel.
const hasAVX2FMA = false

// useAsm is always false here; the portable code checks it too, where it would
// prepare data for the assembly.
var useAsm = false

// hasAVX512 is false where there is no assembly micro-kernel.
const hasAVX512 = false

// useAVX512 is false here too; tests turn it on to run the portable wide kernel.
var useAVX512 = false

// kernelWide computes the 2mr×2nr block C = alpha·[Ã₀; Ã₁]·[B̃₀ B̃₁] + beta·C from
// two packed A slivers and two packed B slivers.
func kernelWide(k int, a0, a1, b0, b1, c []float32, ldc int, alpha, beta float32) {
	kernelWideGo(k, a0, a1, b0, b1, c, ldc, alpha, beta)
}

// kernelWideRows is kernelWide for the first rows (4 or 8) of the 2mr.
func kernelWideRows(rows, k int, a0, a1, b0, b1, c []float32, ldc int, alpha, beta float32) {
	kernelWideRowsGo(rows, k, a0, a1, b0, b1, c, ldc, alpha, beta)
}

// kernelWideDirectRows is kernelWideDirect for rows (4 or 8) rows of A.
func kernelWideDirectRows(rows, k int, a []float32, lda int, b0, b1, c []float32, ldc int, alpha, beta float32) {
	kernelWideDirectRowsGo(rows, k, a, lda, b0, b1, c, ldc, alpha, beta)
}

// kernelWideDirectB is kernelWide with B read in place, 2nr columns of a row-major
// matrix from b, ldb apart.
func kernelWideDirectB(k int, a0, a1, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	kernelWideDirectBGo(k, a0, a1, b, ldb, c, ldc, alpha, beta)
}

// useDirect is false without assembly: A is always packed.
func useDirect() bool { return false }

// kernelWideDirect is kernelWide with A read in place, 2mr rows of a row-major matrix
// from a, lda apart.
func kernelWideDirect(k int, a []float32, lda int, b0, b1, c []float32, ldc int, alpha, beta float32) {
	kernelWideDirectGo(k, a, lda, b0, b1, c, ldc, alpha, beta)
}

// kernel computes the mr×nr block C = alpha·Ã·B̃ + beta·C from a packed A sliver
// (k steps of mr values) and a packed B sliver (k steps of nr values). beta == 0
// overwrites C without reading it. k must be at least 1.
func kernel(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	kernelGeneric(k, a, b, c, ldc, alpha, beta)
}

// Without assembly, every routine is its portable version.

func kernelStrided(a, b, c []float32, ldc, n1, s1, n2, s2 int) {
	kernelStridedGo(a, b, c, ldc, n1, s1, n2, s2)
}

func kernelTwoChain8(k int, a, b, c []float32, ldc int, beta float32) {
	kernelTwoChain8Go(k, a, b, c, ldc, beta)
}

func kernelTwoChain(k int, a, b, c []float32, ldc int, beta float32) {
	kernelTwoChainGo(k, a, b, c, ldc, beta)
}

func packAN(d, a []float32, lda, kk, rows int) { packANGo(d, a, lda, kk, rows) }
func packAT(d, a []float32, lda, kk, rows int) { packATGo(d, a, lda, kk, rows) }
func packBN(d, b []float32, ldb, kk, nn int)   { packBNGo(d, b, ldb, kk, nn) }
func packBT(d, b []float32, ldb, kk, cols int) { packBTGo(d, b, ldb, kk, cols) }

func axpy32(alpha float32, x, y []float32) { axpy32Go(alpha, x, y) }
