//go:build !amd64 || purego

package layers

// useAVX is false where there is no assembly.
var useAVX = false

// addConst adds b to every value of x.
func addConst(x []float32, b float32) { addConstGo(x, b) }
