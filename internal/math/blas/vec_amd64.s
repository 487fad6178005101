//go:build amd64 && !purego

#include "textflag.h"

// func axpyAVX2(n int, alpha float32, x, y *float32)
//
// y[i] += alpha·x[i] for i < n, n ≥ 0.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	VBROADCASTSS alpha+8(FP), Y0
	MOVQ         x+16(FP), SI
	MOVQ         y+24(FP), DI
	MOVQ         CX, BX
	SHRQ         $5, BX
	JZ           axpy8

axpy32:
	VMOVUPS     (DI), Y4
	VMOVUPS     32(DI), Y5
	VMOVUPS     64(DI), Y6
	VMOVUPS     96(DI), Y7
	VFMADD231PS (SI), Y0, Y4
	VFMADD231PS 32(SI), Y0, Y5
	VFMADD231PS 64(SI), Y0, Y6
	VFMADD231PS 96(SI), Y0, Y7
	VMOVUPS     Y4, (DI)
	VMOVUPS     Y5, 32(DI)
	VMOVUPS     Y6, 64(DI)
	VMOVUPS     Y7, 96(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	DECQ        BX
	JNZ         axpy32

axpy8:
	MOVQ CX, BX
	ANDQ $31, BX
	SHRQ $3, BX
	JZ   axpyTail

axpy8Loop:
	VMOVUPS     (DI), Y4
	VFMADD231PS (SI), Y0, Y4
	VMOVUPS     Y4, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        BX
	JNZ         axpy8Loop

axpyTail:
	ANDQ $7, CX
	JZ   axpyDone

axpy1:
	VMOVSS      (DI), X4
	VFMADD231SS (SI), X0, X4
	VMOVSS      X4, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JNZ         axpy1

axpyDone:
	VZEROUPPER
	RET

// dotMask holds eight all-ones then eight zero words: the eight words at
// dotMask+4·(8-t) select the first t floats of a vector.
DATA dotMask<>+0(SB)/4, $0xffffffff
DATA dotMask<>+4(SB)/4, $0xffffffff
DATA dotMask<>+8(SB)/4, $0xffffffff
DATA dotMask<>+12(SB)/4, $0xffffffff
DATA dotMask<>+16(SB)/4, $0xffffffff
DATA dotMask<>+20(SB)/4, $0xffffffff
DATA dotMask<>+24(SB)/4, $0xffffffff
DATA dotMask<>+28(SB)/4, $0xffffffff
DATA dotMask<>+32(SB)/4, $0
DATA dotMask<>+36(SB)/4, $0
DATA dotMask<>+40(SB)/4, $0
DATA dotMask<>+44(SB)/4, $0
DATA dotMask<>+48(SB)/4, $0
DATA dotMask<>+52(SB)/4, $0
DATA dotMask<>+56(SB)/4, $0
DATA dotMask<>+60(SB)/4, $0
GLOBL dotMask<>(SB), RODATA|NOPTR, $64

// DOT4x3 multiplies the four A vectors, loaded in turn into Y15, by the three B
// vectors in Y12..Y14 into the accumulators Y0..Y11.
#define DOT4x3 \
	VMOVUPS     (R8)(AX*1), Y15 \
	VFMADD231PS Y12, Y15, Y0 \
	VFMADD231PS Y13, Y15, Y1 \
	VFMADD231PS Y14, Y15, Y2 \
	VMOVUPS     (R9)(AX*1), Y15 \
	VFMADD231PS Y12, Y15, Y3 \
	VFMADD231PS Y13, Y15, Y4 \
	VFMADD231PS Y14, Y15, Y5 \
	VMOVUPS     (R10)(AX*1), Y15 \
	VFMADD231PS Y12, Y15, Y6 \
	VFMADD231PS Y13, Y15, Y7 \
	VFMADD231PS Y14, Y15, Y8 \
	VMOVUPS     (R11)(AX*1), Y15 \
	VFMADD231PS Y12, Y15, Y9 \
	VFMADD231PS Y13, Y15, Y10 \
	VFMADD231PS Y14, Y15, Y11

// REDUCE4 writes the sums of the eight lanes of a, b, c, d to four floats at
// off(DI).
#define REDUCE4(a, b, c, d, off) \
	VHADDPS      b, a, Y12 \
	VHADDPS      d, c, Y13 \
	VHADDPS      Y13, Y12, Y14 \
	VEXTRACTF128 $1, Y14, X15 \
	VADDPS       X15, X14, X14 \
	VMOVUPS      X14, off(DI)

// func sgemvT4AVX2(nb int, a *float32, lda int, x *float32, out *[4]float32)
//
// out[c] = Σ_i a[c·lda+i]·x[i] for c < 4, i < nb, nb a positive multiple of 4:
// sgemv_kernel_4x4 of sgemv_t_microk_haswell-4.c.
TEXT ·sgemvT4AVX2(SB), NOSPLIT, $0-40
	MOVQ   nb+0(FP), CX
	MOVQ   a+8(FP), R8
	MOVQ   lda+16(FP), DX
	MOVQ   x+24(FP), SI
	MOVQ   out+32(FP), DI
	SHLQ   $2, DX
	LEAQ   (R8)(DX*1), R9
	LEAQ   (R9)(DX*1), R10
	LEAQ   (R10)(DX*1), R11
	XORQ   AX, AX
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

	TESTQ       $4, CX
	JZ          t4eight
	VMOVUPS     (SI), X12
	VFMADD231PS (R8), X12, X4
	VFMADD231PS (R9), X12, X5
	VFMADD231PS (R10), X12, X6
	VFMADD231PS (R11), X12, X7
	MOVQ        $4, AX
	SUBQ        $4, CX

t4eight:
	TESTQ       $8, CX
	JZ          t4check
	VMOVUPS     (SI)(AX*4), Y12
	VFMADD231PS (R8)(AX*4), Y12, Y4
	VFMADD231PS (R9)(AX*4), Y12, Y5
	VFMADD231PS (R10)(AX*4), Y12, Y6
	VFMADD231PS (R11)(AX*4), Y12, Y7
	ADDQ        $8, AX
	SUBQ        $8, CX

t4check:
	TESTQ CX, CX
	JZ    t4reduce

t4loop:
	VMOVUPS     (SI)(AX*4), Y12
	VMOVUPS     32(SI)(AX*4), Y13
	VFMADD231PS (R8)(AX*4), Y12, Y4
	VFMADD231PS (R9)(AX*4), Y12, Y5
	VFMADD231PS 32(R8)(AX*4), Y13, Y4
	VFMADD231PS 32(R9)(AX*4), Y13, Y5
	VFMADD231PS (R10)(AX*4), Y12, Y6
	VFMADD231PS (R11)(AX*4), Y12, Y7
	VFMADD231PS 32(R10)(AX*4), Y13, Y6
	VFMADD231PS 32(R11)(AX*4), Y13, Y7
	ADDQ        $16, AX
	SUBQ        $16, CX
	JNZ         t4loop

t4reduce:
	VEXTRACTF128 $1, Y4, X12
	VEXTRACTF128 $1, Y5, X13
	VEXTRACTF128 $1, Y6, X14
	VEXTRACTF128 $1, Y7, X15
	VADDPS       X4, X12, X4
	VADDPS       X5, X13, X5
	VADDPS       X6, X14, X6
	VADDPS       X7, X15, X7
	VHADDPS      X4, X4, X4
	VHADDPS      X5, X5, X5
	VHADDPS      X6, X6, X6
	VHADDPS      X7, X7, X7
	VHADDPS      X4, X4, X4
	VHADDPS      X5, X5, X5
	VHADDPS      X6, X6, X6
	VHADDPS      X7, X7, X7
	VMOVSS       X4, (DI)
	VMOVSS       X5, 4(DI)
	VMOVSS       X6, 8(DI)
	VMOVSS       X7, 12(DI)
	VZEROUPPER
	RET

// func saxpyFusedAVX2(n int, alpha float32, x, y *float32)
//
// y[i] = alpha·x[i] + y[i], rounded once, for i < n, n a multiple of 32:
// saxpy_kernel_16 of saxpy_microk_haswell-2.c.
TEXT ·saxpyFusedAVX2(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	VBROADCASTSS alpha+8(FP), Y0
	MOVQ         x+16(FP), SI
	MOVQ         y+24(FP), DI
	SHRQ         $5, CX
	JZ           saxDone

saxLoop:
	VMOVUPS     (DI), Y12
	VMOVUPS     32(DI), Y13
	VMOVUPS     64(DI), Y14
	VMOVUPS     96(DI), Y15
	VFMADD231PS (SI), Y0, Y12
	VFMADD231PS 32(SI), Y0, Y13
	VFMADD231PS 64(SI), Y0, Y14
	VFMADD231PS 96(SI), Y0, Y15
	VMOVUPS     Y12, (DI)
	VMOVUPS     Y13, 32(DI)
	VMOVUPS     Y14, 64(DI)
	VMOVUPS     Y15, 96(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	DECQ        CX
	JNZ         saxLoop

saxDone:
	VZEROUPPER
	RET

// func sdotAVX2(n int, x, y *float32) float32
//
// Σ x[i]·y[i] for i < n, n a multiple of 32: sdot_kernel_16 of
// sdot_microk_haswell-2.c.
TEXT ·sdotAVX2(SB), NOSPLIT, $0-28
	MOVQ   n+0(FP), CX
	MOVQ   x+8(FP), SI
	MOVQ   y+16(FP), DI
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	SHRQ   $5, CX
	JZ     sdReduce

sdLoop:
	VMOVUPS     (SI), Y12
	VMOVUPS     32(SI), Y13
	VMOVUPS     64(SI), Y14
	VMOVUPS     96(SI), Y15
	VFMADD231PS (DI), Y12, Y4
	VFMADD231PS 32(DI), Y13, Y5
	VFMADD231PS 64(DI), Y14, Y6
	VFMADD231PS 96(DI), Y15, Y7
	ADDQ        $128, SI
	ADDQ        $128, DI
	DECQ        CX
	JNZ         sdLoop

sdReduce:
	VEXTRACTF128 $1, Y4, X12
	VEXTRACTF128 $1, Y5, X13
	VEXTRACTF128 $1, Y6, X14
	VEXTRACTF128 $1, Y7, X15
	VADDPS       X4, X12, X4
	VADDPS       X5, X13, X5
	VADDPS       X6, X14, X6
	VADDPS       X7, X15, X7
	VADDPS       X4, X5, X4
	VADDPS       X6, X7, X6
	VADDPS       X4, X6, X4
	VHADDPS      X4, X4, X4
	VHADDPS      X4, X4, X4
	VMOVSS       X4, ret+24(FP)
	VZEROUPPER
	RET

// func sgemvN8AVX2(n int, a *float32, lda int, x *float32, y *float32, alpha float32)
//
// y[i] += alpha·Σ_{c<8} a[c·lda+i]·x[c] for i < n, n a positive multiple of 4:
// sgemv_kernel_4x8 of sgemv_n_microk_haswell-4.c. The first four rows (when n mod
// 8 is 4), then eight (when what is left mod 16 is 8), sum the even and the odd
// columns apart and add alpha times their sum to y unfused; the rest, sixteen rows
// at a time, sum all eight columns in one chain and fuse alpha in.
TEXT ·sgemvN8AVX2(SB), NOSPLIT, $0-44
	MOVQ         n+0(FP), CX
	MOVQ         a+8(FP), R8
	MOVQ         lda+16(FP), DX
	MOVQ         x+24(FP), SI
	MOVQ         y+32(FP), DI
	VBROADCASTSS alpha+40(FP), Y6
	LEAQ         (R8)(DX*4), R9
	LEAQ         (R9)(DX*4), R10
	LEAQ         (R10)(DX*4), R11
	LEAQ         (DX*4), BX // columns 4–7 are four columns on: index BX
	VBROADCASTSS 0(SI), Y12
	VBROADCASTSS 4(SI), Y13
	VBROADCASTSS 8(SI), Y14
	VBROADCASTSS 12(SI), Y15
	VBROADCASTSS 16(SI), Y0
	VBROADCASTSS 20(SI), Y1
	VBROADCASTSS 24(SI), Y2
	VBROADCASTSS 28(SI), Y3
	XORQ         AX, AX

	TESTQ $4, CX
	JZ    sgemvN8AVX2eight
	VMOVUPS     (DI)(AX*4), X7
	VXORPS      Y4, Y4, Y4
	VXORPS      Y5, Y5, Y5
	VFMADD231PS (R8)(AX*4), X12, X4
	VFMADD231PS (R9)(AX*4), X13, X5
	VFMADD231PS (R10)(AX*4), X14, X4
	VFMADD231PS (R11)(AX*4), X15, X5
	VFMADD231PS (R8)(BX*4), X0, X4
	VFMADD231PS (R9)(BX*4), X1, X5
	VFMADD231PS (R10)(BX*4), X2, X4
	VFMADD231PS (R11)(BX*4), X3, X5
	VADDPS      X4, X5, X5
	VMULPS      X6, X5, X5
	VADDPS      X7, X5, X5
	VMOVUPS     X5, (DI)(AX*4)
	ADDQ  $4, AX
	ADDQ  $4, BX
	SUBQ  $4, CX

sgemvN8AVX2eight:
	TESTQ $8, CX
	JZ    sgemvN8AVX2check
	VMOVUPS     (DI)(AX*4), Y7
	VXORPS      Y4, Y4, Y4
	VXORPS      Y5, Y5, Y5
	VFMADD231PS (R8)(AX*4), Y12, Y4
	VFMADD231PS (R9)(AX*4), Y13, Y5
	VFMADD231PS (R10)(AX*4), Y14, Y4
	VFMADD231PS (R11)(AX*4), Y15, Y5
	VFMADD231PS (R8)(BX*4), Y0, Y4
	VFMADD231PS (R9)(BX*4), Y1, Y5
	VFMADD231PS (R10)(BX*4), Y2, Y4
	VFMADD231PS (R11)(BX*4), Y3, Y5
	VADDPS      Y4, Y5, Y5
	VMULPS      Y6, Y5, Y5
	VADDPS      Y7, Y5, Y5
	VMOVUPS     Y5, (DI)(AX*4)
	ADDQ  $8, AX
	ADDQ  $8, BX
	SUBQ  $8, CX

sgemvN8AVX2check:
	TESTQ CX, CX
	JZ    sgemvN8AVX2done

sgemvN8AVX2loop:
	VXORPS      Y4, Y4, Y4
	VXORPS      Y5, Y5, Y5
	VMOVUPS     (DI)(AX*4), Y8
	VMOVUPS     32(DI)(AX*4), Y9
	VFMADD231PS (R8)(AX*4), Y12, Y4
	VFMADD231PS 32(R8)(AX*4), Y12, Y5
	VFMADD231PS (R9)(AX*4), Y13, Y4
	VFMADD231PS 32(R9)(AX*4), Y13, Y5
	VFMADD231PS (R10)(AX*4), Y14, Y4
	VFMADD231PS 32(R10)(AX*4), Y14, Y5
	VFMADD231PS (R11)(AX*4), Y15, Y4
	VFMADD231PS 32(R11)(AX*4), Y15, Y5
	VFMADD231PS (R8)(BX*4), Y0, Y4
	VFMADD231PS 32(R8)(BX*4), Y0, Y5
	VFMADD231PS (R9)(BX*4), Y1, Y4
	VFMADD231PS 32(R9)(BX*4), Y1, Y5
	VFMADD231PS (R10)(BX*4), Y2, Y4
	VFMADD231PS 32(R10)(BX*4), Y2, Y5
	VFMADD231PS (R11)(BX*4), Y3, Y4
	VFMADD231PS 32(R11)(BX*4), Y3, Y5
	VFMADD231PS Y6, Y4, Y8
	VFMADD231PS Y6, Y5, Y9
	VMOVUPS     Y8, (DI)(AX*4)
	VMOVUPS     Y9, 32(DI)(AX*4)
	ADDQ        $16, AX
	ADDQ        $16, BX
	SUBQ        $16, CX
	JNZ         sgemvN8AVX2loop

sgemvN8AVX2done:
	VZEROUPPER
	RET

// func sgemvN4AVX2(n int, a *float32, lda int, x *float32, y *float32, alpha float32)
//
// The same for four columns: sgemv_kernel_4x4 of sgemv_n_microk_haswell-4.c.
TEXT ·sgemvN4AVX2(SB), NOSPLIT, $0-44
	MOVQ         n+0(FP), CX
	MOVQ         a+8(FP), R8
	MOVQ         lda+16(FP), DX
	MOVQ         x+24(FP), SI
	MOVQ         y+32(FP), DI
	VBROADCASTSS alpha+40(FP), Y6
	LEAQ         (R8)(DX*4), R9
	LEAQ         (R9)(DX*4), R10
	LEAQ         (R10)(DX*4), R11
	VBROADCASTSS 0(SI), Y12
	VBROADCASTSS 4(SI), Y13
	VBROADCASTSS 8(SI), Y14
	VBROADCASTSS 12(SI), Y15
	XORQ         AX, AX

	TESTQ $4, CX
	JZ    sgemvN4AVX2eight
	VMOVUPS     (DI)(AX*4), X7
	VXORPS      Y4, Y4, Y4
	VXORPS      Y5, Y5, Y5
	VFMADD231PS (R8)(AX*4), X12, X4
	VFMADD231PS (R9)(AX*4), X13, X5
	VFMADD231PS (R10)(AX*4), X14, X4
	VFMADD231PS (R11)(AX*4), X15, X5
	VADDPS      X4, X5, X5
	VMULPS      X6, X5, X5
	VADDPS      X7, X5, X5
	VMOVUPS     X5, (DI)(AX*4)
	ADDQ  $4, AX
	SUBQ  $4, CX

sgemvN4AVX2eight:
	TESTQ $8, CX
	JZ    sgemvN4AVX2check
	VMOVUPS     (DI)(AX*4), Y7
	VXORPS      Y4, Y4, Y4
	VXORPS      Y5, Y5, Y5
	VFMADD231PS (R8)(AX*4), Y12, Y4
	VFMADD231PS (R9)(AX*4), Y13, Y5
	VFMADD231PS (R10)(AX*4), Y14, Y4
	VFMADD231PS (R11)(AX*4), Y15, Y5
	VADDPS      Y4, Y5, Y5
	VMULPS      Y6, Y5, Y5
	VADDPS      Y7, Y5, Y5
	VMOVUPS     Y5, (DI)(AX*4)
	ADDQ  $8, AX
	SUBQ  $8, CX

sgemvN4AVX2check:
	TESTQ CX, CX
	JZ    sgemvN4AVX2done

sgemvN4AVX2loop:
	VXORPS      Y4, Y4, Y4
	VXORPS      Y5, Y5, Y5
	VMOVUPS     (DI)(AX*4), Y8
	VMOVUPS     32(DI)(AX*4), Y9
	VFMADD231PS (R8)(AX*4), Y12, Y4
	VFMADD231PS 32(R8)(AX*4), Y12, Y5
	VFMADD231PS (R9)(AX*4), Y13, Y4
	VFMADD231PS 32(R9)(AX*4), Y13, Y5
	VFMADD231PS (R10)(AX*4), Y14, Y4
	VFMADD231PS 32(R10)(AX*4), Y14, Y5
	VFMADD231PS (R11)(AX*4), Y15, Y4
	VFMADD231PS 32(R11)(AX*4), Y15, Y5
	VFMADD231PS Y6, Y4, Y8
	VFMADD231PS Y6, Y5, Y9
	VMOVUPS     Y8, (DI)(AX*4)
	VMOVUPS     Y9, 32(DI)(AX*4)
	ADDQ        $16, AX
	SUBQ        $16, CX
	JNZ         sgemvN4AVX2loop

sgemvN4AVX2done:
	VZEROUPPER
	RET
