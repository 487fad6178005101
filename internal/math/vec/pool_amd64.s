//go:build amd64 && !purego

#include "textflag.h"

// poolMask holds eight all-ones lanes then eight zero lanes: the eight lanes from
// poolMask+4·(8−t) select the first t lanes of a vector.
DATA poolMask<>+0(SB)/4, $0xffffffff
DATA poolMask<>+4(SB)/4, $0xffffffff
DATA poolMask<>+8(SB)/4, $0xffffffff
DATA poolMask<>+12(SB)/4, $0xffffffff
DATA poolMask<>+16(SB)/4, $0xffffffff
DATA poolMask<>+20(SB)/4, $0xffffffff
DATA poolMask<>+24(SB)/4, $0xffffffff
DATA poolMask<>+28(SB)/4, $0xffffffff
DATA poolMask<>+32(SB)/4, $0
DATA poolMask<>+36(SB)/4, $0
DATA poolMask<>+40(SB)/4, $0
DATA poolMask<>+44(SB)/4, $0
DATA poolMask<>+48(SB)/4, $0
DATA poolMask<>+52(SB)/4, $0
DATA poolMask<>+56(SB)/4, $0
DATA poolMask<>+60(SB)/4, $0
GLOBL poolMask<>(SB), RODATA|NOPTR, $64

// poolLanes is 0, 1, …, 7.
DATA poolLanes<>+0(SB)/4, $0
DATA poolLanes<>+4(SB)/4, $1
DATA poolLanes<>+8(SB)/4, $2
DATA poolLanes<>+12(SB)/4, $3
DATA poolLanes<>+16(SB)/4, $4
DATA poolLanes<>+20(SB)/4, $5
DATA poolLanes<>+24(SB)/4, $6
DATA poolLanes<>+28(SB)/4, $7
GLOBL poolLanes<>(SB), RODATA|NOPTR, $32

// func maxWindowsAVX2(x *float32, w, kh, kw, sw, n int, y *float32, idx *int32, i0, rows, xStep, yStep int, wide bool)
//
// MAX pooling of a block of rows × n outputs whose kh×kw windows lie inside the
// image. In the block's first row, window o starts at x[o·sw] (its rows w apart) and
// its first value's index in the plane is i0 + o·sw; each next row of the block
// starts xStep values further in x and in the index, and yStep further in y and idx.
// Eight outputs at a time, each lane doing Caffe's scan: start from −FLT_MAX and
// index −1, then in scan order take a value and its index where value > maximum, so
// that ties keep the first and a NaN is never taken.
//
// VMAXPS v, max computes exactly that choice of value (it returns its second
// operand, the maximum, unless v is greater: when equal, or when either is a NaN);
// an ordered compare makes the same choice of index, kept as the offset h·w + dx
// in the window until the group is done. Each window row is scanned on its own
// and merged in order (see maxStep in internal/layers/pooling.go): the one scan's
// winner, with shorter chains of dependent instructions.
//
// A full group of eight loads and stores plainly. The last group of a row, of
// t < 8 outputs, is stored through a buffer on the stack, t values copied; it loads
// as a full group would when wide is set (x holds the values the eight windows
// would read: they are read, and their lanes dropped), and otherwise through
// masks, which touch nothing past its last window. (Masked loads and above all
// masked stores are slow on AMD's cores.) With sw = 2 the values of eight windows
// are gathered from two loads by one shuffle, which leaves the lanes in the order
// 0 1 4 5 2 3 6 7; the group is computed in that order and put back in order before
// it is stored.
TEXT ·maxWindowsAVX2(SB), NOSPLIT, $96-97
	MOVQ w+8(FP), R8
	MOVQ kw+24(FP), BX
	MOVQ R8, R13
	SUBQ BX, R13             // R13 = w − kw: from a window row's end to the next row's start
	SHLQ $2, R8              // R8 = w in bytes

	// Y14 = i0 + lane·sw (the first row's windows' first indices), Y12 = 8·sw.
	MOVQ         sw+32(FP), BX
	LEAQ         poolLanes<>(SB), AX
	VMOVDQU      (AX), Y14
	VMOVQ        BX, X13
	VPBROADCASTD X13, Y13
	VPMULLD      Y13, Y14, Y14
	VPSLLD       $3, Y13, Y12
	MOVQ         i0+64(FP), AX
	VMOVQ        AX, X13
	VPBROADCASTD X13, Y13
	VPADDD       Y13, Y14, Y14

	// Y11 = −FLT_MAX, Y10 = −1, Y9 = 1, Y8 = w − kw (offset steps).
	MOVL         $0xff7fffff, AX
	VMOVQ        AX, X11
	VPBROADCASTD X11, Y11
	VPCMPEQD     Y10, Y10, Y10
	VPSRLD       $31, Y10, Y9
	VMOVQ        R13, X8
	VPBROADCASTD X8, Y8

	CMPQ BX, $2
	JEQ  s2start
	VMOVDQU Y14, rowbase-32(SP)

