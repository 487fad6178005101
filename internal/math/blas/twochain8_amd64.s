//go:build amd64 && !purego

#include "textflag.h"
#include "kernel_amd64.h"

// The narrow two-chain kernel: kernelTwoChain's sums for a 6×8 tile (OpenBLAS's own
// two-chain tile), with AVX2. Row r's even chain lives in Y(4+r), its odd chain in
// Y(10+r). B is half of a packed sliver: 8 floats a step, 16 apart.
//
// Registers: SI = packed A sliver (6 floats a step), DI = B, DX = C, R8 = ldc in
// bytes, CX = k, R9 = loop counter.

// STEP8 does one k step into the accumulators r0..r5, reading A at byte offset ao
// and B at bo.
#define STEP8(ao, bo, r0, r1, r2, r3, r4, r5) \
	VMOVUPS      bo(DI), Y0 \
	VBROADCASTSS ao(SI), Y1 \
	VFMADD231PS  Y0, Y1, r0 \
	VBROADCASTSS ao+4(SI), Y2 \
	VFMADD231PS  Y0, Y2, r1 \
	VBROADCASTSS ao+8(SI), Y1 \
	VFMADD231PS  Y0, Y1, r2 \
	VBROADCASTSS ao+12(SI), Y2 \
	VFMADD231PS  Y0, Y2, r3 \
	VBROADCASTSS ao+16(SI), Y1 \
	VFMADD231PS  Y0, Y1, r4 \
	VBROADCASTSS ao+20(SI), Y2 \
	VFMADD231PS  Y0, Y2, r5

#define EVEN8(ao, bo) STEP8(ao, bo, Y4, Y5, Y6, Y7, Y8, Y9)
#define ODD8(ao, bo) STEP8(ao, bo, Y10, Y11, Y12, Y13, Y14, Y15)

// ACCUMULATE8 stores a row's two chains added together and to C's row, and advances
// DX one row; OVERWRITE8 the same without C.
#define ACCUMULATE8(even, odd) \
	VADDPS  odd, even, even \
	VADDPS  (DX), even, even \
	VMOVUPS even, (DX) \
	ADDQ    R8, DX

#define OVERWRITE8(even, odd) \
	VADDPS  odd, even, even \
	VMOVUPS even, (DX) \
	ADDQ    R8, DX

// func kernelTwoChain8AVX2(k int, a, b, c *float32, ldc int, beta float32)
TEXT ·kernelTwoChain8AVX2(SB), NOSPLIT, $0-44
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	ZERO12

	// Eight k steps per iteration: 48 floats of A (192 bytes), 8 steps of B (512 bytes).
	MOVQ CX, R9
	SHRQ $3, R9
	JZ   tail

loop8:
	EVEN8(0, 0)
	ODD8(24, 64)
	EVEN8(48, 128)
	ODD8(72, 192)
	EVEN8(96, 256)
	ODD8(120, 320)
	EVEN8(144, 384)
	ODD8(168, 448)
	ADDQ $192, SI
	ADDQ $512, DI
	DECQ R9
	JNZ  loop8

tail:
	ANDQ $7, CX
	JZ   store

loop1:
	EVEN8(0, 0)
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNZ  loop1

store:
	// beta == 0 (either sign) must not read C, which may hold NaN; otherwise it is 1.
	MOVL beta+40(FP), AX
	ANDL $0x7fffffff, AX
	JZ   overwrite

	ACCUMULATE8(Y4, Y10)
	ACCUMULATE8(Y5, Y11)
	ACCUMULATE8(Y6, Y12)
	ACCUMULATE8(Y7, Y13)
	ACCUMULATE8(Y8, Y14)
	ACCUMULATE8(Y9, Y15)
	VZEROUPPER
	RET

overwrite:
	OVERWRITE8(Y4, Y10)
	OVERWRITE8(Y5, Y11)
	OVERWRITE8(Y6, Y12)
	OVERWRITE8(Y7, Y13)
	OVERWRITE8(Y8, Y14)
	OVERWRITE8(Y9, Y15)
	VZEROUPPER
	RET
