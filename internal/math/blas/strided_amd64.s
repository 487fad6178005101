//go:build amd64 && !purego

#include "textflag.h"
#include "kernel_amd64.h"

// The strided kernel: kernelAVX2's 6×16 chains over the steps of packed slivers taken
// in up to two runs, n1 steps s1 apart and then n2 steps s2 apart, the accumulators
// carried from the first run into the second; C = the sums (alpha 1, beta 0). The
// two chains of OpenBLAS's two-chain tiles are such runs: the even steps of the whole
// groups of eight (stride 2) and then the steps left over (stride 1); the odd steps
// (stride 2).
//
// Registers as kernelAVX2's, and CX = steps left in the run, R12 and R13 = the run's
// stride in bytes of A and of B.

// func kernelStridedAVX2(a, b, c *float32, ldc, n1, s1, n2, s2 int)
TEXT ·kernelStridedAVX2(SB), NOSPLIT, $0-64
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ c+16(FP), DX
	MOVQ ldc+24(FP), R8
	SHLQ $2, R8

	ZERO12

	MOVQ   n1+32(FP), CX
	MOVQ   s1+40(FP), R11
	IMUL3Q $24, R11, R12
	IMUL3Q $64, R11, R13
	TESTQ  CX, CX
	JZ     second

first:
	STEP(0, 0)
	ADDQ R12, SI
	ADDQ R13, DI
	DECQ CX
	JNZ  first

second:
	MOVQ   n2+48(FP), CX
	MOVQ   s2+56(FP), R11
	IMUL3Q $24, R11, R12
	IMUL3Q $64, R11, R13
	TESTQ  CX, CX
	JZ     store

run2:
	STEP(0, 0)
	ADDQ R12, SI
	ADDQ R13, DI
	DECQ CX
	JNZ  run2

store:
	OVERWRITE(Y4, Y5)
	OVERWRITE(Y6, Y7)
	OVERWRITE(Y8, Y9)
	OVERWRITE(Y10, Y11)
	OVERWRITE(Y12, Y13)
	OVERWRITE(Y14, Y15)
	VZEROUPPER
	RET
