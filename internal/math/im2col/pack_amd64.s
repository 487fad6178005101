//go:build amd64 && !purego

#include "textflag.h"

// NEXT_ROW steps the three routines below to the next row of the column matrix:
// kx on (R11), then ky (R10) when kx wraps at kw, then the channel (SI on by a
// plane) when ky wraps at kh; it jumps to done as soon as no more is to step.
#define NEXT_ROW(done) \
	INCQ R11 \
	CMPQ R11, 24(R12) \
	JLT  done \
	XORQ R11, R11 \
	INCQ R10 \
	CMPQ R10, 16(R12) \
	JLT  done \
	XORQ R10, R10 \
	MOVQ 32(R12), AX \
	ADDQ AX, SI

// iota16 is 0, 1, …, 15: the lanes' offsets.
DATA iota16<>+0(SB)/4, $0
DATA iota16<>+4(SB)/4, $1
DATA iota16<>+8(SB)/4, $2
DATA iota16<>+12(SB)/4, $3
DATA iota16<>+16(SB)/4, $4
DATA iota16<>+20(SB)/4, $5
DATA iota16<>+24(SB)/4, $6
DATA iota16<>+28(SB)/4, $7
DATA iota16<>+32(SB)/4, $8
DATA iota16<>+36(SB)/4, $9
DATA iota16<>+40(SB)/4, $10
DATA iota16<>+44(SB)/4, $11
DATA iota16<>+48(SB)/4, $12
DATA iota16<>+52(SB)/4, $13
DATA iota16<>+56(SB)/4, $14
DATA iota16<>+60(SB)/4, $15
GLOBL iota16<>(SB), RODATA|NOPTR, $64

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

	NEXT_ROW(step)

step:
	DECQ CX
	JNZ  row
	VZEROUPPER
	RET

// func packSliverStridedAVX512(d *float32, img *float32, runs *packRun, nruns, kk, ky, kx int, geo *packGeo)
//
// packSliverAVX512 for a strided, undilated column matrix: lane l of a run reads
// input column cb + l·sw (cb = colBase + kx, l counted from the sliver's lane 0),
// so a run is one masked gather rather than a masked load. The indices are
// cb + geo's colStep (l·sw); the gather's mask is the run's lanes and those whose
// column lies in [0, w), one unsigned compare (a negative column is above w). A
// lane whose input lies in the padding stays 0; masked-off lanes are never read.
//
// Registers as packSliverAVX512's; Z1 = colStep, Z3 = w in every lane, Z2 the
// indices, K3 the run's lanes, K1 the gather's.
TEXT ·packSliverStridedAVX512(SB), NOSPLIT, $0-64
	MOVQ d+0(FP), DI
	MOVQ img+8(FP), SI
	MOVQ runs+16(FP), R8
	MOVQ nruns+24(FP), R9
	MOVQ kk+32(FP), CX
	MOVQ ky+40(FP), R10
	MOVQ kx+48(FP), R11
	MOVQ geo+56(FP), R12
	KMOVW        48(R12), K2 // the lanes to store
	VMOVDQU32    56(R12), Z1 // l·sw
	MOVQ         8(R12), AX
	VPBROADCASTD AX, Z3      // w

srow:
	VPXORD Z0, Z0, Z0
	MOVQ   R8, BX // the run
	MOVQ   R9, DX // runs left

srun:
	// iy = rowBase + ky; skip the run if it is outside [0, h).
	MOVQ 16(BX), AX
	ADDQ R10, AX
	CMPQ AX, 0(R12) // h (unsigned: a negative iy is above it)
	JAE  snext
	IMULQ 8(R12), AX
	LEAQ  (SI)(AX*4), AX // the input row

	// The columns cb + l·sw, and the run's lanes: ((1 << n) − 1) << lane.
	MOVQ         24(BX), R13
	ADDQ         R11, R13
	VPBROADCASTD R13, Z2
	VPADDD       Z1, Z2, Z2
	MOVQ         $-1, R15
	MOVQ         8(BX), R14
	BZHIQ        R14, R15, R15
	MOVQ         0(BX), R14
	SHLXQ        R14, R15, R15
	KMOVW        R15, K3

	// The gather's lanes: the run's whose column is inside [0, w).
	VPCMPUD    $1, Z3, Z2, K3, K1
	VGATHERDPS (AX)(Z2*4), K1, Z0

snext:
	ADDQ $32, BX
	DECQ DX
	JNZ  srun
	VMOVUPS Z0, K2, (DI)
	ADDQ    40(R12), DI // the destination's row stride

	NEXT_ROW(sstep)

sstep:
	DECQ CX
	JNZ  srow
	VZEROUPPER
	RET

