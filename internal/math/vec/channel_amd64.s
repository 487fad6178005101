//go:build amd64 && !purego

#include "textflag.h"

// The loops of channel.go. Sums: n a multiple of 8, element i added to lane i mod 32
// (four accumulators of eight lanes) while 32 remain, then to lanes 0–7; the lanes
// are then added in float64 (LANES_TOTAL). Elementwise loops: 32 elements a step
// while they can, then 8, as those of vec_amd64.s; a fused multiply-add where
// channel.go says so.

// LANES_TOTAL adds the 32 float32 lanes of Y0–Y3 in float64 into the low double of
// X4, in lanes.total's tree: the lanes as eight vectors of four doubles d0–d7 (lanes
// 0–3, 4–7, …), ((d0 + d1) + (d2 + d3)) + ((d4 + d5) + (d6 + d7)), then its doubles
// as (c0 + c2) + (c1 + c3). It uses Y4–Y7 and Y12.
#define LANES_TOTAL \
	VCVTPS2PD    X0, Y4     \
	VEXTRACTF128 $1, Y0, X5 \
	VCVTPS2PD    X5, Y5     \
	VCVTPS2PD    X1, Y6     \
	VEXTRACTF128 $1, Y1, X7 \
	VCVTPS2PD    X7, Y7     \
	VADDPD       Y5, Y4, Y4 \
	VADDPD       Y7, Y6, Y6 \
	VADDPD       Y6, Y4, Y4 \
	VCVTPS2PD    X2, Y5     \
	VEXTRACTF128 $1, Y2, X6 \
	VCVTPS2PD    X6, Y6     \
	VCVTPS2PD    X3, Y7     \
	VEXTRACTF128 $1, Y3, X12 \
	VCVTPS2PD    X12, Y12   \
	VADDPD       Y6, Y5, Y5 \
	VADDPD       Y12, Y7, Y7 \
	VADDPD       Y7, Y5, Y5 \
	VADDPD       Y5, Y4, Y4 \
	VEXTRACTF128 $1, Y4, X5 \
	VADDPD       X5, X4, X4 \
	VUNPCKHPD    X4, X4, X5 \
	VADDSD       X5, X4, X4

