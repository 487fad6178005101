//go:build amd64 && !purego

#include "textflag.h"

// func addConstAVX(x *float32, n int, b float32)
//
// x[i] += b for i < n, eight at a time, then one by one: IEEE sums, as the Go loop's.
TEXT ·addConstAVX(SB), NOSPLIT, $0-20
	MOVQ         x+0(FP), DI
	MOVQ         n+8(FP), CX
	VBROADCASTSS b+16(FP), Y1
	MOVQ         CX, BX
	SHRQ         $5, BX
	JZ           add8

add32:
	VMOVUPS (DI), Y2
	VMOVUPS 32(DI), Y3
	VMOVUPS 64(DI), Y4
	VMOVUPS 96(DI), Y5
	VADDPS  Y1, Y2, Y2
	VADDPS  Y1, Y3, Y3
	VADDPS  Y1, Y4, Y4
	VADDPS  Y1, Y5, Y5
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, 32(DI)
	VMOVUPS Y4, 64(DI)
	VMOVUPS Y5, 96(DI)
	ADDQ    $128, DI
	DECQ    BX
	JNZ     add32

add8:
	MOVQ CX, BX
	ANDQ $31, BX
	SHRQ $3, BX
	JZ   add1

add8loop:
	VMOVUPS (DI), Y2
	VADDPS  Y1, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ    $32, DI
	DECQ    BX
	JNZ     add8loop

add1:
	ANDQ $7, CX
	JZ   done

add1loop:
	VMOVSS (DI), X2
	VADDSS X1, X2, X2
	VMOVSS X2, (DI)
	ADDQ   $4, DI
	DECQ   CX
	JNZ    add1loop

done:
	VZEROUPPER
	RET