// func packSliverPermAVX512(d *float32, img *float32, runs *packRun, nruns, kk, ky, kx int, geo *packGeo)
//
// packSliverStridedAVX512 by loads and permutes instead of gathers: the 16 lanes of
// a run read columns cb + l·sw, which lie in the geo.nloads vectors of 16 columns
// from cb, cb + 16, …; lane l's is element l·sw mod 16 of vector ⌊l·sw/16⌋. So each
// vector is one masked load (its columns inside [0, w), the rest 0, never read) and
// one permute by colStep (VPERMPS reads the low four bits of an index) into the
// lanes of the run that read that vector (geo.loadLanes[k] ∧ the run's lanes),
// or'ed into the row (a merge would chain the permutes' latencies). Where all the
// vectors lie inside the input row, the permutes read them straight from memory.
//
// Registers as packSliverAVX512's; Z1 = colStep, Z3 = w in every lane, Z4 = 0…15,
// Z5 = 16 in every lane, Z6 the loaded vector, Z7 its columns; K3 the run's lanes,
// K4 the load's, K5 the permute's.
TEXT ·packSliverPermAVX512(SB), NOSPLIT, $0-64
	MOVQ d+0(FP), DI
	MOVQ img+8(FP), SI
	MOVQ runs+16(FP), R8
	MOVQ nruns+24(FP), R9
	MOVQ kk+32(FP), CX
	MOVQ ky+40(FP), R10
	MOVQ kx+48(FP), R11
	MOVQ geo+56(FP), R12
	KMOVW        48(R12), K2 // the lanes to store
	VMOVDQU32    56(R12), Z1 // l·sw
	MOVQ         8(R12), AX
	VPBROADCASTD AX, Z3      // w
	VMOVDQU32    iota16<>(SB), Z4
	MOVL         $16, AX
	VPBROADCASTD AX, Z5

prow:
	VPXORD Z0, Z0, Z0
	MOVQ   R8, BX // the run
	MOVQ   R9, DX // runs left

prun:
	// iy = rowBase + ky; skip the run if it is outside [0, h).
	MOVQ 16(BX), AX
	ADDQ R10, AX
	CMPQ AX, 0(R12) // h (unsigned: a negative iy is above it)
	JAE  pnext
	IMULQ 8(R12), AX

	// cb = colBase + kx; AX = the address of column cb of row iy, Z7 the columns
	// of the first vector.
	MOVQ         24(BX), R13
	ADDQ         R11, R13
	ADDQ         R13, AX
	LEAQ         (SI)(AX*4), AX
	VPBROADCASTD R13, Z7
	VPADDD       Z4, Z7, Z7

	// The run's lanes: ((1 << n) − 1) << lane.
	MOVQ  $-1, R15
	MOVQ  8(BX), R14
	BZHIQ R14, R15, R15
	MOVQ  0(BX), R14
	SHLXQ R14, R15, R15
	KMOVW R15, K3

	LEAQ 120(R12), R14 // loadLanes
	MOVQ 152(R12), R15 // nloads

	// Where the vectors' columns cb … cb + 16·nloads − 1 all lie in [0, w), as
	// inside the image's rows they mostly do, the permutes read them unmasked.
	TESTQ R13, R13
	JL    pload
	ADDQ  160(R12), R13 // 16·nloads
	CMPQ  R13, 8(R12)
	JG    pload

pwhole:
	KMOVW     (R14), K5
	KANDW     K3, K5, K5
	VPERMPS.Z (AX), Z1, K5, Z6
	VPORD     Z6, Z0, Z0
	ADDQ      $64, AX
	ADDQ      $2, R14
	DECQ      R15
	JNZ       pwhole
	JMP       pnext

pload:
	KMOVW     (R14), K5
	KANDW     K3, K5, K5
	KTESTW    K5, K5
	JZ        pskip
	VPCMPUD   $1, Z3, Z7, K4 // the vector's columns inside [0, w)
	VMOVUPS.Z (AX), K4, Z6
	VPERMPS.Z Z6, Z1, K5, Z6
	VPORD     Z6, Z0, Z0

pskip:
	VPADDD Z5, Z7, Z7
	ADDQ   $64, AX
	ADDQ   $2, R14
	DECQ   R15
	JNZ    pload

pnext:
	ADDQ $32, BX
	DECQ DX
	JNZ  prun
	VMOVUPS Z0, K2, (DI)
	ADDQ    40(R12), DI // the destination's row stride

	NEXT_ROW(pstep)

pstep:
	DECQ CX
	JNZ  prow
	VZEROUPPER
	RET

