//go:build amd64 && !purego

package im2col

import "github.com/gocaffe/gocaffe/internal/math/cpufeat"

// useAVX selects the assembly (rows_amd64.s); tests turn it off to run the Go
// loops.
var useAVX = cpufeat.AVX

// addRowsAVX is addRowsGo's loop in AVX assembly.
//
//go:noescape
func addRowsAVX(dst *float32, dstStep int, src *float32, srcStep, n, rows int)

// addRows is fillRows' adjoint: dst[i·dstStep + j] += src[i·ow + lo + j] for the
// rows i of src and j in [0, hi − lo), eight values at a time where the CPU has AVX
// (the sums are the Go loop's, bit for bit).
func addRows(dst []float32, dstStep int, src []float32, ow, lo, hi int) {
	rows, n := len(src)/ow, hi-lo
	if !useAVX || rows == 0 || n <= 0 {
		addRowsGo(dst, dstStep, src, ow, lo, hi)
		return
	}
	// The bounds the assembly relies on, checked once here.
	_ = dst[(rows-1)*dstStep+n-1]
	_ = src[(rows-1)*ow+hi-1]
	addRowsAVX(&dst[0], dstStep, &src[lo], ow, n, rows)
}

// copyRowsAVX is copyRowsGo's loop in AVX assembly.
//
//go:noescape
func copyRowsAVX(dst *float32, dstStep int, src *float32, srcStep, n, rows int)

// copyRows sets dst[r·dstStep + i] = src[r·srcStep + i] for r < rows, i < n: one
// masked vector move per row where the CPU has AVX, rather than a call to memmove
// per row of a few values.
func copyRows(dst []float32, dstStep int, src []float32, srcStep, n, rows int) {
	if !useAVX || rows <= 0 || n <= 0 {
		copyRowsGo(dst, dstStep, src, srcStep, n, rows)
		return
	}
	_ = dst[(rows-1)*dstStep+n-1]
	_ = src[(rows-1)*srcStep+n-1]
	copyRowsAVX(&dst[0], dstStep, &src[0], srcStep, n, rows)
}
