//go:build amd64 && !purego

package cmath

import (
	"unsafe"

	"github.com/gocaffe/gocaffe/internal/math/cpufeat"
)

// usePowAsm selects the assembly of powscale_amd64.s; tests turn it off to check it
// against Powf.
var usePowAsm = cpufeat.AVX2FMA

// powfConsts is what the assembly reads besides the tables, in this order (see
// log2Inline and exp2Inline).
var powfConsts = [...]float64{
	-1,                                                         // 0: r = z·(1/c) − 1
	powLogA[0], powLogA[1], powLogA[2], powLogA[3], powLogA[4], // 8..40
	124,                             // 48: |y·log2 x| from which Powf decides range first
	exp2Shift,                       // 56
	exp2C[0], exp2C[1], exp2C[2], 1, // 64..88
}

// powfScaleAVX2 computes groups of four lanes while every lane of a group takes
// Powf's main path, and returns how many lanes it did.
//
//go:noescape
func powfScaleAVX2(out, s, x *float32, n int, y float64, consts *float64, logTab unsafe.Pointer, expTab *uint64) int

func powfScaleAsm(out, s, x []float32, y float32) int {
	n := len(s) &^ 3
	if !usePowAsm || n == 0 {
		return 0
	}
	return powfScaleAVX2(&out[0], &s[0], &x[0], n, float64(y), &powfConsts[0], unsafe.Pointer(&powLogTab[0]), &expTab[0])
}
