//go:build amd64 && !purego

#include "textflag.h"

// func aveBackAVX512(dy, div, dx *float32, w, h, outW, n, chunks, taps int, table, hrows *int32, planes, xPlane, yPlane int, buf *float32)
//
// AVE's backward pass over planes planes. In each, d = dy/div of all n outputs
// (into buf), then every dx row h, sixteen columns (a chunk) at a time, is the sum
// from +0 of the d of the windows over each of its columns, in Caffe's order:
// output row oy ascending over [hrows[2·h], hrows[2·h+1]), and within a row tap t
// ascending, tap t of column c being window first(c) + t, gathered from the
// row's d by a VPERMI2PS of the 32 values from the chunk's base window (table,
// per chunk: base, store mask, then per tap its lane mask and sixteen indices;
// PoolBackTable). A lane without a tap t adds +0, nothing to a sum from +0. Each
// dx is written once, nothing read back.
TEXT ·aveBackAVX512(SB), NOSPLIT, $8-120
	MOVQ  taps+64(FP), AX
	IMULQ $68, AX
	ADDQ  $8, AX
	MOVQ  AX, tstride-8(SP) // a chunk's entry in the table, in bytes
	MOVQ  buf+112(FP), R10

bplane:
	// d of the plane into buf.
	MOVQ dy+0(FP), SI
	MOVQ div+8(FP), DI
	XORQ R11, R11

bdd:
	MOVQ n+48(FP), CX
	SUBQ R11, CX
	CMPQ CX, $16
	JLE  bddmask
	MOVQ $16, CX

bddmask:
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1
	VMOVUPS.Z (SI)(R11*4), K1, Z0
	VMOVUPS.Z (DI)(R11*4), K1, Z1
	VDIVPS    Z1, Z0, Z0
	VMOVUPS   Z0, (R10)(R11*4)
	ADDQ      $16, R11
	CMPQ      R11, n+48(FP)
	JLT       bdd

	XORQ R9, R9       // R9: the dx row h
	MOVQ dx+16(FP), R8 // R8: dx row h

bhrow:
	MOVQ    hrows+80(FP), AX
	MOVLQSX (AX)(R9*8), R12  // the first output row over h
	MOVLQSX 4(AX)(R9*8), R13 // one past the last
	MOVQ    table+72(FP), BX
	XORQ    DX, DX           // DX: the chunk's first column

bchunk:
	VXORPS  Z0, Z0, Z0
	KMOVW   4(BX), K3
	MOVLQSX (BX), AX   // base
	MOVQ    R12, SI
	CMPQ    SI, R13
	JGE     bstore

borow:
	MOVQ    SI, CX
	IMULQ   outW+40(FP), CX
	ADDQ    AX, CX
	VMOVUPS (R10)(CX*4), Z20
	VMOVUPS 64(R10)(CX*4), Z21
	MOVQ    BX, DI
	MOVQ    taps+64(FP), CX

btap:
	KMOVW       8(DI), K1
	VMOVDQU32   12(DI), Z10
	VPERMI2PS.Z Z21, Z20, K1, Z10
	VADDPS      Z10, Z0, Z0
	ADDQ        $68, DI
	DECQ        CX
	JNZ         btap
	INCQ        SI
	CMPQ        SI, R13
	JLT         borow

bstore:
	VMOVUPS Z0, K3, (R8)(DX*4)
	ADDQ    tstride-8(SP), BX
	ADDQ    $16, DX
	CMPQ    DX, w+24(FP)
	JLT     bchunk

	MOVQ w+24(FP), AX
	LEAQ (R8)(AX*4), R8
	INCQ R9
	CMPQ R9, h+32(FP)
	JLT  bhrow

	MOVQ yPlane+104(FP), AX
	SHLQ $2, AX
	ADDQ AX, dy+0(FP)
	MOVQ xPlane+96(FP), AX
	SHLQ $2, AX
	ADDQ AX, dx+16(FP)
	DECQ planes+88(FP)
	JNZ  bplane
	VZEROUPPER
	RET
