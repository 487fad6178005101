//go:build amd64 && !purego

#include "textflag.h"

// func powfScaleAVX2(out, s, x *float32, n int, y float64, consts *float64, logTab unsafe.Pointer, expTab *uint64) int
//
// Four lanes a step: out = float32(2^(y·log2 s)) · x, log2 and 2^ as in log2Inline and
// exp2Inline (pow.go), step for step, each a*b + c there a VFMADD here. A group with a
// lane outside Powf's main path stops the loop: the count of lanes done is returned.
//
// Registers: DI out, SI s, DX x, CX lanes left, BX done, R8 consts, R9 logTab,
// R10 expTab; Y15 = y, Y14 = −1.
TEXT ·powfScaleAVX2(SB), NOSPLIT, $0-72
	MOVQ         out+0(FP), DI
	MOVQ         s+8(FP), SI
	MOVQ         x+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSD y+32(FP), Y15
	MOVQ         consts+40(FP), R8
	MOVQ         logTab+48(FP), R9
	MOVQ         expTab+56(FP), R10
	VBROADCASTSD 0(R8), Y14
	XORQ         BX, BX

	// Dword constants: 0x00800000 − 1, 0x7f800000, logOff, 15, 0xff800000.
	MOVL         $0x007fffff, AX
	VMOVD        AX, X13
	VPBROADCASTD X13, X13
	MOVL         $0x7f800000, AX
	VMOVD        AX, X12
	VPBROADCASTD X12, X12
	MOVL         $0x3f330000, AX
	VMOVD        AX, X11
	VPBROADCASTD X11, X11

loop:
	CMPQ CX, $0
	JLE  done
	VMOVDQU (SI), X0 // ix

	// Every lane a positive normal: 0x007fffff < ix < 0x7f800000 as int32.
	VPCMPGTD X13, X0, X1 // ix > 0x007fffff
	VPCMPGTD X0, X12, X2 // 0x7f800000 > ix
	VPAND    X2, X1, X1
	VMOVMSKPS X1, AX
	CMPL     AX, $15
	JNE      done

	// tmp = ix − logOff; i = tmp>>19 & 15; top = tmp & 0xff800000; k = top >> 23.
	VPSUBD   X11, X0, X1 // tmp
	VPSRLD   $19, X1, X2
	MOVL     $15, AX
	VMOVD    AX, X3
	VPBROADCASTD X3, X3
	VPAND    X3, X2, X2 // i
	MOVL     $0xff800000, AX
	VMOVD    AX, X3
	VPBROADCASTD X3, X3
	VPAND    X3, X1, X3 // top
	VPSRAD   $23, X3, X4 // k
	VCVTDQ2PD X4, Y4    // float64(k)
	VPSUBD   X3, X0, X5 // ix − top: z's bits
	VCVTPS2PD X5, Y5    // z

	// invc and logc from the table (16 bytes an entry): index 2i, scale 8.
	VPADDD       X2, X2, X2
	VPCMPEQD     Y6, Y6, Y6
	VGATHERDPD   Y6, (R9)(X2*8), Y7 // invc
	VPCMPEQD     Y6, Y6, Y6
	VGATHERDPD   Y6, 8(R9)(X2*8), Y8 // logc

	// r = fma(z, invc, −1); y0 = logc + k.
	VMOVAPD     Y14, Y9
	VFMADD231PD Y7, Y5, Y9 // r
	VADDPD      Y4, Y8, Y8 // y0

	// log2 x = fma(y, r4, fma(p, r2, fma(A4, r, y0))), y = fma(A0, r, A1),
	// p = fma(A2, r, A3).
	VMULPD       Y9, Y9, Y10 // r2
	VBROADCASTSD 16(R8), Y0  // A1
	VBROADCASTSD 8(R8), Y1   // A0
	VFMADD231PD  Y1, Y9, Y0  // y
	VBROADCASTSD 32(R8), Y1  // A3
	VBROADCASTSD 24(R8), Y2  // A2
	VFMADD231PD  Y2, Y9, Y1  // p
	VMULPD       Y10, Y10, Y3 // r4
	VBROADCASTSD 40(R8), Y2  // A4
	VFMADD231PD  Y2, Y9, Y8  // q = fma(A4, r, y0)
	VFMADD231PD  Y1, Y10, Y8 // q = fma(p, r2, q)
	VFMADD231PD  Y0, Y3, Y8  // log2 x = fma(y, r4, q)

	// ylogx = y · log2 x; a lane with |ylogx| ≥ 124 leaves the group to Powf.
	VMULPD       Y15, Y8, Y8
	VPCMPEQD     Y1, Y1, Y1
	VPSRLQ       $1, Y1, Y1 // abs mask
	VANDPD       Y1, Y8, Y1
	VBROADCASTSD 48(R8), Y2
	VCMPPD       $0x1d, Y2, Y1, Y1 // |ylogx| >= 124
	VMOVMSKPD    Y1, AX
	TESTL        AX, AX
	JNZ          done

	// kd = ylogx + shift; ki = kd's bits; kd −= shift; r = ylogx − kd.
	VBROADCASTSD 56(R8), Y2
	VADDPD       Y2, Y8, Y0 // kd, ki
	VSUBPD       Y2, Y0, Y1 // kd
	VSUBPD       Y1, Y8, Y9 // r

	// s = expTab[ki % 32] + ki<<47.
	MOVQ         $31, AX
	VMOVQ        AX, X1
	VPBROADCASTQ X1, Y1
	VPAND        Y1, Y0, Y1 // ki % 32
	VPCMPEQD     Y6, Y6, Y6
	VGATHERQPD   Y6, (R10)(Y1*8), Y2
	VPSLLQ       $47, Y0, Y0
	VPADDQ       Y0, Y2, Y2 // s

	// 2^r ≈ fma(z, r2, fma(C2, r, 1)), z = fma(C0, r, C1).
	VBROADCASTSD 72(R8), Y0  // C1
	VBROADCASTSD 64(R8), Y1  // C0
	VFMADD231PD  Y1, Y9, Y0  // z
	VMULPD       Y9, Y9, Y10 // r2
	VBROADCASTSD 88(R8), Y3  // 1
	VBROADCASTSD 80(R8), Y1  // C2
	VFMADD231PD  Y1, Y9, Y3  // fma(C2, r, 1)
	VFMADD231PD  Y0, Y10, Y3 // y
	VMULPD       Y2, Y3, Y3  // y·s
	VCVTPD2PSY   Y3, X3      // the power, rounded once to float32

	VMULPS  (DX), X3, X3
	VMOVUPS X3, (DI)
	ADDQ    $16, SI
	ADDQ    $16, DX
	ADDQ    $16, DI
	ADDQ    $4, BX
	SUBQ    $4, CX
	JMP     loop

done:
	MOVQ BX, ret+64(FP)
	VZEROUPPER
	RET
