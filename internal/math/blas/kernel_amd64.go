//go:build amd64 && !purego

package blas

import "github.com/gocaffe/gocaffe/internal/math/cpufeat"

// hasAVX2FMA reports whether the CPU (and the OS, which must save the YMM registers)
// supports the assembly micro-kernel.
var hasAVX2FMA = cpufeat.AVX2FMA

// useAsm selects the assembly micro-kernel; tests turn it off to run the portable one.
var useAsm = hasAVX2FMA

// hasAVX512 reports whether the CPU (and the OS, which must save the ZMM registers)
// supports the wide micro-kernel as well.
var hasAVX512 = hasAVX2FMA && cpufeat.AVX512F

// useAVX512 sends whole 2mr×2nr blocks to the wide micro-kernel; tests turn it off
// and on to compare, and on where the CPU lacks AVX-512 to run the wide path with
// the portable kernel.
var useAVX512 = hasAVX512

// kernelAVX2 is kernelGeneric in AVX2/FMA assembly (kernel_amd64.s): it reads
// 6·k floats at a, 16·k at b, and writes a 6×16 block at c with row stride ldc.
//
//go:noescape
func kernelAVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)

// kernel computes the mr×nr block C = alpha·Ã·B̃ + beta·C from a packed A sliver
// (k steps of mr values) and a packed B sliver (k steps of nr values). beta == 0
// overwrites C without reading it. k must be at least 1.
func kernel(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	// The bounds the assembly relies on, checked once here.
	_ = a[mr*k-1]
	_ = b[nr*k-1]
	_ = c[(mr-1)*ldc+nr-1]
	if useAsm {
		kernelAVX2(k, &a[0], &b[0], &c[0], ldc, alpha, beta)
		return
	}
	kernelGeneric(k, a, b, c, ldc, alpha, beta)
}

// kernelStridedAVX2 is kernelStridedGo in AVX2/FMA assembly (strided_amd64.s).
//
//go:noescape
func kernelStridedAVX2(a, b, c *float32, ldc, n1, s1, n2, s2 int)

// kernelStrided computes the 6×16 block C = Σ Ã·B̃ over the steps of a packed A and
// B sliver taken in two runs: n1 steps s1 apart from the first, then n2 steps s2
// apart, one chain of fused multiply-adds per element through both runs.
func kernelStrided(a, b, c []float32, ldc, n1, s1, n2, s2 int) {
	if last := (n1-1)*s1 + n2*s2; n1 > 0 {
		_ = a[mr*(last+1)-1]
		_ = b[nr*(last+1)-1]
	}
	_ = c[(mr-1)*ldc+nr-1]
	if useAsm {
		kernelStridedAVX2(&a[0], &b[0], &c[0], ldc, n1, s1, n2, s2)
		return
	}
	kernelStridedGo(a, b, c, ldc, n1, s1, n2, s2)
}

// kernelTwoChainAVX512 is kernelTwoChainGo in AVX-512 assembly (twochain512_amd64.s).
//
//go:noescape
func kernelTwoChainAVX512(k int, a, b, c *float32, ldc int, beta float32)

// kernelTwoChain computes the 6×16 block C = S + beta·C (beta 0 or 1), S the sums of
// OpenBLAS's two-chain tiles over a packed A and B sliver: with the AVX-512 kernel
// where the CPU has it, else with two runs of the strided kernel.
func kernelTwoChain(k int, a, b, c []float32, ldc int, beta float32) {
	_ = a[mr*k-1]
	_ = b[nr*k-1]
	_ = c[(mr-1)*ldc+nr-1]
	if useAsm && useAVX512 && hasAVX512 {
		kernelTwoChainAVX512(k, &a[0], &b[0], &c[0], ldc, beta)
		return
	}
	kernelTwoChainGo(k, a, b, c, ldc, beta)
}

// kernelTwoChain8AVX2 is kernelTwoChain8Go in AVX2/FMA assembly (twochain8_amd64.s).
//
//go:noescape
func kernelTwoChain8AVX2(k int, a, b, c *float32, ldc int, beta float32)

// kernelTwoChain8 is kernelTwoChain for a 6×8 block of C, from half of a packed B
// sliver (8 values a step, nr apart).
func kernelTwoChain8(k int, a, b, c []float32, ldc int, beta float32) {
	_ = a[mr*k-1]
	_ = b[nr*(k-1)+7]
	_ = c[(mr-1)*ldc+7]
	if useAsm {
		kernelTwoChain8AVX2(k, &a[0], &b[0], &c[0], ldc, beta)
		return
	}
	kernelTwoChain8Go(k, a, b, c, ldc, beta)
}

//go:generate go run gen_kernel512.go

