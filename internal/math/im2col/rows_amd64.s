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

// func addStridedAVX512(dst *float32, in *float32, n int, tab *strideTab)
//
// dst[o·s] += in[o] for o < n, n ≥ 1, s = tab.s in [2, 8]: addRow's strided case.
// A chunk of m = ⌊16/s⌋ outputs adds onto the m·s values of dst from o·s, of which
// it touches the lanes tab.touch (0, s, 2s, …): those are loaded (the rest 0 and
// never read), the m inputs are loaded and moved to them by a permute (lane e
// gets input e/s, tab.idx), added with dst as the first operand as the Go loop's
// sum, and stored through the same mask. Each dst value gets one addition, so the
// sums are the Go loop's bit for bit. The last n mod m outputs are one masked
// chunk.
//
// Registers: DI = dst, SI = in, CX = outputs left, R8 = tab, R9 = m, R10 = m·s·4,
// R11 = m·4; Z2 = the permute's indices, K1 the touched lanes, K2 the inputs'.
TEXT ·addStridedAVX512(SB), NOSPLIT, $0-32
	MOVQ      dst+0(FP), DI
	MOVQ      in+8(FP), SI
	MOVQ      n+16(FP), CX
	MOVQ      tab+24(FP), R8
	VMOVDQU32 (R8), Z2
	KMOVW     64(R8), K1
	MOVQ      72(R8), R9
	MOVQ      80(R8), R10
	MOVQ      R9, R11
	SHLQ      $2, R11
	MOVQ      $-1, AX
	BZHIQ     R9, AX, AX
	KMOVW     AX, K2

achunk:
	CMPQ      CX, R9
	JLT       atail
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (SI), K2, Z1
	VPERMPS   Z1, Z2, Z1
	VADDPS    Z1, Z0, K1, Z0
	VMOVUPS   Z0, K1, (DI)
	ADDQ      R10, DI
	ADDQ      R11, SI
	SUBQ      R9, CX
	JNZ       achunk
	JMP       adone

atail:
	// The r = CX < m outputs left: lanes below r·s of the touched ones, r inputs.
	MOVQ      CX, AX
	IMULQ     88(R8), AX
	MOVQ      $-1, BX
	BZHIQ     AX, BX, BX
	KMOVW     BX, K3
	KANDW     K1, K3, K3
	MOVQ      $-1, BX
	BZHIQ     CX, BX, BX
	KMOVW     BX, K4
	VMOVUPS.Z (DI), K3, Z0
	VMOVUPS.Z (SI), K4, Z1
	VPERMPS   Z1, Z2, Z1
	VADDPS    Z1, Z0, K3, Z0
	VMOVUPS   Z0, K3, (DI)

adone:
	VZEROUPPER
	RET
