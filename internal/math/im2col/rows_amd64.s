//go:build amd64 && !purego

#include "textflag.h"

// tailMask holds eight all-ones lanes then eight zero lanes: the eight lanes from
// tailMask+4·(8−t) select the first t values of a vector.
DATA tailMask<>+0(SB)/4, $0xffffffff
DATA tailMask<>+4(SB)/4, $0xffffffff
DATA tailMask<>+8(SB)/4, $0xffffffff
DATA tailMask<>+12(SB)/4, $0xffffffff
DATA tailMask<>+16(SB)/4, $0xffffffff
DATA tailMask<>+20(SB)/4, $0xffffffff
DATA tailMask<>+24(SB)/4, $0xffffffff
DATA tailMask<>+28(SB)/4, $0xffffffff
DATA tailMask<>+32(SB)/4, $0
DATA tailMask<>+36(SB)/4, $0
DATA tailMask<>+40(SB)/4, $0
DATA tailMask<>+44(SB)/4, $0
DATA tailMask<>+48(SB)/4, $0
DATA tailMask<>+52(SB)/4, $0
DATA tailMask<>+56(SB)/4, $0
DATA tailMask<>+60(SB)/4, $0
GLOBL tailMask<>(SB), RODATA|NOPTR, $64

// func addRowsAVX(dst *float32, dstStep int, src *float32, srcStep, n, rows int)
//
// dst[r·dstStep + i] += src[r·srcStep + i] for r < rows, i < n; rows ≥ 1, n ≥ 1.
// Each sum is dst + src with dst as the first operand, as the Go loop usually
// computes it (only a NaN's payload could tell). The last n mod 8 values of a
// row are loaded and stored through a mask, which touches nothing past them.
TEXT ·addRowsAVX(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ dstStep+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ srcStep+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ rows+40(FP), DX
	SHLQ $2, R8
	SHLQ $2, R9

	// Y15: the mask of the n mod 8 values after the whole vectors.
	MOVQ    CX, BX
	ANDQ    $7, BX
	MOVQ    $8, AX
	SUBQ    BX, AX
	LEAQ    tailMask<>(SB), R10
	VMOVDQU (R10)(AX*4), Y15
	SHRQ    $3, CX // whole vectors per row

row:
	MOVQ DI, R11
	MOVQ SI, R12
	MOVQ CX, R13
	TESTQ R13, R13
	JZ   tail

vec:
	VMOVUPS (R11), Y0
	VADDPS  (R12), Y0, Y0
	VMOVUPS Y0, (R11)
	ADDQ    $32, R11
	ADDQ    $32, R12
	DECQ    R13
	JNZ     vec

tail:
	TESTQ      BX, BX
	JZ         next
	VMASKMOVPS (R11), Y15, Y0
	VMASKMOVPS (R12), Y15, Y1
	VADDPS     Y1, Y0, Y0
	VMASKMOVPS Y0, Y15, (R11)

next:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ DX
	JNZ  row
	VZEROUPPER
	RET

// func copyRowsAVX(dst *float32, dstStep int, src *float32, srcStep, n, rows int)
//
// dst[r·dstStep + i] = src[r·srcStep + i] for r < rows, i < n; rows ≥ 1, n ≥ 1.
// As addRowsAVX, the last n mod 8 values of a row go through a mask.
TEXT ·copyRowsAVX(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ dstStep+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ srcStep+24(FP), R9
	MOVQ n+32(FP), CX
	MOVQ rows+40(FP), DX
	SHLQ $2, R8
	SHLQ $2, R9

	MOVQ    CX, BX
	ANDQ    $7, BX
	MOVQ    $8, AX
	SUBQ    BX, AX
	LEAQ    tailMask<>(SB), R10
	VMOVDQU (R10)(AX*4), Y15
	SHRQ    $3, CX

crow:
	MOVQ  DI, R11
	MOVQ  SI, R12
	MOVQ  CX, R13
	TESTQ R13, R13
	JZ    ctail

cvec:
	VMOVUPS (R12), Y0
	VMOVUPS Y0, (R11)
	ADDQ    $32, R11
	ADDQ    $32, R12
	DECQ    R13
	JNZ     cvec

ctail:
	TESTQ      BX, BX
	JZ         cnext
	VMASKMOVPS (R12), Y15, Y0
	VMASKMOVPS Y0, Y15, (R11)

cnext:
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ DX
	JNZ  crow
	VZEROUPPER
	RET
