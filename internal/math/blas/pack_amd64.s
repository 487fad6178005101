//go:build amd64 && !purego

#include "textflag.h"

// Packing in AVX2. The transposing packs move 8×8 blocks through registers: rows
// 0..3 go to the low 128-bit lanes and rows 4..7 to the high ones (VINSERTF128),
// so that one 4×4 transpose inside each lane (unpack, then 64-bit unpack) leaves
// column j of the block in one register.

// TRANSPOSE4 transposes the 4×4 blocks in each lane of a, b, c, d (rows) into
// o0..o3 (columns), using t0, t1 as scratch.
#define TRANSPOSE4(a, b, c, d, t0, t1, t2, t3, o0, o1, o2, o3) \
	VUNPCKLPS b, a, t0 \
	VUNPCKHPS b, a, t1 \
	VUNPCKLPS d, c, t2 \
	VUNPCKHPS d, c, t3 \
	VUNPCKLPD t2, t0, o0 \
	VUNPCKHPD t2, t0, o1 \
	VUNPCKLPD t3, t1, o2 \
	VUNPCKHPD t3, t1, o3

// func packBNAVX2(kk, slivers int, b *float32, ldb int, dst *float32)
//
// dst[(s·kk+p)·16 + j] = b[p·ldb + s·16 + j] for s < slivers, p < kk, j < 16.
TEXT ·packBNAVX2(SB), NOSPLIT, $0-40
	MOVQ kk+0(FP), CX
	MOVQ slivers+8(FP), BX
	MOVQ b+16(FP), SI
	MOVQ ldb+24(FP), R8
	SHLQ $2, R8
	MOVQ dst+32(FP), DI

bnSliver:
	MOVQ SI, AX
	MOVQ CX, DX

bnRow:
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ    R8, AX
	ADDQ    $64, DI
	DECQ    DX
	JNZ     bnRow

	ADDQ $64, SI
	DECQ BX
	JNZ  bnSliver
	VZEROUPPER
	RET

// BT8 transposes the 8×8 block at rows 0..3 (base p, stride R10, 3·R10 in R11) and
// rows 4..7 (base q) into 8 consecutive 64-byte rows of dst at DI + off.
#define BT8(p, q, off) \
	VMOVUPS     (p), X0 \
	VINSERTF128 $1, (q), Y0, Y0 \
	VMOVUPS     (p)(R10*1), X1 \
	VINSERTF128 $1, (q)(R10*1), Y1, Y1 \
	VMOVUPS     (p)(R10*2), X2 \
	VINSERTF128 $1, (q)(R10*2), Y2, Y2 \
	VMOVUPS     (p)(R11*1), X3 \
	VINSERTF128 $1, (q)(R11*1), Y3, Y3 \
	VMOVUPS     16(p), X4 \
	VINSERTF128 $1, 16(q), Y4, Y4 \
	VMOVUPS     16(p)(R10*1), X5 \
	VINSERTF128 $1, 16(q)(R10*1), Y5, Y5 \
	VMOVUPS     16(p)(R10*2), X6 \
	VINSERTF128 $1, 16(q)(R10*2), Y6, Y6 \
	VMOVUPS     16(p)(R11*1), X7 \
	VINSERTF128 $1, 16(q)(R11*1), Y7, Y7 \
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15) \
	VMOVUPS     Y12, off(DI) \
	VMOVUPS     Y13, off+64(DI) \
	VMOVUPS     Y14, off+128(DI) \
	VMOVUPS     Y15, off+192(DI) \
	TRANSPOSE4(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15) \
	VMOVUPS     Y12, off+256(DI) \
	VMOVUPS     Y13, off+320(DI) \
	VMOVUPS     Y14, off+384(DI) \
	VMOVUPS     Y15, off+448(DI)