s1row0:
	MOVQ    x+0(FP), SI
	MOVQ    y+48(FP), DI
	MOVQ    idx+56(FP), DX
	MOVQ    n+40(FP), CX
	VMOVDQU rowbase-32(SP), Y14

s1group:
	VMOVDQU Y11, Y0          // maxima
	VMOVDQU Y10, Y1          // their offsets in the window
	VPXOR   Y5, Y5, Y5       // the current value's offset
	MOVQ    SI, R12
	MOVQ    kh+16(FP), R9
	CMPQ    CX, $8
	JGE     s1row
	CMPB    wide+96(FP), $0
	JEQ     s1mask

s1row:
	MOVQ    R12, AX
	MOVQ    kw+24(FP), R10
	VMOVDQU Y11, Y3          // this window row's maxima
	VMOVDQU Y10, Y4          // and offsets

s1col:
	VMOVUPS   (AX), Y2
	VCMPPS    $0x1e, Y3, Y2, Y6 // Y6 = Y2 > Y3, ordered
	VMAXPS    Y3, Y2, Y3
	VBLENDVPS Y6, Y5, Y4, Y4
	VPADDD    Y9, Y5, Y5
	ADDQ      $4, AX
	DECQ      R10
	JNZ       s1col
	VCMPPS    $0x1e, Y0, Y3, Y6
	VMAXPS    Y0, Y3, Y0
	VBLENDVPS Y6, Y4, Y1, Y1
	VPADDD    Y8, Y5, Y5
	ADDQ      R8, R12
	DECQ      R9
	JNZ       s1row
	JMP       s1store

	// A short group read through masks (Y15: its lanes).
s1mask:
	MOVQ    $8, AX
	SUBQ    CX, AX
	LEAQ    poolMask<>(SB), BX
	VMOVDQU (BX)(AX*4), Y15

s1mrow:
	MOVQ    R12, AX
	MOVQ    kw+24(FP), R10
	VMOVDQU Y11, Y3
	VMOVDQU Y10, Y4

s1mcol:
	VMASKMOVPS (AX), Y15, Y2
	VCMPPS     $0x1e, Y3, Y2, Y6
	VMAXPS     Y3, Y2, Y3
	VBLENDVPS  Y6, Y5, Y4, Y4
	VPADDD     Y9, Y5, Y5
	ADDQ       $4, AX
	DECQ       R10
	JNZ        s1mcol
	VCMPPS     $0x1e, Y0, Y3, Y6
	VMAXPS     Y0, Y3, Y0
	VBLENDVPS  Y6, Y4, Y1, Y1
	VPADDD     Y8, Y5, Y5
	ADDQ       R8, R12
	DECQ       R9
	JNZ        s1mrow

s1store:
	// Offsets to indices; −1 stays.
	VPCMPEQD  Y10, Y1, Y6
	VPADDD    Y14, Y1, Y7
	VBLENDVPS Y6, Y1, Y7, Y1
	CMPQ      CX, $8
	JLT       s1short
	VMOVUPS   Y0, (DI)
	VMOVDQU   Y1, (DX)

s1next:
	ADDQ   $32, SI
	ADDQ   $32, DI
	ADDQ   $32, DX
	VPADDD Y12, Y14, Y14
	SUBQ   $8, CX
	JG     s1group

	// The block's next row.
	MOVQ         xStep+80(FP), AX
	VMOVQ        AX, X6
	VPBROADCASTD X6, Y6
	VPADDD       rowbase-32(SP), Y6, Y6
	VMOVDQU      Y6, rowbase-32(SP)
	SHLQ         $2, AX
	ADDQ         AX, x+0(FP)
	MOVQ         yStep+88(FP), AX
	SHLQ         $2, AX
	ADDQ         AX, y+48(FP)
	ADDQ         AX, idx+56(FP)
	DECQ         rows+72(FP)
	JNZ          s1row0
	VZEROUPPER
	RET

s1short:
	// The first CX lanes, through the stack.
	VMOVUPS Y0, tmpy-64(SP)
	VMOVDQU Y1, tmpi-96(SP)
	LEAQ    tmpi-96(SP), R11
	XORQ    AX, AX

s1copy:
	MOVL 32(R11)(AX*4), BX
	MOVL BX, (DI)(AX*4)
	MOVL (R11)(AX*4), BX
	MOVL BX, (DX)(AX*4)
	INCQ AX
	CMPQ AX, CX
	JLT  s1copy
	JMP  s1next

s2start:
	// The first indices in the shuffle's lane order.
	VPERMPD $0xd8, Y14, Y14
	VMOVDQU Y14, rowbase-32(SP)

s2row0:
	MOVQ    x+0(FP), SI
	MOVQ    y+48(FP), DI
	MOVQ    idx+56(FP), DX
	MOVQ    n+40(FP), CX
	VMOVDQU rowbase-32(SP), Y14

