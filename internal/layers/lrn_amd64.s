//go:build amd64 && !purego

#include "textflag.h"

// func mulNegPow75AVX(n int, s, x, y *float32)
//
// y[i] = float32(1/(r·√r)) · x[i] with r = √float64(s[i]), for i < n, n a multiple
// of 4: negPow(0.75).of(s[i]) · x[i] four at a time, in float64 as the Go code does
// (each step an IEEE operation, so the results are the Go loop's, bit for bit).
TEXT ·mulNegPow75AVX(SB), NOSPLIT, $0-32
	MOVQ         n+0(FP), CX
	MOVQ         s+8(FP), SI
	MOVQ         x+16(FP), DX
	MOVQ         y+24(FP), DI
	MOVQ         $0x3ff0000000000000, AX // 1.0
	MOVQ         AX, X0
	VBROADCASTSD X0, Y0
	SHRQ         $2, CX
	JZ           done

loop:
	VCVTPS2PD (SI), Y1   // r² = s, widened
	VSQRTPD   Y1, Y1     // r
	VSQRTPD   Y1, Y2     // √r
	VMULPD    Y2, Y1, Y1 // r·√r
	VDIVPD    Y1, Y0, Y1 // 1/(r·√r)
	VCVTPD2PSY Y1, X1    // to float32
	VMOVUPS   (DX), X2
	VMULPS    X2, X1, X1
	VMOVUPS   X1, (DI)
	ADDQ      $16, SI
	ADDQ      $16, DX
	ADDQ      $16, DI
	DECQ      CX
	JNZ       loop

done:
	VZEROUPPER
	RET
