//go:build amd64 && !purego

#include "textflag.h"

// The two-chain kernel: a 6×16 tile of C as OpenBLAS sums its two-chain tiles, with
// AVX-512. Row r's even chain lives in Z(4+r), its odd chain in Z(10+r): in each group
// of eight k steps the even steps go to the first and the odd ones to the second; the
// steps after the last whole group to the first. Each step loads the 16 values of the
// packed B sliver into Z0 and multiplies them by the row's A value, broadcast from
// memory by the FMA itself. C = first + second, + C when beta is not 0 (beta 0 or 1, alpha 1).
//
// Registers: SI = packed A sliver (6 floats a step), DI = packed B sliver (16 floats a
// step), DX = C, R8 = ldc in bytes, CX = k, R9 = loop counter.

// STEP2 does one k step into the accumulators r0..r5, reading A at byte offset ao and
// B at bo.
#define STEP2(ao, bo, r0, r1, r2, r3, r4, r5) \
	VMOVUPS          bo(DI), Z0 \
	VFMADD231PS.BCST ao(SI), Z0, r0 \
	VFMADD231PS.BCST ao+4(SI), Z0, r1 \
	VFMADD231PS.BCST ao+8(SI), Z0, r2 \
	VFMADD231PS.BCST ao+12(SI), Z0, r3 \
	VFMADD231PS.BCST ao+16(SI), Z0, r4 \
	VFMADD231PS.BCST ao+20(SI), Z0, r5

#define EVEN(ao, bo) STEP2(ao, bo, Z4, Z5, Z6, Z7, Z8, Z9)
#define ODD(ao, bo) STEP2(ao, bo, Z10, Z11, Z12, Z13, Z14, Z15)

// ACCUMULATE2 stores a row's two chains added together and to C's row, and advances
// DX one row; OVERWRITE2 the same without C.
#define ACCUMULATE2(even, odd) \
	VADDPS  odd, even, even \
	VADDPS  (DX), even, even \
	VMOVUPS even, (DX) \
	ADDQ    R8, DX

#define OVERWRITE2(even, odd) \
	VADDPS  odd, even, even \
	VMOVUPS even, (DX) \
	ADDQ    R8, DX

// func kernelTwoChainAVX512(k int, a, b, c *float32, ldc int, beta float32)
TEXT ·kernelTwoChainAVX512(SB), NOSPLIT, $0-44
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

	// Eight k steps per iteration: 48 floats of A (192 bytes), 128 of B (512 bytes).
	MOVQ CX, R9
	SHRQ $3, R9
	JZ   tail

loop8:
	EVEN(0, 0)
	ODD(24, 64)
	EVEN(48, 128)
	ODD(72, 192)
	EVEN(96, 256)
	ODD(120, 320)
	EVEN(144, 384)
	ODD(168, 448)
	ADDQ $192, SI
	ADDQ $512, DI
	DECQ R9
	JNZ  loop8

tail:
	ANDQ $7, CX
	JZ   store

loop1:
	EVEN(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop1

store:
	// beta == 0 (either sign) must not read C, which may hold NaN; otherwise it is 1.
	MOVL beta+40(FP), AX
	ANDL $0x7fffffff, AX
	JZ   overwrite

	ACCUMULATE2(Z4, Z10)
	ACCUMULATE2(Z5, Z11)
	ACCUMULATE2(Z6, Z12)
	ACCUMULATE2(Z7, Z13)
	ACCUMULATE2(Z8, Z14)
	ACCUMULATE2(Z9, Z15)
	VZEROUPPER
	RET

overwrite:
	OVERWRITE2(Z4, Z10)
	OVERWRITE2(Z5, Z11)
	OVERWRITE2(Z6, Z12)
	OVERWRITE2(Z7, Z13)
	OVERWRITE2(Z8, Z14)
	OVERWRITE2(Z9, Z15)
	VZEROUPPER
	RET