// func packBTAVX2(k8 int, b *float32, ldb int, dst *float32)
//
// dst[p·16 + c] = b[c·ldb + p] for c < 16 and p < k8, a positive multiple of 8.
TEXT ·packBTAVX2(SB), NOSPLIT, $0-32
	MOVQ k8+0(FP), CX
	SHRQ $3, CX
	MOVQ b+8(FP), SI
	MOVQ ldb+16(FP), R10
	SHLQ $2, R10
	LEAQ (R10)(R10*2), R11 // 3 rows
	MOVQ dst+24(FP), DI

	// Rows 0, 4, 8 and 12 of the sliver.
	MOVQ SI, R12
	LEAQ (SI)(R10*4), R13
	LEAQ (R13)(R10*4), R8
	LEAQ (R8)(R10*4), R9

btBlock:
	BT8(R12, R13, 0)
	BT8(R8, R9, 32)
	ADDQ $32, R12
	ADDQ $32, R13
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $512, DI
	DECQ CX
	JNZ  btBlock
	VZEROUPPER
	RET

// AN6 stores the six valid floats of y (whose low half is in x) at off(DI).
#define AN6(y, x, off) \
	VMOVUPS      x, off(DI) \
	VEXTRACTF128 $1, y, X15 \
	VMOVSD       X15, off+16(DI)

// func packANAVX2(k8 int, a *float32, lda int, dst *float32)
//
// dst[p·6 + r] = a[r·lda + p] for r < 6 and p < k8, a positive multiple of 8:
// the 8×8 transpose with rows 6 and 7 zero, of whose columns six floats are kept.
TEXT ·packANAVX2(SB), NOSPLIT, $0-32
	MOVQ k8+0(FP), CX
	SHRQ $3, CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	SHLQ $2, R10
	LEAQ (R10)(R10*2), R11
	MOVQ dst+24(FP), DI
	LEAQ (SI)(R10*4), R13 // row 4

anBlock:
	VMOVUPS     (SI), X0
	VINSERTF128 $1, (R13), Y0, Y0
	VMOVUPS     (SI)(R10*1), X1
	VINSERTF128 $1, (R13)(R10*1), Y1, Y1
	VMOVUPS     (SI)(R10*2), X2
	VMOVUPS     (SI)(R11*1), X3
	VMOVUPS     16(SI), X4
	VINSERTF128 $1, 16(R13), Y4, Y4
	VMOVUPS     16(SI)(R10*1), X5
	VINSERTF128 $1, 16(R13)(R10*1), Y5, Y5
	VMOVUPS     16(SI)(R10*2), X6
	VMOVUPS     16(SI)(R11*1), X7
	TRANSPOSE4(Y0, Y1, Y2, Y3, Y8, Y9, Y10, Y11, Y0, Y1, Y2, Y3)
	AN6(Y0, X0, 0)
	AN6(Y1, X1, 24)
	AN6(Y2, X2, 48)
	AN6(Y3, X3, 72)
	TRANSPOSE4(Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y4, Y5, Y6, Y7)
	AN6(Y4, X4, 96)
	AN6(Y5, X5, 120)
	AN6(Y6, X6, 144)
	AN6(Y7, X7, 168)
	ADDQ $32, SI
	ADDQ $32, R13
	ADDQ $192, DI
	DECQ CX
	JNZ  anBlock
	VZEROUPPER
	RET

// func packATAVX2(kk int, a *float32, lda int, dst *float32)
//
// dst[p·6 + r] = a[p·lda + r] for r < 6 and p < kk, kk positive.
TEXT ·packATAVX2(SB), NOSPLIT, $0-32
	MOVQ kk+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R10
	SHLQ $2, R10
	MOVQ dst+24(FP), DI

atRow:
	VMOVUPS (SI), X0
	VMOVSD  16(SI), X1
	VMOVUPS X0, (DI)
	VMOVSD  X1, 16(DI)
	ADDQ    R10, SI
	ADDQ    $24, DI
	DECQ    CX
	JNZ     atRow
	RET
