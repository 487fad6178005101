//go:build amd64 && !purego

#include "textflag.h"
#include "kernel_amd64.h"

// The split kernel: kernelAVX2 with alpha 1 and B's two halves from two places, each
// 8 floats a step, 16 apart: columns 0..7 from b0 and 8..15 from b1. OpenBLAS's
// 16-column tiles start 8 columns into Fast's packed slivers on alternate rows; this
// kernel reads them from the halves of two neighbouring slivers.
//
// Registers as kernelAVX2's, and BX = the second half of B.

// func kernelSplitAVX2(k int, a, b0, b1, c *float32, ldc int, beta float32)
TEXT ·kernelSplitAVX2(SB), NOSPLIT, $0-52
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b0+16(FP), DI
	MOVQ b1+24(FP), BX
	MOVQ c+32(FP), DX
	MOVQ ldc+40(FP), R8
	SHLQ $2, R8

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15

	// Four k steps per iteration: 24 floats of A (96 bytes), 4 rows of each half of B.
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   tail

loop4:
	SPLITSTEP(0, 0)
	SPLITSTEP(24, 64)
	SPLITSTEP(48, 128)
	SPLITSTEP(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	ADDQ $256, BX
	DECQ R9
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   store

loop1:
	SPLITSTEP(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	ADDQ $64, BX
	DECQ CX
	JNZ  loop1

store:
	// beta == 0 (either sign) must not read C, which may hold NaN.
	MOVL beta+48(FP), AX
	ANDL $0x7fffffff, AX
	JZ   overwrite

	VBROADCASTSS beta+48(FP), Y1
	ACCUMULATE(Y4, Y5)
	ACCUMULATE(Y6, Y7)
	ACCUMULATE(Y8, Y9)
	ACCUMULATE(Y10, Y11)
	ACCUMULATE(Y12, Y13)
	ACCUMULATE(Y14, Y15)
	VZEROUPPER
	RET

overwrite:
	OVERWRITE(Y4, Y5)
	OVERWRITE(Y6, Y7)
	OVERWRITE(Y8, Y9)
	OVERWRITE(Y10, Y11)
	OVERWRITE(Y12, Y13)
	OVERWRITE(Y14, Y15)
	VZEROUPPER
	RET
