//go:build amd64 && !purego

package vec

// maxWindowsAVX2 is MaxWindows in assembly (pool_amd64.s).
//
//go:noescape
func maxWindowsAVX2(x *float32, w, kh, kw, sw, n int, y *float32, idx *int32, i0, rows, xStep, yStep int, wide bool)

func maxWindowsAsm(x []float32, w, kh, kw, sw, i0, xStep int, y []float32, idx []int32, rows, n, yStep int) bool {
	if !useAsm {
		return false
	}
	// The bounds the assembly relies on, checked once here: the last window's
	// last value, and whether x holds the values a row's last group reads when it
	// loads as a full group of eight (wide).
	last := i0 + (rows-1)*xStep + (n-1)*sw + (kh-1)*w + kw - 1
	_ = x[last]
	_ = y[(rows-1)*yStep+n-1]
	_ = idx[(rows-1)*yStep+n-1]
	over := (7 - (n-1)%8) * sw
	if last+over < len(x) || rows == 1 {
		maxWindowsAVX2(&x[i0], w, kh, kw, sw, n, &y[0], &idx[0], i0, rows, xStep, yStep, last+over < len(x))
		return true
	}
	// The block ends at the end of x: the rows but the last read wide, if they
	// can, and the last row through masks.
	maxWindowsAVX2(&x[i0], w, kh, kw, sw, n, &y[0], &idx[0], i0, rows-1, xStep, yStep, last-xStep+over < len(x))
	r := rows - 1
	maxWindowsAVX2(&x[i0+r*xStep], w, kh, kw, sw, n, &y[r*yStep], &idx[r*yStep], i0+r*xStep, 1, xStep, yStep, false)
	return true
}
