//go:build amd64 && !purego

package blas

import "golang.org/x/sys/cpu"

// hasAVX2FMA reports whether the CPU (and the OS, which must save the YMM registers)
// supports the assembly micro-kernel.
var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasAVX

// useAsm selects the assembly micro-kernel; tests turn it off to run the portable one.
var useAsm = hasAVX2FMA

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
