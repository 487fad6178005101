//go:build !amd64 || purego

package layers

// useAVX is false where there is no assembly.
var useAVX = false

// mulNegPow sets y[i] = s[i]^−β · x[i]: LRN's output and its gradient.
func mulNegPow(beta negPow, s, x, y []float32) { mulNegPowGo(beta, s, x, y) }
