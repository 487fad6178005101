//go:build amd64 && !purego

#include "textflag.h"

// The loops of select.go, eight elements a step: ordered compares (a NaN never
// compares greater) and blends, as the Go loops choose.

// func maxArg2AVX2(y *float32, arg *int32, a, b *float32, n int)
//
// y = a > b ? a : b, arg = a > b ? 0 : 1.
TEXT ·maxArg2AVX2(SB), NOSPLIT, $0-40
	MOVQ     y+0(FP), DI
	MOVQ     arg+8(FP), DX
	MOVQ     a+16(FP), SI
	MOVQ     b+24(FP), R8
	MOVQ     n+32(FP), CX
	VPCMPEQD Y9, Y9, Y9
	VPSRLD   $31, Y9, Y9 // 1 in every lane

ma8:
	VMOVUPS   (SI), Y0
	VMOVUPS   (R8), Y1
	VCMPPS    $0x1e, Y1, Y0, Y2 // a > b, ordered
	VBLENDVPS Y2, Y0, Y1, Y3
	VPANDN    Y9, Y2, Y4        // 1 where not a > b
	VMOVUPS   Y3, (DI)
	VMOVDQU   Y4, (DX)
	ADDQ      $32, SI
	ADDQ      $32, R8
	ADDQ      $32, DI
	ADDQ      $32, DX
	SUBQ      $8, CX
	JNZ       ma8
	VZEROUPPER
	RET

// func maxArgNextAVX2(y *float32, arg *int32, x *float32, n int, k int32)
//
// where x > y: y = x, arg = k.
TEXT ·maxArgNextAVX2(SB), NOSPLIT, $0-36
	MOVQ         y+0(FP), DI
	MOVQ         arg+8(FP), DX
	MOVQ         x+16(FP), SI
	MOVQ         n+24(FP), CX
	MOVL         k+32(FP), AX
	VMOVD        AX, X8
	VPBROADCASTD X8, Y8

mn8:
	VMOVUPS   (SI), Y0
	VMOVUPS   (DI), Y1
	VMOVDQU   (DX), Y5
	VCMPPS    $0x1e, Y1, Y0, Y2 // x > y, ordered
	VBLENDVPS Y2, Y0, Y1, Y3
	VBLENDVPS Y2, Y8, Y5, Y6
	VMOVUPS   Y3, (DI)
	VMOVDQU   Y6, (DX)
	ADDQ      $32, SI
	ADDQ      $32, DI
	ADDQ      $32, DX
	SUBQ      $8, CX
	JNZ       mn8
	VZEROUPPER
	RET

// func selectArgAVX2(dx, dy *float32, arg *int32, n int, k int32)
//
// dx = arg == k ? dy : +0.
TEXT ·selectArgAVX2(SB), NOSPLIT, $0-36
	MOVQ         dx+0(FP), DI
	MOVQ         dy+8(FP), SI
	MOVQ         arg+16(FP), DX
	MOVQ         n+24(FP), CX
	MOVL         k+32(FP), AX
	VMOVD        AX, X8
	VPBROADCASTD X8, Y8

sa8:
	VPCMPEQD (DX), Y8, Y2
	VANDPS   (SI), Y2, Y3
	VMOVUPS  Y3, (DI)
	ADDQ     $32, SI
	ADDQ     $32, DI
	ADDQ     $32, DX
	SUBQ     $8, CX
	JNZ      sa8
	VZEROUPPER
	RET

// func maskScaleAVX2(out, in *float32, keep *bool, n int, scale float32)
//
// out = keep ? in·scale : in·0.
TEXT ·maskScaleAVX2(SB), NOSPLIT, $0-36
	MOVQ         out+0(FP), DI
	MOVQ         in+8(FP), SI
	MOVQ         keep+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS scale+32(FP), Y8
	VXORPS       Y9, Y9, Y9

ms8:
	VPMOVZXBD (DX), Y2        // the eight keep bytes, 0 or 1
	VPCMPEQD  Y9, Y2, Y2      // dropped
	VMOVUPS   (SI), Y0
	VMULPS    Y8, Y0, Y3      // kept: in·scale
	VMULPS    Y9, Y0, Y4      // dropped: in·0
	VBLENDVPS Y2, Y4, Y3, Y3
	VMOVUPS   Y3, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	ADDQ      $8, DX
	SUBQ      $8, CX
	JNZ       ms8
	VZEROUPPER
	RET
