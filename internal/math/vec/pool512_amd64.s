//go:build amd64 && !purego

#include "textflag.h"

// poolEvens is 0, 2, …, 30: VPERMT2PS's indices of the even lanes of two vectors,
// and the column of each lane's window relative to the first at stride 2.
DATA poolEvens<>+0(SB)/4, $0
DATA poolEvens<>+4(SB)/4, $2
DATA poolEvens<>+8(SB)/4, $4
DATA poolEvens<>+12(SB)/4, $6
DATA poolEvens<>+16(SB)/4, $8
DATA poolEvens<>+20(SB)/4, $10
DATA poolEvens<>+24(SB)/4, $12
DATA poolEvens<>+28(SB)/4, $14
DATA poolEvens<>+32(SB)/4, $16
DATA poolEvens<>+36(SB)/4, $18
DATA poolEvens<>+40(SB)/4, $20
DATA poolEvens<>+44(SB)/4, $22
DATA poolEvens<>+48(SB)/4, $24
DATA poolEvens<>+52(SB)/4, $26
DATA poolEvens<>+56(SB)/4, $28
DATA poolEvens<>+60(SB)/4, $30
GLOBL poolEvens<>(SB), RODATA|NOPTR, $64

// poolLanes16 is 0, 1, …, 15.
DATA poolLanes16<>+0(SB)/4, $0
DATA poolLanes16<>+4(SB)/4, $1
DATA poolLanes16<>+8(SB)/4, $2
DATA poolLanes16<>+12(SB)/4, $3
DATA poolLanes16<>+16(SB)/4, $4
DATA poolLanes16<>+20(SB)/4, $5
DATA poolLanes16<>+24(SB)/4, $6
DATA poolLanes16<>+28(SB)/4, $7
DATA poolLanes16<>+32(SB)/4, $8
DATA poolLanes16<>+36(SB)/4, $9
DATA poolLanes16<>+40(SB)/4, $10
DATA poolLanes16<>+44(SB)/4, $11
DATA poolLanes16<>+48(SB)/4, $12
DATA poolLanes16<>+52(SB)/4, $13
DATA poolLanes16<>+56(SB)/4, $14
DATA poolLanes16<>+60(SB)/4, $15
GLOBL poolLanes16<>(SB), RODATA|NOPTR, $64

// The two kernels below pool, in each of planes planes, rows × outW outputs whose
// windows all span kh rows of the image, sixteen outputs of a row (a chunk) at a
// time, a lane per output. Plane q's values start xPlane·q further in x, and its
// outputs yPlane·q further in y and idx (AVE's divisors are the same for every
// plane). Row r of the block reads the window rows from index p0 + r·xStep of its
// plane (h·w + column: its chunk k from p0 + r·xStep + 16·sw·k); window row i is w
// further than row i − 1, and window column j of lane l is sw·l + j further than
// the chunk's start.
// Which of those values lie in the image, and which lanes are outputs, is in the
// chunk's masks (PoolRowMasks, one uint64 per chunk and window column). A lane
// whose column is outside takes no part: AVE adds nothing (or +0, which adds
// nothing to a sum from +0), MAX skips it. At sw = 2 the sixteen values of a
// column come from two loads of sixteen by a VPERMT2PS of their even lanes.
//
// With wide set, x holds every value the full loads of sixteen (or thirty-two)
// reach, and they load plainly, the lanes outside dropped by the lane mask;
// otherwise the loads read through the masks and touch nothing outside the
// image's columns. Masked loads that miss the cache are slow on AMD's cores: the
// masked MAX of cifar10_quick's pool1 (13 MB from memory) took twice as long as
// the plain loads.
//
// Each output's values are taken in Caffe's scan order, window row by row, left to
// right.


// func aveRowsAVX512(x *float32, w, kh, kw, sw, p0, xStep, rows, outW int, y, div *float32, masks *uint64, planes, xPlane, yPlane int, wide bool)
//
// AVE: y = (the sum from +0 of the window's values in scan order) / div, div being
// the outputs' Caffe pool sizes laid out as y.
TEXT ·aveRowsAVX512(SB), NOSPLIT, $32-121
	MOVQ      x+0(FP), SI
	MOVQ      w+8(FP), R8
	VMOVDQU32 poolEvens<>(SB), Z31
	CMPB wide+120(FP), $0
	JEQ  amasked
	CMPQ sw+32(FP), $2
	JEQ  a2wplane
	JMP  a1wplane

