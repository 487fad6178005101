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

// useAVX512 selects addStridedAVX512 for addRow's strided case; tests turn it off
// to run the Go loop.
var useAVX512 = cpufeat.AVX512F && cpufeat.BMI2

// strideTab is what addStridedAVX512 needs of a stride s: lane e of a chunk's
// permute takes input idx[e] = e/s; the lanes 0, s, 2s, … (touch) are added to; a
// chunk is m = ⌊16/s⌋ outputs, m·s·4 bytes of dst.
type strideTab struct {
	idx           [16]int32
	touch         uint64
	m, blockBytes int
	s             int
}

// strideTabs holds the tables of the strides 2 to 8.
var strideTabs = func() (t [9]strideTab) {
	for s := 2; s < len(t); s++ {
		m := 16 / s
		t[s] = strideTab{m: m, blockBytes: m * s * 4, s: s}
		for e := range t[s].idx {
			t[s].idx[e] = int32(min(e/s, m-1))
			if e%s == 0 && e/s < m {
				t[s].touch |= 1 << e
			}
		}
	}
	return t
}()

//go:noescape
func addStridedAVX512(dst *float32, in *float32, n int, tab *strideTab)

// addStrided does addRow's strided case, dst[o·stride + t.off] += in[o] for o in
// [t.lo, t.hi), in AVX-512 where the CPU has it and the stride is at most 8; it
// reports whether it did. The sums are the Go loop's, bit for bit.
func addStrided(dst, in []float32, t tap, stride int) bool {
	n := t.hi - t.lo
	if !useAVX512 || stride >= len(strideTabs) || n < 4 {
		return false
	}
	// The bounds the assembly relies on: it touches only these values.
	_ = dst[(t.hi-1)*stride+t.off]
	_ = in[t.hi-1]
	addStridedAVX512(&dst[t.lo*stride+t.off], &in[t.lo], n, &strideTabs[stride])
	return true
}