// func packSliverTabAVX512(d *float32, img *float32, ents *packEnt, nruns, kk, q0, kq, planeBytes, dstStride int)
//
// packSliverAVX512 through a table of the sliver's loads (sliverTable): rows
// [p0, p0+kk) of one 16-column sliver of a unit-column-stride, undilated column
// matrix, the first row's channel's plane at img and its kernel offset q0. Row p
// (kernel offset q) is the nruns loads of entries ents[q·nruns …]: a load of the
// lanes in the entry's mask from element off of the channel's plane, the first
// zeroing the others' lanes, the rest merged — the bounds were all settled when
// the table was made. All 16 lanes are stored (unmasked: a masked store costs
// more) at d + p·dstStride. As q passes kq, the table starts over and img steps
// to the next channel's plane. Masked-off lanes are never read, and AVX-512
// suppresses their faults. One, two and three runs have loops of their own.
//
// Registers: DI = d, SI = img, R8 = ents, R9 = nruns, CX = rows left, BX = the
// row's entries, R10 = the table's end, R11 = dstStride, R13 = planeBytes,
// R12 = a row's entries in bytes, DX = loads left; AX, R14, R15 the offsets,
// K1, K3, K4 the loads' lanes.
TEXT ·packSliverTabAVX512(SB), NOSPLIT, $0-72
	MOVQ  d+0(FP), DI
	MOVQ  img+8(FP), SI
	MOVQ  ents+16(FP), R8
	MOVQ  nruns+24(FP), R9
	MOVQ  kk+32(FP), CX
	MOVQ  q0+40(FP), AX
	MOVQ  kq+48(FP), R10
	MOVQ  planeBytes+56(FP), R13
	MOVQ  dstStride+64(FP), R11
	MOVQ  R9, R12
	SHLQ  $3, R12     // a row's entries in bytes
	IMULQ R12, AX
	LEAQ  (R8)(AX*1), BX
	IMULQ R12, R10
	ADDQ  R8, R10
	CMPQ  R9, $2
	JLT   tone
	JEQ   ttwo
	CMPQ  R9, $3
	JEQ   tthree
	JMP   tmulti

tone:
	MOVLQSX   0(BX), AX
	KMOVW     4(BX), K1
	VMOVUPS.Z (SI)(AX*4), K1, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      R11, DI
	ADDQ      $8, BX
	CMPQ      BX, R10
	JNE       tonestep
	MOVQ      R8, BX
	ADDQ      R13, SI

tonestep:
	DECQ CX
	JNZ  tone
	VZEROUPPER
	RET

ttwo:
	MOVLQSX   0(BX), AX
	KMOVW     4(BX), K1
	MOVLQSX   8(BX), R14
	KMOVW     12(BX), K3
	VMOVUPS.Z (SI)(AX*4), K1, Z0
	VMOVUPS   (SI)(R14*4), K3, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      R11, DI
	ADDQ      $16, BX
	CMPQ      BX, R10
	JNE       ttwostep
	MOVQ      R8, BX
	ADDQ      R13, SI

ttwostep:
	DECQ CX
	JNZ  ttwo
	VZEROUPPER
	RET

tthree:
	MOVLQSX   0(BX), AX
	KMOVW     4(BX), K1
	MOVLQSX   8(BX), R14
	KMOVW     12(BX), K3
	MOVLQSX   16(BX), R15
	KMOVW     20(BX), K4
	VMOVUPS.Z (SI)(AX*4), K1, Z0
	VMOVUPS   (SI)(R14*4), K3, Z0
	VMOVUPS   (SI)(R15*4), K4, Z0
	VMOVUPS   Z0, (DI)
	ADDQ      R11, DI
	ADDQ      $24, BX
	CMPQ      BX, R10
	JNE       tthreestep
	MOVQ      R8, BX
	ADDQ      R13, SI

tthreestep:
	DECQ CX
	JNZ  tthree
	VZEROUPPER
	RET

tmulti:
	MOVLQSX   0(BX), AX
	KMOVW     4(BX), K1
	VMOVUPS.Z (SI)(AX*4), K1, Z0
	LEAQ      -1(R9), DX

tmore:
	MOVLQSX 8(BX), AX
	KMOVW   12(BX), K1
	VMOVUPS (SI)(AX*4), K1, Z0
	ADDQ    $8, BX
	DECQ    DX
	JNZ     tmore
	ADDQ    $8, BX
	VMOVUPS Z0, (DI)
	ADDQ    R11, DI
	CMPQ    BX, R10
	JNE     tmultistep
	MOVQ    R8, BX
	ADDQ    R13, SI

tmultistep:
	DECQ CX
	JNZ  tmulti
	VZEROUPPER
	RET
