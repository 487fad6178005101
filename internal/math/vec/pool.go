package vec

// MaxWindows runs MAX pooling, eight outputs at a time, on a block of rows × n
// outputs whose kh×kw windows lie inside the image x (rows w apart): window (r, o)
// starts at x[i0 + r·xStep + o·sw] and its output is y[r·yStep + o], and the index of
// its maximum in the image idx[r·yStep + o]. Each window is scanned as Caffe scans
// it: from −FLT_MAX and index −1, in row-major order, a value taken only when
// greater than the maximum so far (a tie keeps the first, a NaN is never taken).
// It reports whether it did them: not where the CPU lacks AVX2, nor for a stride sw
// other than 1 or 2, which the caller's loops then do.
func MaxWindows(x []float32, w, kh, kw, sw, i0, xStep int, y []float32, idx []int32, rows, n, yStep int) bool {
	if rows <= 0 || n <= 0 || sw < 1 || sw > 2 {
		return false
	}
	return maxWindowsAsm(x, w, kh, kw, sw, i0, xStep, y, idx, rows, n, yStep)
}
