//go:build amd64 && !purego

#include "textflag.h"
#include "kernel_amd64.h"

// The 6×16 micro-kernel. The 6×16 block of C lives in twelve YMM accumulators,
// Y4..Y15 (row r in Y(4+2r) for columns 0..7 and Y(5+2r) for columns 8..15). Each
// step of the k loop loads one 16-wide row of the B sliver into Y0/Y1, broadcasts
// the six A values of that step in turn into Y2/Y3 (alternating, so that a broadcast
// does not wait for the FMAs of the previous one) and issues twelve FMAs. Twelve
// independent accumulators cover the FMA latency on both ports.
//
// Registers: SI = packed A, DI = packed B, DX = C, R8 = ldc in bytes,
// CX = k, R9 = loop counter.

// func kernelAVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·kernelAVX2(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	// Bring C's rows towards the cache while the k loop runs.
	MOVQ       DX, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ       R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ       R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ       R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ       R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)
	ADDQ       R8, AX
	PREFETCHT0 (AX)
	PREFETCHT0 60(AX)

	ZERO12

	// Four k steps per iteration: 24 floats of A (96 bytes), 64 of B (256 bytes).
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   tail

loop4:
	PREFETCHT0 384(SI)
	STEP(0, 0)
	STEP(24, 64)
	STEP(48, 128)
	STEP(72, 192)
	ADDQ $96, SI
	ADDQ $256, DI
	DECQ R9
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   store

loop1:
	STEP(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop1

store:
	// Scale by alpha.
	VBROADCASTSS alpha+40(FP), Y0
	VMULPS       Y0, Y4, Y4
	VMULPS       Y0, Y5, Y5
	VMULPS       Y0, Y6, Y6
	VMULPS       Y0, Y7, Y7
	VMULPS       Y0, Y8, Y8
	VMULPS       Y0, Y9, Y9
	VMULPS       Y0, Y10, Y10
	VMULPS       Y0, Y11, Y11
	VMULPS       Y0, Y12, Y12
	VMULPS       Y0, Y13, Y13
	VMULPS       Y0, Y14, Y14
	VMULPS       Y0, Y15, Y15

	// beta == 0 (either sign) must not read C, which may hold NaN.
	MOVL beta+44(FP), AX
	ANDL $0x7fffffff, AX
	JZ   overwrite

	VBROADCASTSS beta+44(FP), Y1
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
