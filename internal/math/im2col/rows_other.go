//go:build !amd64 || purego

package im2col

// useAVX is false where there is no assembly.
var useAVX = false

// addRows is fillRows' adjoint: dst[i·dstStep + j] += src[i·ow + lo + j] for the
// rows i of src and j in [0, hi − lo).
func addRows(dst []float32, dstStep int, src []float32, ow, lo, hi int) {
	addRowsGo(dst, dstStep, src, ow, lo, hi)
}

// copyRows sets dst[r·dstStep + i] = src[r·srcStep + i] for r < rows, i < n.
func copyRows(dst []float32, dstStep int, src []float32, srcStep, n, rows int) {
	copyRowsGo(dst, dstStep, src, srcStep, n, rows)
}

// useAVX512 is false where there is no assembly.
var useAVX512 = false

// addStrided has no assembly here: addRow's Go loop does the strided case.
func addStrided(dst, in []float32, t tap, stride int) bool { return false }
