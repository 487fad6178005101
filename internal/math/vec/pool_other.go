//go:build !amd64 || purego

package vec

func maxWindowsAsm(x []float32, w, kh, kw, sw, i0, xStep int, y []float32, idx []int32, rows, n, yStep int) bool {
	return false
}

// useAVX512 is false without assembly.
var useAVX512 = false

func aveRowsAsm(x []float32, b *PoolRows, y, div []float32, masks []uint64) bool { return false }
func maxRowsAsm(x []float32, b *PoolRows, y []float32, idx []int32, masks []uint64) bool {
	return false
}

func aveBackAsm(dy, div, dx []float32, b *PoolBack, table []int32, taps int, hrows []int32) bool {
	return false
}