// kernelAVX512 is kernelWideGo in AVX-512 assembly (kernel512_amd64.s, generated):
// it reads 6·k floats at a0 and at a1, 16·k at b0 and at b1, and writes a 12×32
// block at c with row stride ldc.
//
//go:noescape
func kernelAVX512(k int, a0, a1, b0, b1, c *float32, ldc int, alpha, beta float32)

// kernelWide computes the 2mr×2nr block C = alpha·[Ã₀; Ã₁]·[B̃₀ B̃₁] + beta·C from
// two packed A slivers and two packed B slivers: the four tiles kernel would
// compute, with the same bits.
func kernelWide(k int, a0, a1, b0, b1, c []float32, ldc int, alpha, beta float32) {
	_ = a0[mr*k-1]
	_ = a1[mr*k-1]
	_ = b0[nr*k-1]
	_ = b1[nr*k-1]
	_ = c[(2*mr-1)*ldc+2*nr-1]
	if useAsm && useAVX512 && hasAVX512 {
		kernelAVX512(k, &a0[0], &a1[0], &b0[0], &b1[0], &c[0], ldc, alpha, beta)
		return
	}
	kernelWideGo(k, a0, a1, b0, b1, c, ldc, alpha, beta)
}

// kernelAVX512Direct is kernelWideDirectGo in AVX-512 assembly (kernel512_amd64.s,
// generated): it reads 12 rows of k floats from a, lda floats apart, 16·k floats at b0
// and at b1, and writes a 12×32 block at c with row stride ldc.
//
//go:noescape
func kernelAVX512Direct(k int, a *float32, lda int, b0, b1, c *float32, ldc int, alpha, beta float32)

// useDirect reports whether kernelWideDirect runs in assembly: only then is reading A
// in place worth giving up its packing.
func useDirect() bool { return useAsm && useAVX512 && hasAVX512 }

// kernelWideDirect is kernelWide with A read in place: 2mr rows of a row-major matrix
// from a, lda apart, instead of two packed slivers. Same bits.
func kernelWideDirect(k int, a []float32, lda int, b0, b1, c []float32, ldc int, alpha, beta float32) {
	_ = a[(2*mr-1)*lda+k-1]
	_ = b0[nr*k-1]
	_ = b1[nr*k-1]
	_ = c[(2*mr-1)*ldc+2*nr-1]
	if useDirect() {
		kernelAVX512Direct(k, &a[0], lda, &b0[0], &b1[0], &c[0], ldc, alpha, beta)
		return
	}
	kernelWideDirectGo(k, a, lda, b0, b1, c, ldc, alpha, beta)
}

