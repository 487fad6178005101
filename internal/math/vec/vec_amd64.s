//go:build amd64 && !purego

#include "textflag.h"

// The loops run over n elements, n a multiple of 8: 32 a step while they can, then 8.
// Each element is computed as the Go loop computes it: one IEEE operation (or a
// compare and a blend), no fused multiply-add.

// func addConstAVX2(x *float32, n int, b float32)
TEXT ·addConstAVX2(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS b+16(FP), Y0
	SUBQ         $32, CX
	JLT          ac8

ac32:
	VADDPS  (DI), Y0, Y1
	VADDPS  32(DI), Y0, Y2
	VADDPS  64(DI), Y0, Y3
	VADDPS  96(DI), Y0, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ    $128, DI
	SUBQ    $32, CX
	JGE     ac32

ac8:
	ADDQ $32, CX
	JZ   acdone

ac8loop:
	VADDPS  (DI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     ac8loop

acdone:
	VZEROUPPER
	RET

// func scaleAVX2(y, x *float32, n int, a float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-28
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS a+24(FP), Y0
	SUBQ         $32, CX
	JLT          sc8

sc32:
	VMULPS  (SI), Y0, Y1
	VMULPS  32(SI), Y0, Y2
	VMULPS  64(SI), Y0, Y3
	VMULPS  96(SI), Y0, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DI
	SUBQ    $32, CX
	JGE     sc32

sc8:
	ADDQ $32, CX
	JZ   scdone

sc8loop:
	VMULPS  (SI), Y0, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     sc8loop

scdone:
	VZEROUPPER
	RET

// func addAVX2(z, x, y *float32, n int)
TEXT ·addAVX2(SB), NOSPLIT, $0-32
	MOVQ z+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	SUBQ $32, CX
	JLT  ad8

ad32:
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VMOVUPS 64(SI), Y3
	VMOVUPS 96(SI), Y4
	VADDPS  (DX), Y1, Y1
	VADDPS  32(DX), Y2, Y2
	VADDPS  64(DX), Y3, Y3
	VADDPS  96(DX), Y4, Y4
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	VMOVUPS Y3, 64(DI)
	VMOVUPS Y4, 96(DI)
	ADDQ    $128, SI
	ADDQ    $128, DX
	ADDQ    $128, DI
	SUBQ    $32, CX
	JGE     ad32

ad8:
	ADDQ $32, CX
	JZ   addone

ad8loop:
	VMOVUPS (SI), Y1
	VADDPS  (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     ad8loop

addone:
	VZEROUPPER
	RET

// func reluAVX2(y, x *float32, n int, slope float32)
//
// y = max(x, 0) + slope·min(x, 0), C++'s std::max and std::min: the lanes of x
// where x < 0 (for max) or 0 < x (for min) cleared by an AND NOT of the ordered
// compares' masks, so that a NaN and −0 pass through as in C++.
TEXT ·reluAVX2(SB), NOSPLIT, $0-28
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS slope+24(FP), Y0
	VXORPS       Y15, Y15, Y15

rl8:
	VMOVUPS (SI), Y4
	VCMPPS  $0x11, Y15, Y4, Y5 // x < 0 (ordered)
	VCMPPS  $0x1e, Y15, Y4, Y6 // x > 0 (ordered)
	VANDNPS Y4, Y5, Y5         // max: x, or 0 where x < 0
	VANDNPS Y4, Y6, Y6         // min: x, or 0 where x > 0
	VMULPS  Y0, Y6, Y6
	VADDPS  Y6, Y5, Y5
	VMOVUPS Y5, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     rl8
	VZEROUPPER
	RET

// func reluGradAVX2(dx, x, dy *float32, n int, f *[3]float32)
//
// dx = dy · (f[0] where x > 0, f[1] where x ≤ 0, f[2] where x is NaN).
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-40
	MOVQ         dx+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         dy+16(FP), DX
	MOVQ         n+24(FP), CX
	MOVQ         f+32(FP), AX
	VBROADCASTSS (AX), Y1
	VBROADCASTSS 4(AX), Y0
	VBROADCASTSS 8(AX), Y2
	VXORPS       Y15, Y15, Y15

rg8:
	VMOVUPS   (SI), Y4
	VCMPPS    $0x1e, Y15, Y4, Y5 // x > 0 (ordered)
	VCMPPS    $0x12, Y15, Y4, Y6 // x ≤ 0 (ordered)
	VBLENDVPS Y6, Y0, Y2, Y7     // f[1] where x ≤ 0, else f[2]
	VBLENDVPS Y5, Y1, Y7, Y7     // f[0] where x > 0
	VMULPS    (DX), Y7, Y7
	VMOVUPS   Y7, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DX
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       rg8
	VZEROUPPER
	RET

// func mulAVX2(z, x, y *float32, n int)
TEXT ·mulAVX2(SB), NOSPLIT, $0-32
	MOVQ z+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX

mu8:
	VMOVUPS (SI), Y1
	VMULPS  (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     mu8
	VZEROUPPER
	RET

// func addQuotientAVX2(acc, a, b, c *float32, n int, sign float32)
//
// acc += sign·(a·b/c), sign ±1: the product and quotient rounded, then added or
// subtracted (sign·q is exact).
TEXT ·addQuotientAVX2(SB), NOSPLIT, $0-44
	MOVQ         acc+0(FP), DI
	MOVQ         a+8(FP), SI
	MOVQ         b+16(FP), DX
	MOVQ         c+24(FP), R8
	MOVQ         n+32(FP), CX
	VBROADCASTSS sign+40(FP), Y0

aq8:
	VMOVUPS (SI), Y1
	VMULPS  (DX), Y1, Y1
	VDIVPS  (R8), Y1, Y1
	VMULPS  Y0, Y1, Y1
	VADDPS  (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, R8
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     aq8
	VZEROUPPER
	RET

// func powScale75AVX2(y, s, x *float32, n int)
//
// y = x / (√s·√√s): s^−0.75 · x, each square root, product and quotient rounded as
// the Go loop rounds them.
TEXT ·powScale75AVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ s+8(FP), SI
	MOVQ x+16(FP), DX
	MOVQ n+24(FP), CX
	MOVL         $0x3f800000, AX
	VMOVD        AX, X0
	VBROADCASTSS X0, Y0 // 1

ps8:
	VSQRTPS (SI), Y1
	VSQRTPS Y1, Y2
	VMULPS  Y2, Y1, Y1
	VDIVPS  Y1, Y0, Y1
	VMULPS  (DX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     ps8
	VZEROUPPER
	RET
