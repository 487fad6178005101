//go:build amd64 && !purego

package layers

import "golang.org/x/sys/cpu"

// useAVX selects the assembly of lrn_amd64.s; tests turn it off to run Go.
var useAVX = cpu.X86.HasAVX

// mulNegPow75AVX is mulNegPow's loop for β = 0.75 in AVX assembly (lrn_amd64.s), on
// a multiple of 4 elements.
//
//go:noescape
func mulNegPow75AVX(n int, s, x, y *float32)

// mulNegPow sets y[i] = s[i]^−β · x[i]: LRN's output and its gradient. β = 0.75,
// Caffe's examples' value, runs four at a time where the CPU has AVX, with the bits
// of the Go loop.
func mulNegPow(beta negPow, s, x, y []float32) {
	if n := len(s) &^ 3; useAVX && beta == 0.75 && n > 0 {
		x, y = x[:len(s)], y[:len(s)]
		mulNegPow75AVX(n, &s[0], &x[0], &y[0])
		s, x, y = s[n:], x[n:], y[n:]
	}
	mulNegPowGo(beta, s, x, y)
}