// The wide kernels for 8 and 4 rows (kernel512_amd64.s, generated): kernelAVX512 and
// kernelAVX512Direct for the first rows of A only.
//
//go:noescape
func kernelAVX512R8(k int, a0, a1, b0, b1, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernelAVX512R4(k int, a0, a1, b0, b1, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernelAVX512DirectR8(k int, a *float32, lda int, b0, b1, c *float32, ldc int, alpha, beta float32)

//go:noescape
func kernelAVX512DirectR4(k int, a *float32, lda int, b0, b1, c *float32, ldc int, alpha, beta float32)

// kernelWideRows is kernelWide for the first rows (4 or 8) of the 2mr: A's rows from
// the packed slivers a0 and a1 (a1 unread for 4 rows), rows×2nr of C written.
func kernelWideRows(rows, k int, a0, a1, b0, b1, c []float32, ldc int, alpha, beta float32) {
	_ = a0[mr*k-1]
	_ = b0[nr*k-1]
	_ = b1[nr*k-1]
	_ = c[(rows-1)*ldc+2*nr-1]
	if !useAsm || !useAVX512 || !hasAVX512 {
		kernelWideRowsGo(rows, k, a0, a1, b0, b1, c, ldc, alpha, beta)
		return
	}
	switch rows {
	case 8:
		_ = a1[mr*k-1]
		kernelAVX512R8(k, &a0[0], &a1[0], &b0[0], &b1[0], &c[0], ldc, alpha, beta)
	case 4:
		kernelAVX512R4(k, &a0[0], &a0[0], &b0[0], &b1[0], &c[0], ldc, alpha, beta)
	default:
		panic("blas: kernelWideRows for 4 or 8 rows only")
	}
}

// kernelWideDirectRows is kernelWideDirect for rows (4 or 8) rows of A.
func kernelWideDirectRows(rows, k int, a []float32, lda int, b0, b1, c []float32, ldc int, alpha, beta float32) {
	_ = a[(rows-1)*lda+k-1]
	_ = b0[nr*k-1]
	_ = b1[nr*k-1]
	_ = c[(rows-1)*ldc+2*nr-1]
	if !useDirect() {
		kernelWideDirectRowsGo(rows, k, a, lda, b0, b1, c, ldc, alpha, beta)
		return
	}
	switch rows {
	case 8:
		kernelAVX512DirectR8(k, &a[0], lda, &b0[0], &b1[0], &c[0], ldc, alpha, beta)
	case 4:
		kernelAVX512DirectR4(k, &a[0], lda, &b0[0], &b1[0], &c[0], ldc, alpha, beta)
	default:
		panic("blas: kernelWideDirectRows for 4 or 8 rows only")
	}
}

// kernelAVX512DirectB is kernelAVX512 with B read in place (kernel512_amd64.s,
// generated): 32 columns of a row-major matrix from b, ldb floats a row.
//
//go:noescape
func kernelAVX512DirectB(k int, a0, a1, b *float32, ldb int, c *float32, ldc int, alpha, beta float32)

// kernelWideDirectB is kernelWide with B read in place: 2nr columns of a row-major
// matrix from b, ldb apart, instead of two packed slivers. Same bits.
func kernelWideDirectB(k int, a0, a1, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	_ = a0[mr*k-1]
	_ = a1[mr*k-1]
	_ = b[(k-1)*ldb+2*nr-1]
	_ = c[(2*mr-1)*ldc+2*nr-1]
	if useDirect() {
		kernelAVX512DirectB(k, &a0[0], &a1[0], &b[0], ldb, &c[0], ldc, alpha, beta)
		return
	}
	kernelWideDirectBGo(k, a0, a1, b, ldb, c, ldc, alpha, beta)
}

// The packing routines of pack_amd64.s; see the portable ones in pack.go.

//go:noescape
func packBNAVX2(kk, slivers int, b *float32, ldb int, dst *float32)

//go:noescape
func packBTAVX2(k8 int, b *float32, ldb int, dst *float32)

//go:noescape
func packANAVX2(k8 int, a *float32, lda int, dst *float32)

//go:noescape
func packATAVX2(kk int, a *float32, lda int, dst *float32)

// packAN is packANGo, in assembly for whole slivers and steps in multiples of 8.
func packAN(d, a []float32, lda, kk, rows int) {
	if k8 := kk &^ 7; useAsm && rows == mr && k8 > 0 {
		_ = a[(mr-1)*lda+k8-1]
		_ = d[k8*mr-1]
		packANAVX2(k8, &a[0], lda, &d[0])
		if k8 == kk {
			return
		}
		d, a, kk = d[k8*mr:], a[k8:], kk-k8
	}
	packANGo(d, a, lda, kk, rows)
}

// packAT is packATGo, in assembly for whole slivers.
func packAT(d, a []float32, lda, kk, rows int) {
	if useAsm && rows == mr {
		_ = a[(kk-1)*lda+mr-1]
		_ = d[kk*mr-1]
		packATAVX2(kk, &a[0], lda, &d[0])
		return
	}
	packATGo(d, a, lda, kk, rows)
}

// packBN is packBNGo, in assembly for the whole slivers.
func packBN(d, b []float32, ldb, kk, nn int) {
	if full := nn / nr; useAsm && full > 0 {
		_ = b[(kk-1)*ldb+full*nr-1]
		_ = d[full*nr*kk-1]
		packBNAVX2(kk, full, &b[0], ldb, &d[0])
		if full*nr == nn {
			return
		}
		d, b, nn = d[full*nr*kk:], b[full*nr:], nn-full*nr
	}
	packBNGo(d, b, ldb, kk, nn)
}

// packBT is packBTGo, in assembly for whole slivers and steps in multiples of 8.
func packBT(d, b []float32, ldb, kk, cols int) {
	if k8 := kk &^ 7; useAsm && cols == nr && k8 > 0 {
		_ = b[(nr-1)*ldb+k8-1]
		_ = d[k8*nr-1]
		packBTAVX2(k8, &b[0], ldb, &d[0])
		if k8 == kk {
			return
		}
		d, b, kk = d[k8*nr:], b[k8:], kk-k8
	}
	packBTGo(d, b, ldb, kk, cols)
}

// The vector kernels of vec_amd64.s, for the matrix-vector products.

//go:noescape
func axpyAVX2(n int, alpha float32, x, y *float32)

// axpy32 is axpy32Go in assembly.
func axpy32(alpha float32, x, y []float32) {
	if useAsm && len(x) > 0 {
		y = y[:len(x)]
		axpyAVX2(len(x), alpha, &x[0], &y[0])
		return
	}
	axpy32Go(alpha, x, y)
}
