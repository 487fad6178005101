//go:build amd64 && !purego

package layers

import "golang.org/x/sys/cpu"

// useAVX selects the assembly of conv_amd64.s; tests turn it off to run Go.
var useAVX = cpu.X86.HasAVX

// addConstAVX is addConst's loop in AVX assembly.
//
//go:noescape
func addConstAVX(x *float32, n int, b float32)

// addConst adds b to every value of x, eight at a time where the CPU has AVX (the
// sums are the Go loop's, bit for bit).
func addConst(x []float32, b float32) {
	if !useAVX || len(x) == 0 {
		addConstGo(x, b)
		return
	}
	addConstAVX(&x[0], len(x), b)
}
