//go:build !amd64 || purego

package blas

// hasAVX2FMA is false where there is no assembly micro-kernel.
const hasAVX2FMA = false

// useAsm exists so that tests build everywhere; it has no effect here.
var useAsm = false

// kernel computes the mr×nr block C = alpha·Ã·B̃ + beta·C from a packed A sliver
// (k steps of mr values) and a packed B sliver (k steps of nr values). beta == 0
// overwrites C without reading it. k must be at least 1.
func kernel(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	kernelGeneric(k, a, b, c, ldc, alpha, beta)
}