s2group:
	VMOVDQU Y11, Y0
	VMOVDQU Y10, Y1
	VPXOR   Y5, Y5, Y5
	MOVQ    SI, R12
	MOVQ    kh+16(FP), R9
	CMPQ    CX, $8
	JGE     s2row
	CMPB    wide+96(FP), $0
	JEQ     s2mask

	// The windows' values at columns 0, 2, …, 14 (from the current offset) from
	// two loads, of columns 0–7 and 7–14, which read nothing past the last window
	// of a full group.
s2row:
	MOVQ    R12, AX
	MOVQ    kw+24(FP), R10
	VMOVDQU Y11, Y3
	VMOVDQU Y10, Y4

s2col:
	VMOVUPS   (AX), Y2
	VMOVUPS   28(AX), Y6
	VSHUFPS   $0xd8, Y6, Y2, Y2 // per 128-bit lane: the even values of Y2, then the odd ones of Y6
	VCMPPS    $0x1e, Y3, Y2, Y6
	VMAXPS    Y3, Y2, Y3
	VBLENDVPS Y6, Y5, Y4, Y4
	VPADDD    Y9, Y5, Y5
	ADDQ      $4, AX
	DECQ      R10
	JNZ       s2col
	VCMPPS    $0x1e, Y0, Y3, Y6
	VMAXPS    Y0, Y3, Y0
	VBLENDVPS Y6, Y4, Y1, Y1
	VPADDD    Y8, Y5, Y5
	ADDQ      R8, R12
	DECQ      R9
	JNZ       s2row
	JMP       s2store

	// A short group of t = CX outputs read through masks: the windows' first
	// values are the even ones among 2t − 1; Y13 loads the first min(2t − 1, 8)
	// values, Y7 the next max(2t − 1 − 8, 0).
s2mask:
	LEAQ    poolMask<>(SB), AX
	LEAQ    -1(CX)(CX*1), R10 // 2t − 1
	MOVQ    $8, R11
	CMPQ    R10, R11
	CMOVQLT R10, R11          // min(2t − 1, 8)
	MOVQ    $8, BX
	SUBQ    R11, BX
	VMOVDQU (AX)(BX*4), Y13
	SUBQ    $8, R10
	XORQ    R11, R11
	CMPQ    R10, R11
	CMOVQLT R11, R10          // max(2t − 1 − 8, 0)
	MOVQ    $8, BX
	SUBQ    R10, BX
	VMOVDQU (AX)(BX*4), Y7

s2mrow:
	MOVQ    R12, AX
	MOVQ    kw+24(FP), R10
	VMOVDQU Y11, Y3
	VMOVDQU Y10, Y4

s2mcol:
	VMASKMOVPS (AX), Y13, Y2
	VMASKMOVPS 32(AX), Y7, Y6
	VSHUFPS    $0x88, Y6, Y2, Y2 // per 128-bit lane: the even values of Y2, then of Y6
	VCMPPS     $0x1e, Y3, Y2, Y6
	VMAXPS     Y3, Y2, Y3
	VBLENDVPS  Y6, Y5, Y4, Y4
	VPADDD     Y9, Y5, Y5
	ADDQ       $4, AX
	DECQ       R10
	JNZ        s2mcol
	VCMPPS     $0x1e, Y0, Y3, Y6
	VMAXPS     Y0, Y3, Y0
	VBLENDVPS  Y6, Y4, Y1, Y1
	VPADDD     Y8, Y5, Y5
	ADDQ       R8, R12
	DECQ       R9
	JNZ        s2mrow

s2store:
	VPCMPEQD  Y10, Y1, Y6
	VPADDD    Y14, Y1, Y2
	VBLENDVPS Y6, Y1, Y2, Y1
	VPERMPD   $0xd8, Y0, Y0     // back in order
	VPERMPD   $0xd8, Y1, Y1
	CMPQ      CX, $8
	JLT       s2short
	VMOVUPS   Y0, (DI)
	VMOVDQU   Y1, (DX)

s2next:
	ADDQ   $64, SI
	ADDQ   $32, DI
	ADDQ   $32, DX
	VPADDD Y12, Y14, Y14
	SUBQ   $8, CX
	JG     s2group

	MOVQ         xStep+80(FP), AX
	VMOVQ        AX, X6
	VPBROADCASTD X6, Y6
	VPADDD       rowbase-32(SP), Y6, Y6
	VMOVDQU      Y6, rowbase-32(SP)
	SHLQ         $2, AX
	ADDQ         AX, x+0(FP)
	MOVQ         yStep+88(FP), AX
	SHLQ         $2, AX
	ADDQ         AX, y+48(FP)
	ADDQ         AX, idx+56(FP)
	DECQ         rows+72(FP)
	JNZ          s2row0
	VZEROUPPER
	RET

s2short:
	VMOVUPS Y0, tmpy-64(SP)
	VMOVDQU Y1, tmpi-96(SP)
	LEAQ    tmpi-96(SP), R11
	XORQ    AX, AX

s2copy:
	MOVL 32(R11)(AX*4), BX
	MOVL BX, (DI)(AX*4)
	MOVL (R11)(AX*4), BX
	MOVL BX, (DX)(AX*4)
	INCQ AX
	CMPQ AX, CX
	JLT  s2copy
	JMP  s2next
