//go:build amd64 && !purego

#include "textflag.h"

// func packSliverAVX512(d *float32, img *float32, runs *packRun, nruns, kk, ky, kx int, geo *packGeo)
//
// Rows [p0, p0+kk) of one 16-column sliver of a unit-stride, undilated column
// matrix: for each row p (its channel's plane at img, its kernel offset ky, kx,
// advanced as p goes) the 16 lanes are built from the runs — stretches of lanes
// that lie in one output row — each one masked load of the input row it reads,
// merged into a zeroed vector, whose lanes in geo's store mask are stored at
// d + p·(geo's row stride): 64 bytes for a packed sliver, a row of the matrix for
// Im2col itself. A lane whose input lies
// in the padding stays 0. The masked loads may address memory before or after the
// image; masked-off lanes are never read, and AVX-512 suppresses their faults.
//
// Registers: DI = d, SI = img, R8 = runs, R9 = nruns, CX = rows left, R10 = ky,
// R11 = kx, R12 = geo; AX, BX, DX, R13, R14, R15 scratch.
TEXT ·packSliverAVX512(SB), NOSPLIT, $0-64
	MOVQ d+0(FP), DI
	MOVQ img+8(FP), SI
	MOVQ runs+16(FP), R8
	MOVQ nruns+24(FP), R9
	MOVQ kk+32(FP), CX
	MOVQ ky+40(FP), R10
	MOVQ kx+48(FP), R11
	MOVQ geo+56(FP), R12
	KMOVW 48(R12), K2 // the lanes to store

row:
	VPXORD Z0, Z0, Z0
	MOVQ   R8, BX // the run
	MOVQ   R9, DX // runs left

run:
	// iy = rowBase + ky; skip the run if it is outside [0, h).
	MOVQ 16(BX), AX
	ADDQ R10, AX
	CMPQ AX, 0(R12) // h (unsigned: a negative iy is above it)
	JAE  next
	IMULQ 8(R12), AX // iy·w

	// cb = colBase + kx: lane l reads column cb + l.
	MOVQ 24(BX), R13
	ADDQ R11, R13
	ADDQ R13, AX // the element lane 0 reads: iy·w + cb

	// lo = max(lane, −cb), hi = min(lane + n, w − cb).
	MOVQ    0(BX), R14
	MOVQ    R13, R15
	NEGQ    R15
	CMPQ    R15, R14
	CMOVQGT R15, R14 // R14 = lo
	MOVQ    8(R12), R15
	SUBQ    R13, R15 // w − cb
	MOVQ    0(BX), R13
	ADDQ    8(BX), R13 // lane + n
	CMPQ    R13, R15
	CMOVQLT R13, R15 // R15 = hi
	CMPQ    R14, R15
	JGE     next

	// mask = (1 << hi) − (1 << lo)
	MOVQ  $1, R13
	SHLXQ R15, R13, R15
	SHLXQ R14, R13, R14
	SUBQ  R14, R15
	KMOVW R15, K1
	VMOVUPS (SI)(AX*4), K1, Z0

next:
	ADDQ $32, BX
	DECQ DX
	JNZ  run
	VMOVUPS Z0, K2, (DI)
	ADDQ    40(R12), DI // the destination's row stride

	// The next row's kernel offset and channel.
	INCQ R11
	CMPQ R11, 24(R12) // kw
	JLT  step
	XORQ R11, R11
	INCQ R10
	CMPQ R10, 16(R12) // kh
	JLT  step
	XORQ R10, R10
	MOVQ 32(R12), AX  // the plane in bytes
	ADDQ AX, SI

step:
	DECQ CX
	JNZ  row
	VZEROUPPER
	RET
