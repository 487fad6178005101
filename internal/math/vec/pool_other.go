//go:build !amd64 || purego

package vec

func maxWindowsAsm(x []float32, w, kh, kw, sw, i0, xStep int, y []float32, idx []int32, rows, n, yStep int) bool {
	return false
}
