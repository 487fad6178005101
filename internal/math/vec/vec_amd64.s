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

// RELU8(src, gate, dst): dst = gate > 0 ? src : slope·src, eight lanes, with
// Y0 = slope and Y15 = 0; Y5..Y7 scratch.
#define RELU8(src, gate, dst) \
	VMOVUPS   src, Y5 \
	VCMPPS    $0x1e, Y15, gate, Y6 \
	VMULPS    Y0, Y5, Y7 \
	VBLENDVPS Y6, Y5, Y7, Y7 \
	VMOVUPS   Y7, dst

// func reluAVX2(y, x *float32, n int, slope float32)
//
// y = x > 0 ? x : slope·x (an ordered compare: a NaN takes slope·x, a NaN).
TEXT ·reluAVX2(SB), NOSPLIT, $0-28
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS slope+24(FP), Y0
	VXORPS       Y15, Y15, Y15

rl8:
	VMOVUPS (SI), Y4
	RELU8((SI), Y4, (DI))
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     rl8
	VZEROUPPER
	RET

// func reluGradAVX2(dx, x, dy *float32, n int, slope float32)
//
// dx = x > 0 ? dy : slope·dy.
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-36
	MOVQ         dx+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         dy+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS slope+32(FP), Y0
	VXORPS       Y15, Y15, Y15

rg8:
	VMOVUPS (SI), Y4
	RELU8((DX), Y4, (DI))
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     rg8
	VZEROUPPER
	RET