// func sumAVX2(x *float32, n int) float64
TEXT ·sumAVX2(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	SUBQ   $32, CX
	JLT    su8

su32:
	VADDPS (SI), Y0, Y0
	VADDPS 32(SI), Y1, Y1
	VADDPS 64(SI), Y2, Y2
	VADDPS 96(SI), Y3, Y3
	ADDQ   $128, SI
	SUBQ   $32, CX
	JGE    su32

su8:
	ADDQ $32, CX
	JZ   sudone

su8loop:
	VADDPS (SI), Y0, Y0
	ADDQ   $32, SI
	SUBQ   $8, CX
	JNZ    su8loop

sudone:
	LANES_TOTAL
	VMOVSD X4, ret+16(FP)
	VZEROUPPER
	RET

// func sumSqDiffAVX2(x *float32, n int, m float32) float64
//
// lane += (x − m)², the difference rounded, the square and sum fused.
TEXT ·sumSqDiffAVX2(SB), NOSPLIT, $0-32
	MOVQ         x+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS m+16(FP), Y8
	VXORPS       Y0, Y0, Y0
	VXORPS       Y1, Y1, Y1
	VXORPS       Y2, Y2, Y2
	VXORPS       Y3, Y3, Y3
	SUBQ         $32, CX
	JLT          sq8

sq32:
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VSUBPS      Y8, Y4, Y4
	VSUBPS      Y8, Y5, Y5
	VSUBPS      Y8, Y6, Y6
	VSUBPS      Y8, Y7, Y7
	VFMADD231PS Y4, Y4, Y0
	VFMADD231PS Y5, Y5, Y1
	VFMADD231PS Y6, Y6, Y2
	VFMADD231PS Y7, Y7, Y3
	ADDQ        $128, SI
	SUBQ        $32, CX
	JGE         sq32

sq8:
	ADDQ $32, CX
	JZ   sqdone

sq8loop:
	VMOVUPS     (SI), Y4
	VSUBPS      Y8, Y4, Y4
	VFMADD231PS Y4, Y4, Y0
	ADDQ        $32, SI
	SUBQ        $8, CX
	JNZ         sq8loop

sqdone:
	LANES_TOTAL
	VMOVSD X4, ret+24(FP)
	VZEROUPPER
	RET

// func sumDotAVX2(x, y *float32, n int) (sum, dot float64)
//
// sx lane += x; sxy lane += x·y, fused.
TEXT ·sumDotAVX2(SB), NOSPLIT, $0-40
	MOVQ   x+0(FP), SI
	MOVQ   y+8(FP), DX
	MOVQ   n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	SUBQ   $32, CX
	JLT    sd8

sd32:
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VADDPS      Y4, Y0, Y0
	VADDPS      Y5, Y1, Y1
	VADDPS      Y6, Y2, Y2
	VADDPS      Y7, Y3, Y3
	VFMADD231PS (DX), Y4, Y8
	VFMADD231PS 32(DX), Y5, Y9
	VFMADD231PS 64(DX), Y6, Y10
	VFMADD231PS 96(DX), Y7, Y11
	ADDQ        $128, SI
	ADDQ        $128, DX
	SUBQ        $32, CX
	JGE         sd32

sd8:
	ADDQ $32, CX
	JZ   sddone

sd8loop:
	VMOVUPS     (SI), Y4
	VADDPS      Y4, Y0, Y0
	VFMADD231PS (DX), Y4, Y8
	ADDQ        $32, SI
	ADDQ        $32, DX
	SUBQ        $8, CX
	JNZ         sd8loop

sddone:
	LANES_TOTAL
	VMOVSD  X4, sum+24(FP)
	VMOVUPS Y8, Y0
	VMOVUPS Y9, Y1
	VMOVUPS Y10, Y2
	VMOVUPS Y11, Y3
	LANES_TOTAL
	VMOVSD  X4, dot+32(FP)
	VZEROUPPER
	RET

// func scaleAddAVX2(y, x *float32, n int, a, b float32)
//
// y = a·x + b, fused.
TEXT ·scaleAddAVX2(SB), NOSPLIT, $0-32
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS a+24(FP), Y0
	VBROADCASTSS b+28(FP), Y1
	SUBQ         $32, CX
	JLT          sa8

sa32:
	VMOVUPS     (SI), Y2
	VMOVUPS     32(SI), Y3
	VMOVUPS     64(SI), Y4
	VMOVUPS     96(SI), Y5
	VFMADD213PS Y1, Y0, Y2
	VFMADD213PS Y1, Y0, Y3
	VFMADD213PS Y1, Y0, Y4
	VFMADD213PS Y1, Y0, Y5
	VMOVUPS     Y2, (DI)
	VMOVUPS     Y3, 32(DI)
	VMOVUPS     Y4, 64(DI)
	VMOVUPS     Y5, 96(DI)
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JGE         sa32

sa8:
	ADDQ $32, CX
	JZ   sadone

sa8loop:
	VMOVUPS     (SI), Y2
	VFMADD213PS Y1, Y0, Y2
	VMOVUPS     Y2, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JNZ         sa8loop

sadone:
	VZEROUPPER
	RET

// func subScaleAVX2(y, x *float32, n int, m, s float32)
//
// y = (x − m)·s, two roundings.
TEXT ·subScaleAVX2(SB), NOSPLIT, $0-32
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS m+24(FP), Y0
	VBROADCASTSS s+28(FP), Y1
	SUBQ         $32, CX
	JLT          ss8

ss32:
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	VMOVUPS 64(SI), Y4
	VMOVUPS 96(SI), Y5
	VSUBPS  Y0, Y2, Y2
	VSUBPS  Y0, Y3, Y3
	VSUBPS  Y0, Y4, Y4
	VSUBPS  Y0, Y5, Y5
	VMULPS  Y1, Y2, Y2
	VMULPS  Y1, Y3, Y3
	VMULPS  Y1, Y4, Y4
	VMULPS  Y1, Y5, Y5
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, 32(DI)
	VMOVUPS Y4, 64(DI)
	VMOVUPS Y5, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	JGE     ss32

ss8:
	ADDQ $32, CX
	JZ   ssdone

ss8loop:
	VMOVUPS (SI), Y2
	VSUBPS  Y0, Y2, Y2
	VMULPS  Y1, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     ss8loop

ssdone:
	VZEROUPPER
	RET

// func affine2AVX2(z, x, y *float32, n int, abc *[3]float32)
//
// z = a·x + (b·y + c), each multiply-add fused.
TEXT ·affine2AVX2(SB), NOSPLIT, $0-40
	MOVQ         z+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         y+16(FP), DX
	MOVQ         n+24(FP), CX
	MOVQ         abc+32(FP), AX
	VBROADCASTSS (AX), Y0
	VBROADCASTSS 4(AX), Y1
	VBROADCASTSS 8(AX), Y2
	SUBQ         $16, CX
	JLT          af8

af16:
	VMOVUPS     Y2, Y3
	VMOVUPS     Y2, Y4
	VFMADD231PS (DX), Y1, Y3
	VFMADD231PS 32(DX), Y1, Y4
	VFMADD231PS (SI), Y0, Y3
	VFMADD231PS 32(SI), Y0, Y4
	VMOVUPS     Y3, (DI)
	VMOVUPS     Y4, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DX
	ADDQ        $64, DI
	SUBQ        $16, CX
	JGE         af16

af8:
	ADDQ $16, CX
	JZ   afdone

af8loop:
	VMOVUPS     Y2, Y3
	VFMADD231PS (DX), Y1, Y3
	VFMADD231PS (SI), Y0, Y3
	VMOVUPS     Y3, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DX
	ADDQ        $32, DI
	SUBQ        $8, CX
	JNZ         af8loop

afdone:
	VZEROUPPER
	RET

// func addScaledAVX2(y, x *float32, n int, a float32)
//
// y += a·x, fused.
TEXT ·addScaledAVX2(SB), NOSPLIT, $0-28
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS a+24(FP), Y0
	SUBQ         $16, CX
	JLT          as8

as16:
	VMOVUPS     (DI), Y2
	VMOVUPS     32(DI), Y3
	VFMADD231PS (SI), Y0, Y2
	VFMADD231PS 32(SI), Y0, Y3
	VMOVUPS     Y2, (DI)
	VMOVUPS     Y3, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JGE         as16

as8:
	ADDQ $16, CX
	JZ   asdone

as8loop:
	VMOVUPS     (DI), Y2
	VFMADD231PS (SI), Y0, Y2
	VMOVUPS     Y2, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JNZ         as8loop

asdone:
	VZEROUPPER
	RET

// func divAVX2(z, x, y *float32, n int)
TEXT ·divAVX2(SB), NOSPLIT, $0-32
	MOVQ z+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX

dv8:
	VMOVUPS (SI), Y1
	VDIVPS  (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     dv8
	VZEROUPPER
	RET

// func divConstAVX2(y, x *float32, n int, d float32)
TEXT ·divConstAVX2(SB), NOSPLIT, $0-28
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS d+24(FP), Y0

dc8:
	VMOVUPS (SI), Y1
	VDIVPS  Y0, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     dc8
	VZEROUPPER
	RET
