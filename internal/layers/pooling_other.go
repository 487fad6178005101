//go:build !amd64 || purego

package layers

// useAVX2 is false where there is no assembly.
var useAVX2 = false

// maxWindows does nothing here: the Go loops do every output.
func maxWindows(x []float32, w, kh, kw, sw, i0, xStep int, y []float32, idx []int32, rows, n, yStep int) bool {
	return false
}