amasked:
	CMPQ sw+32(FP), $2
	JEQ  a2mplane

a1mplane:
	MOVQ p0+40(FP), AX
	MOVQ AX, rp0-8(SP)
	MOVQ y+72(FP), AX
	MOVQ AX, ry-16(SP)
	MOVQ div+80(FP), AX
	MOVQ AX, rz-24(SP)
	MOVQ rows+56(FP), AX
	MOVQ AX, rrows-32(SP)

a1mrow:
	MOVQ rp0-8(SP), R10
	MOVQ ry-16(SP), R11
	MOVQ rz-24(SP), R12
	MOVQ masks+88(FP), BX
	MOVQ outW+64(FP), CX

a1mchunk:
	VXORPS Z0, Z0, Z0
	MOVQ   R10, AX
	MOVQ   kh+16(FP), R9

a1mwin:
	XORQ R13, R13

a1mcol:
	KMOVW (BX)(R13*8), K1
	LEAQ (AX)(R13*1), DI
	VMOVUPS.Z (SI)(DI*4), K1, Z1
	VADDPS Z1, Z0, Z0
	INCQ R13
	CMPQ R13, kw+24(FP)
	JLT  a1mcol
	ADDQ R8, AX
	DECQ R9
	JNZ  a1mwin

	KMOVW 6(BX), K3
	VMOVUPS.Z (R12), K3, Z5
	VDIVPS    Z5, Z0, Z0
	VMOVUPS   Z0, K3, (R11)
	ADDQ $16, R10
	ADDQ $64, R11
	ADDQ $64, R12
	MOVQ kw+24(FP), AX
	LEAQ (BX)(AX*8), BX
	SUBQ $16, CX
	JG   a1mchunk

	MOVQ xStep+48(FP), AX
	ADDQ AX, rp0-8(SP)
	MOVQ outW+64(FP), AX
	SHLQ $2, AX
	ADDQ AX, ry-16(SP)
	ADDQ AX, rz-24(SP)
	DECQ rrows-32(SP)
	JNZ  a1mrow

	MOVQ xPlane+104(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ yPlane+112(FP), AX
	SHLQ $2, AX
	ADDQ AX, y+72(FP)
	DECQ planes+96(FP)
	JNZ  a1mplane
	VZEROUPPER
	RET

a2mplane:
	MOVQ p0+40(FP), AX
	MOVQ AX, rp0-8(SP)
	MOVQ y+72(FP), AX
	MOVQ AX, ry-16(SP)
	MOVQ div+80(FP), AX
	MOVQ AX, rz-24(SP)
	MOVQ rows+56(FP), AX
	MOVQ AX, rrows-32(SP)

a2mrow:
	MOVQ rp0-8(SP), R10
	MOVQ ry-16(SP), R11
	MOVQ rz-24(SP), R12
	MOVQ masks+88(FP), BX
	MOVQ outW+64(FP), CX

a2mchunk:
	VXORPS Z0, Z0, Z0
	MOVQ   R10, AX
	MOVQ   kh+16(FP), R9

a2mwin:
	XORQ R13, R13

a2mcol:
	KMOVW (BX)(R13*8), K1
	KMOVW 2(BX)(R13*8), K2
	LEAQ (AX)(R13*1), DI
	VMOVUPS.Z (SI)(DI*4), K1, Z1
	VMOVUPS.Z 64(SI)(DI*4), K2, Z2
	VPERMT2PS Z2, Z31, Z1
	VADDPS Z1, Z0, Z0
	INCQ R13
	CMPQ R13, kw+24(FP)
	JLT  a2mcol
	ADDQ R8, AX
	DECQ R9
	JNZ  a2mwin

	KMOVW 6(BX), K3
	VMOVUPS.Z (R12), K3, Z5
	VDIVPS    Z5, Z0, Z0
	VMOVUPS   Z0, K3, (R11)
	ADDQ $32, R10
	ADDQ $64, R11
	ADDQ $64, R12
	MOVQ kw+24(FP), AX
	LEAQ (BX)(AX*8), BX
	SUBQ $16, CX
	JG   a2mchunk

	MOVQ xStep+48(FP), AX
	ADDQ AX, rp0-8(SP)
	MOVQ outW+64(FP), AX
	SHLQ $2, AX
	ADDQ AX, ry-16(SP)
	ADDQ AX, rz-24(SP)
	DECQ rrows-32(SP)
	JNZ  a2mrow

	MOVQ xPlane+104(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ yPlane+112(FP), AX
	SHLQ $2, AX
	ADDQ AX, y+72(FP)
	DECQ planes+96(FP)
	JNZ  a2mplane
	VZEROUPPER
	RET

a1wplane:
	MOVQ p0+40(FP), AX
	MOVQ AX, rp0-8(SP)
	MOVQ y+72(FP), AX
	MOVQ AX, ry-16(SP)
	MOVQ div+80(FP), AX
	MOVQ AX, rz-24(SP)
	MOVQ rows+56(FP), AX
	MOVQ AX, rrows-32(SP)

a1wrow:
	MOVQ rp0-8(SP), R10
	MOVQ ry-16(SP), R11
	MOVQ rz-24(SP), R12
	MOVQ masks+88(FP), BX
	MOVQ outW+64(FP), CX

a1wchunk:
	VXORPS Z0, Z0, Z0
	MOVQ   R10, AX
	MOVQ   kh+16(FP), R9

a1wwin:
	XORQ R13, R13

a1wcol:
	KMOVW 4(BX)(R13*8), K1
	LEAQ (AX)(R13*1), DI
	VMOVUPS (SI)(DI*4), Z1
	VADDPS Z1, Z0, K1, Z0
	INCQ R13
	CMPQ R13, kw+24(FP)
	JLT  a1wcol
	ADDQ R8, AX
	DECQ R9
	JNZ  a1wwin

	KMOVW 6(BX), K3
	VMOVUPS.Z (R12), K3, Z5
	VDIVPS    Z5, Z0, Z0
	VMOVUPS   Z0, K3, (R11)
	ADDQ $16, R10
	ADDQ $64, R11
	ADDQ $64, R12
	MOVQ kw+24(FP), AX
	LEAQ (BX)(AX*8), BX
	SUBQ $16, CX
	JG   a1wchunk

	MOVQ xStep+48(FP), AX
	ADDQ AX, rp0-8(SP)
	MOVQ outW+64(FP), AX
	SHLQ $2, AX
	ADDQ AX, ry-16(SP)
	ADDQ AX, rz-24(SP)
	DECQ rrows-32(SP)
	JNZ  a1wrow

	MOVQ xPlane+104(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ yPlane+112(FP), AX
	SHLQ $2, AX
	ADDQ AX, y+72(FP)
	DECQ planes+96(FP)
	JNZ  a1wplane
	VZEROUPPER
	RET

a2wplane:
	MOVQ p0+40(FP), AX
	MOVQ AX, rp0-8(SP)
	MOVQ y+72(FP), AX
	MOVQ AX, ry-16(SP)
	MOVQ div+80(FP), AX
	MOVQ AX, rz-24(SP)
	MOVQ rows+56(FP), AX
	MOVQ AX, rrows-32(SP)

a2wrow:
	MOVQ rp0-8(SP), R10
	MOVQ ry-16(SP), R11
	MOVQ rz-24(SP), R12
	MOVQ masks+88(FP), BX
	MOVQ outW+64(FP), CX

a2wchunk:
	VXORPS Z0, Z0, Z0
	MOVQ   R10, AX
	MOVQ   kh+16(FP), R9

a2wwin:
	XORQ R13, R13

a2wcol:
	KMOVW 4(BX)(R13*8), K1
	LEAQ (AX)(R13*1), DI
	VMOVUPS (SI)(DI*4), Z1
	VMOVUPS 64(SI)(DI*4), Z2
	VPERMT2PS Z2, Z31, Z1
	VADDPS Z1, Z0, K1, Z0
	INCQ R13
	CMPQ R13, kw+24(FP)
	JLT  a2wcol
	ADDQ R8, AX
	DECQ R9
	JNZ  a2wwin

	KMOVW 6(BX), K3
	VMOVUPS.Z (R12), K3, Z5
	VDIVPS    Z5, Z0, Z0
	VMOVUPS   Z0, K3, (R11)
	ADDQ $32, R10
	ADDQ $64, R11
	ADDQ $64, R12
	MOVQ kw+24(FP), AX
	LEAQ (BX)(AX*8), BX
	SUBQ $16, CX
	JG   a2wchunk

	MOVQ xStep+48(FP), AX
	ADDQ AX, rp0-8(SP)
	MOVQ outW+64(FP), AX
	SHLQ $2, AX
	ADDQ AX, ry-16(SP)
	ADDQ AX, rz-24(SP)
	DECQ rrows-32(SP)
	JNZ  a2wrow

	MOVQ xPlane+104(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ yPlane+112(FP), AX
	SHLQ $2, AX
	ADDQ AX, y+72(FP)
	DECQ planes+96(FP)
	JNZ  a2wplane
	VZEROUPPER
	RET

// func maxRowsAVX512(x *float32, w, kh, kw, sw, p0, xStep, rows, outW int, y *float32, idx *int32, masks *uint64, planes, xPlane, yPlane int, wide bool)
//
// MAX: y = the window's maximum by Caffe's scan (from −FLT_MAX and index −1, a value
// taken where greater, ordered: ties keep the first, a NaN is never taken), idx its
// index h·w + column in x. VMAXPS makes the scan's choice of value (its second
// operand, the maximum so far, unless the first is greater); an ordered compare
// makes the same choice of index.
TEXT ·maxRowsAVX512(SB), NOSPLIT, $32-121
	MOVQ         x+0(FP), SI
	MOVQ         w+8(FP), R8
	VMOVDQU32    poolEvens<>(SB), Z31
	VMOVDQU32    poolLanes16<>(SB), Z28
	MOVL         $0xff7fffff, AX
	VPBROADCASTD AX, Z30               // −FLT_MAX
	VPTERNLOGD   $0xff, Z29, Z29, Z29 // −1
	VPSRLD       $31, Z29, Z27        // 1
	CMPB wide+120(FP), $0
	JEQ  mmasked
	CMPQ sw+32(FP), $2
	JEQ  m2wplane
	JMP  m1wplane

mmasked:
	CMPQ sw+32(FP), $2
	JEQ  m2mplane

m1mplane:
	MOVQ p0+40(FP), AX
	MOVQ AX, rp0-8(SP)
	MOVQ y+72(FP), AX
	MOVQ AX, ry-16(SP)
	MOVQ idx+80(FP), AX
	MOVQ AX, rz-24(SP)
	MOVQ rows+56(FP), AX
	MOVQ AX, rrows-32(SP)

m1mrow:
	MOVQ rp0-8(SP), R10
	MOVQ ry-16(SP), R11
	MOVQ rz-24(SP), R12
	MOVQ masks+88(FP), BX
	MOVQ outW+64(FP), CX

m1mchunk:
	VMOVAPS   Z30, Z0
	VMOVDQA32 Z29, Z7
	MOVQ   R10, AX
	MOVQ   kh+16(FP), R9

m1mwin:
	XORQ R13, R13
	VPBROADCASTD AX, Z6
	VPADDD       Z28, Z6, Z6

m1mcol:
	KMOVW (BX)(R13*8), K1
	LEAQ (AX)(R13*1), DI
	VMOVUPS.Z (SI)(DI*4), K1, Z1
	VCMPPS    $0x1e, Z0, Z1, K1, K4
	VMAXPS    Z0, Z1, K1, Z0
	VMOVDQA32 Z6, K4, Z7
	VPADDD    Z27, Z6, Z6
	INCQ R13
	CMPQ R13, kw+24(FP)
	JLT  m1mcol
	ADDQ R8, AX
	DECQ R9
	JNZ  m1mwin

	KMOVW 6(BX), K3
	VMOVUPS   Z0, K3, (R11)
	VMOVDQU32 Z7, K3, (R12)
	ADDQ $16, R10
	ADDQ $64, R11
	ADDQ $64, R12
	MOVQ kw+24(FP), AX
	LEAQ (BX)(AX*8), BX
	SUBQ $16, CX
	JG   m1mchunk

	MOVQ xStep+48(FP), AX
	ADDQ AX, rp0-8(SP)
	MOVQ outW+64(FP), AX
	SHLQ $2, AX
	ADDQ AX, ry-16(SP)
	ADDQ AX, rz-24(SP)
	DECQ rrows-32(SP)
	JNZ  m1mrow

	MOVQ xPlane+104(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ yPlane+112(FP), AX
	SHLQ $2, AX
	ADDQ AX, y+72(FP)
	ADDQ AX, idx+80(FP)
	DECQ planes+96(FP)
	JNZ  m1mplane
	VZEROUPPER
	RET

m2mplane:
	MOVQ p0+40(FP), AX
	MOVQ AX, rp0-8(SP)
	MOVQ y+72(FP), AX
	MOVQ AX, ry-16(SP)
	MOVQ idx+80(FP), AX
	MOVQ AX, rz-24(SP)
	MOVQ rows+56(FP), AX
	MOVQ AX, rrows-32(SP)

m2mrow:
	MOVQ rp0-8(SP), R10
	MOVQ ry-16(SP), R11
	MOVQ rz-24(SP), R12
	MOVQ masks+88(FP), BX
	MOVQ outW+64(FP), CX

m2mchunk:
	VMOVAPS   Z30, Z0
	VMOVDQA32 Z29, Z7
	MOVQ   R10, AX
	MOVQ   kh+16(FP), R9

m2mwin:
	XORQ R13, R13
	VPBROADCASTD AX, Z6
	VPADDD       Z31, Z6, Z6

m2mcol:
	KMOVW (BX)(R13*8), K1
	KMOVW 2(BX)(R13*8), K2
	KMOVW 4(BX)(R13*8), K5
	LEAQ (AX)(R13*1), DI
	VMOVUPS.Z (SI)(DI*4), K1, Z1
	VMOVUPS.Z 64(SI)(DI*4), K2, Z2
	VPERMT2PS Z2, Z31, Z1
	VCMPPS    $0x1e, Z0, Z1, K5, K4
	VMAXPS    Z0, Z1, K5, Z0
	VMOVDQA32 Z6, K4, Z7
	VPADDD    Z27, Z6, Z6
	INCQ R13
	CMPQ R13, kw+24(FP)
	JLT  m2mcol
	ADDQ R8, AX
	DECQ R9
	JNZ  m2mwin

	KMOVW 6(BX), K3
	VMOVUPS   Z0, K3, (R11)
	VMOVDQU32 Z7, K3, (R12)
	ADDQ $32, R10
	ADDQ $64, R11
	ADDQ $64, R12
	MOVQ kw+24(FP), AX
	LEAQ (BX)(AX*8), BX
	SUBQ $16, CX
	JG   m2mchunk

	MOVQ xStep+48(FP), AX
	ADDQ AX, rp0-8(SP)
	MOVQ outW+64(FP), AX
	SHLQ $2, AX
	ADDQ AX, ry-16(SP)
	ADDQ AX, rz-24(SP)
	DECQ rrows-32(SP)
	JNZ  m2mrow

	MOVQ xPlane+104(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ yPlane+112(FP), AX
	SHLQ $2, AX
	ADDQ AX, y+72(FP)
	ADDQ AX, idx+80(FP)
	DECQ planes+96(FP)
	JNZ  m2mplane
	VZEROUPPER
	RET

m1wplane:
	MOVQ p0+40(FP), AX
	MOVQ AX, rp0-8(SP)
	MOVQ y+72(FP), AX
	MOVQ AX, ry-16(SP)
	MOVQ idx+80(FP), AX
	MOVQ AX, rz-24(SP)
	MOVQ rows+56(FP), AX
	MOVQ AX, rrows-32(SP)

m1wrow:
	MOVQ rp0-8(SP), R10
	MOVQ ry-16(SP), R11
	MOVQ rz-24(SP), R12
	MOVQ masks+88(FP), BX
	MOVQ outW+64(FP), CX

m1wchunk:
	VMOVAPS   Z30, Z0
	VMOVDQA32 Z29, Z7
	MOVQ   R10, AX
	MOVQ   kh+16(FP), R9

m1wwin:
	XORQ R13, R13
	VPBROADCASTD AX, Z6
	VPADDD       Z28, Z6, Z6

m1wcol:
	KMOVW 4(BX)(R13*8), K1
	LEAQ (AX)(R13*1), DI
	VMOVUPS (SI)(DI*4), Z1
	VCMPPS    $0x1e, Z0, Z1, K1, K4
	VMAXPS    Z0, Z1, K1, Z0
	VMOVDQA32 Z6, K4, Z7
	VPADDD    Z27, Z6, Z6
	INCQ R13
	CMPQ R13, kw+24(FP)
	JLT  m1wcol
	ADDQ R8, AX
	DECQ R9
	JNZ  m1wwin

	KMOVW 6(BX), K3
	VMOVUPS   Z0, K3, (R11)
	VMOVDQU32 Z7, K3, (R12)
	ADDQ $16, R10
	ADDQ $64, R11
	ADDQ $64, R12
	MOVQ kw+24(FP), AX
	LEAQ (BX)(AX*8), BX
	SUBQ $16, CX
	JG   m1wchunk

	MOVQ xStep+48(FP), AX
	ADDQ AX, rp0-8(SP)
	MOVQ outW+64(FP), AX
	SHLQ $2, AX
	ADDQ AX, ry-16(SP)
	ADDQ AX, rz-24(SP)
	DECQ rrows-32(SP)
	JNZ  m1wrow

	MOVQ xPlane+104(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ yPlane+112(FP), AX
	SHLQ $2, AX
	ADDQ AX, y+72(FP)
	ADDQ AX, idx+80(FP)
	DECQ planes+96(FP)
	JNZ  m1wplane
	VZEROUPPER
	RET

m2wplane:
	MOVQ p0+40(FP), AX
	MOVQ AX, rp0-8(SP)
	MOVQ y+72(FP), AX
	MOVQ AX, ry-16(SP)
	MOVQ idx+80(FP), AX
	MOVQ AX, rz-24(SP)
	MOVQ rows+56(FP), AX
	MOVQ AX, rrows-32(SP)

m2wrow:
	MOVQ rp0-8(SP), R10
	MOVQ ry-16(SP), R11
	MOVQ rz-24(SP), R12
	MOVQ masks+88(FP), BX
	MOVQ outW+64(FP), CX

m2wchunk:
	VMOVAPS   Z30, Z0
	VMOVDQA32 Z29, Z7
	MOVQ   R10, AX
	MOVQ   kh+16(FP), R9

m2wwin:
	XORQ R13, R13
	VPBROADCASTD AX, Z6
	VPADDD       Z31, Z6, Z6

m2wcol:
	KMOVW 4(BX)(R13*8), K1
	LEAQ (AX)(R13*1), DI
	VMOVUPS (SI)(DI*4), Z1
	VMOVUPS 64(SI)(DI*4), Z2
	VPERMT2PS Z2, Z31, Z1
	VCMPPS    $0x1e, Z0, Z1, K1, K4
	VMAXPS    Z0, Z1, K1, Z0
	VMOVDQA32 Z6, K4, Z7
	VPADDD    Z27, Z6, Z6
	INCQ R13
	CMPQ R13, kw+24(FP)
	JLT  m2wcol
	ADDQ R8, AX
	DECQ R9
	JNZ  m2wwin

	KMOVW 6(BX), K3
	VMOVUPS   Z0, K3, (R11)
	VMOVDQU32 Z7, K3, (R12)
	ADDQ $32, R10
	ADDQ $64, R11
	ADDQ $64, R12
	MOVQ kw+24(FP), AX
	LEAQ (BX)(AX*8), BX
	SUBQ $16, CX
	JG   m2wchunk

	MOVQ xStep+48(FP), AX
	ADDQ AX, rp0-8(SP)
	MOVQ outW+64(FP), AX
	SHLQ $2, AX
	ADDQ AX, ry-16(SP)
	ADDQ AX, rz-24(SP)
	DECQ rrows-32(SP)
	JNZ  m2wrow

	MOVQ xPlane+104(FP), AX
	LEAQ (SI)(AX*4), SI
	MOVQ yPlane+112(FP), AX
	SHLQ $2, AX
	ADDQ AX, y+72(FP)
	ADDQ AX, idx+80(FP)
	DECQ planes+96(FP)
	JNZ  m2wplane
	VZEROUPPER
	RET

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
