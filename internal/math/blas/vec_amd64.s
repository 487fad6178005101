//go:build amd64 && !purego

#include "textflag.h"

// func dotAVX2(n int, x, y *float32) float32
//
// Σ x[i]·y[i] over n ≥ 0 elements, in four 8-wide partial sums.
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ   n+0(FP), CX
	MOVQ   x+8(FP), SI
	MOVQ   y+16(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	MOVQ   CX, BX
	SHRQ   $5, BX
	JZ     dot8

dot32:
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	DECQ        BX
	JNZ         dot32

dot8:
	MOVQ CX, BX
	ANDQ $31, BX
	SHRQ $3, BX
	JZ   dotReduce

dot8Loop:
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	DECQ        BX
	JNZ         dot8Loop

dotReduce:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	ANDQ         $7, CX
	JZ           dotDone

dotTail:
	VMOVSS      (SI), X4
	VFMADD231SS (DI), X4, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JNZ         dotTail

dotDone:
	VMOVSS X0, ret+24(FP)
	VZEROUPPER
	RET

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

// func dotBlockAVX2(k int, a0, a1, a2, a3, b0, b1, b2 *float32, out *[12]float32)
//
// out[3r+j] = Σ_p ar[p]·bj[p] over k ≥ 1 elements: twelve dot products sharing
// their loads, for the product of a few rows of A by a few rows of B.
TEXT ·dotBlockAVX2(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a0+8(FP), R8
	MOVQ a1+16(FP), R9
	MOVQ a2+24(FP), R10
	MOVQ a3+32(FP), R11
	MOVQ b0+40(FP), R12
	MOVQ b1+48(FP), R13
	MOVQ b2+56(FP), BX
	MOVQ out+64(FP), DI
	XORQ AX, AX // byte offset into every vector

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	MOVQ CX, DX
	SHRQ $3, DX
	JZ   dbTail

dbLoop:
	VMOVUPS (R12)(AX*1), Y12
	VMOVUPS (R13)(AX*1), Y13
	VMOVUPS (BX)(AX*1), Y14
	DOT4x3
	ADDQ    $32, AX
	DECQ    DX
	JNZ     dbLoop

dbTail:
	// The last k mod 8 floats, through masked loads that do not touch memory
	// past the vectors' ends.
	ANDQ       $7, CX
	JZ         dbReduce
	NEGQ       CX
	LEAQ       dotMask<>+32(SB), DX
	VMOVDQU    (DX)(CX*4), Y15
	VMASKMOVPS (R12)(AX*1), Y15, Y12
	VMASKMOVPS (R13)(AX*1), Y15, Y13
	VMASKMOVPS (BX)(AX*1), Y15, Y14
	VMOVDQU    (DX)(CX*4), Y15
	VMASKMOVPS (R8)(AX*1), Y15, Y15
	VFMADD231PS Y12, Y15, Y0
	VFMADD231PS Y13, Y15, Y1
	VFMADD231PS Y14, Y15, Y2
	VMOVDQU    (DX)(CX*4), Y15
	VMASKMOVPS (R9)(AX*1), Y15, Y15
	VFMADD231PS Y12, Y15, Y3
	VFMADD231PS Y13, Y15, Y4
	VFMADD231PS Y14, Y15, Y5
	VMOVDQU    (DX)(CX*4), Y15
	VMASKMOVPS (R10)(AX*1), Y15, Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VFMADD231PS Y14, Y15, Y8
	VMOVDQU    (DX)(CX*4), Y15
	VMASKMOVPS (R11)(AX*1), Y15, Y15
	VFMADD231PS Y12, Y15, Y9
	VFMADD231PS Y13, Y15, Y10
	VFMADD231PS Y14, Y15, Y11

dbReduce:
	REDUCE4(Y0, Y1, Y2, Y3, 0)
	REDUCE4(Y4, Y5, Y6, Y7, 16)
	REDUCE4(Y8, Y9, Y10, Y11, 32)
	VZEROUPPER
	RET
