//go:build amd64 && !purego

package layers

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly MAX pooling (pooling_amd64.s); tests turn it off to
// run the Go loops.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasAVX

// maxWindowsAVX2 is maxWindows in AVX2 assembly.
//
//go:noescape
func maxWindowsAVX2(x *float32, w, kh, kw, sw, n int, y *float32, idx *int32, i0, rows, xStep, yStep int, wide bool)

// maxWindows runs MAX pooling, eight outputs at a time, for a block of rows × n
// outputs whose kh×kw windows lie inside the image x (rows w apart): window (r, o)
// starts at x[i0 + r·xStep + o·sw] and its output is y[r·yStep + o], its index
// idx[r·yStep + o]. It reports whether it did them: not where the CPU lacks AVX2
// or the stride sw is not 1 or 2.
func maxWindows(x []float32, w, kh, kw, sw, i0, xStep int, y []float32, idx []int32, rows, n, yStep int) bool {
	if !useAVX2 || rows <= 0 || n <= 0 || sw < 1 || sw > 2 {
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
	// The block ends at the end of x (its plane): the rows but the last read
	// wide, if they can, and the last row through masks.
	maxWindowsAVX2(&x[i0], w, kh, kw, sw, n, &y[0], &idx[0], i0, rows-1, xStep, yStep, last-xStep+over < len(x))
	r := rows - 1
	maxWindowsAVX2(&x[i0+r*xStep], w, kh, kw, sw, n, &y[r*yStep], &idx[r*yStep], i0+r*xStep, 1, xStep, yStep, false)
	return true
}
