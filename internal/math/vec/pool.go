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

// PoolRowMasks fills masks (grown as needed) for AveRows and MaxRows over rows of
// an image w wide: outW outputs a row, window kw columns, stride sw, padding padW.
// The outputs are in chunks of sixteen; entry k·kw + j describes window column j of
// chunk k, whose lane l is output 16k + l, at column (16k + l)·sw − padW + j:
//
//	bits  0–31: the values loaded from the column of lane 0 on (position sw·l for
//	            lane l) that lie in [0, w), of lanes that are outputs
//	bits 32–47: the lanes whose column lies in [0, w)
//	bits 48–63: the lanes that are outputs
func PoolRowMasks(masks []uint64, w, kw, sw, padW, outW int) []uint64 {
	chunks := (outW + 15) / 16
	n := chunks * kw
	if cap(masks) < n {
		masks = make([]uint64, n)
	}
	masks = masks[:n]
	for k := range chunks {
		for j := range kw {
			var m uint64
			for l := range 16 {
				o := 16*k + l
				if o >= outW {
					break
				}
				m |= 1 << (48 + l)
				if c := o*sw - padW + j; c >= 0 && c < w {
					m |= 1<<(32+l) | 1<<(sw*l)
				}
			}
			masks[k*kw+j] = m
		}
	}
	return masks
}

// PoolRows is the block of outputs AveRows and MaxRows pool: in each of Planes
// planes, Rows × OutW outputs whose windows span the Kh rows from Hs + r·Sh (output
// row r) and the Kw columns from o·Sw − PadW (output o), less those outside [0, W).
// Plane q of the image starts at XPlane·q in x, its outputs at YPlane·q in y.
type PoolRows struct {
	W, Hs, Kh, Kw, Sw, Sh, PadW int
	Rows, OutW                  int
	Planes, XPlane, YPlane      int
}

// ok checks the block against the lengths of x, of the outputs (y and idx or div:
// the least) and of the masks, and reports whether the kernels take it: strides
// of 1 or 2 only.
func (b PoolRows) ok(lenX, lenY, lenDiv, lenMasks int) bool {
	if b.Rows <= 0 || b.Planes <= 0 || b.Kh <= 0 || b.Kw <= 0 || b.W <= 0 || b.OutW <= 0 || b.Hs < 0 || (b.Sw != 1 && b.Sw != 2) {
		return false
	}
	if b.XPlane < 0 || b.YPlane < 0 || (b.Planes-1)*b.XPlane+(b.Hs+(b.Rows-1)*b.Sh+b.Kh)*b.W > lenX ||
		(b.Planes-1)*b.YPlane+b.Rows*b.OutW > lenY || b.Rows*b.OutW > lenDiv {
		panic("vec: pooling rows out of range")
	}
	if lenMasks < (b.OutW+15)/16*b.Kw {
		panic("vec: pooling row masks too short")
	}
	return true
}

// AveRows runs AVE pooling, sixteen outputs at a time, on the block b of an image
// x: masks is PoolRowMasks(b.W, b.Kw, b.Sw, b.PadW, b.OutW). Output (r, o) of plane
// q is the sum from +0 of its window's values in Caffe's order (window row by row,
// left to right) divided by div[r·OutW + o], and goes to y[q·YPlane + r·OutW + o].
// It reports whether it did them: not where the CPU lacks AVX-512, nor for a
// stride Sw other than 1 or 2.
func AveRows(x []float32, b PoolRows, y, div []float32, masks []uint64) bool {
	if !b.ok(len(x), len(y), len(div), len(masks)) {
		return false
	}
	return aveRowsAsm(x, &b, y, div, masks)
}

// MaxRows runs MAX pooling as AveRows does AVE: y[q·YPlane + r·OutW + o] is the
// maximum of window (r, o) of plane q by Caffe's scan (from −FLT_MAX and index −1,
// a value taken where greater: ties keep the first, a NaN is never taken), and
// idx (laid out as y) its index h·W + column in the plane.
func MaxRows(x []float32, b PoolRows, y []float32, idx []int32, masks []uint64) bool {
	if !b.ok(len(x), min(len(y), len(idx)), len(y), len(masks)) {
		return false
	}
	return maxRowsAsm(x, &b, y, idx, masks)
}

// PoolBackTable fills table (grown as needed) for AveBackRows over rows of an
// image w wide: outW outputs a row, window kw columns, stride sw, padding padW. It
// returns the taps, the most windows over one column, ⌈kw/sw⌉, and whether
// AveBackRows can take the geometry (at most 4 taps, at most 96 outputs a row).
//
// The columns are in chunks of sixteen; chunk k's entry is 2 + 17·taps int32: the
// first window over its first column (base), the mask of its columns in [0, w),
// then for each tap t the mask of the columns with a t-th window and sixteen
// indices: the t-th window over each column, less base.
func PoolBackTable(table []int32, w, kw, sw, padW, outW int) ([]int32, int, bool) {
	taps := (kw + sw - 1) / sw
	if taps > 4 || outW > 96 || w <= 0 {
		return table[:0], taps, false
	}
	chunks := (w + 15) / 16
	stride := 2 + 17*taps
	n := chunks * stride
	if cap(table) < n {
		table = make([]int32, n)
	}
	table = table[:n]
	clear(table)
	first := func(c int) int { // the first window over column c
		if n := c + padW - kw + 1; n > 0 {
			return (n + sw - 1) / sw
		}
		return 0
	}
	for k := range chunks {
		e := table[k*stride : (k+1)*stride]
		base := first(16 * k)
		e[0] = int32(base)
		for l := range 16 {
			c := 16*k + l
			if c >= w {
				break
			}
			e[1] |= 1 << l
			last := min(outW-1, (c+padW)/sw)
			for t := range taps {
				ox := first(c) + t
				if ox > last {
					break
				}
				if ox-base >= 32 {
					return table[:0], taps, false
				}
				e[2+17*t] |= 1 << l
				e[3+17*t+l] = int32(ox - base)
			}
		}
	}
	return table, taps, true
}

// PoolBack is the block of planes AveBackRows takes: Planes planes, plane q's dx
// (H × W, H = XPlane/W) from XPlane·q and its dy (OutH × OutW) from YPlane·q.
type PoolBack struct {
	W, OutW, OutH          int
	Planes, XPlane, YPlane int
}

// PoolBackRows fills hrows (grown as needed) for AveBackRows from the output
// rows' windows, rows[2·oy] ≤ h < rows[2·oy+1] (clipped to the image, which is h
// rows high): for each image row h, the output rows [hrows[2·h], hrows[2·h+1])
// whose windows take it.
func PoolBackRows(hrows []int32, rows []int32, h int) []int32 {
	if cap(hrows) < 2*h {
		hrows = make([]int32, 2*h)
	}
	hrows = hrows[:2*h]
	for r := range h {
		lo, hi := int32(0), int32(0)
		for oy := 0; oy < len(rows)/2; oy++ {
			if rows[2*oy] <= int32(r) && int32(r) < rows[2*oy+1] {
				if hi == 0 {
					lo = int32(oy)
				}
				hi = int32(oy) + 1
			}
		}
		hrows[2*r], hrows[2*r+1] = lo, hi
	}
	return hrows
}

// AveBackRows is AVE pooling's backward pass over the planes of b, sixteen
// columns at a time: every x of window (oy, ox) gets dy[oy·OutW + ox] /
// div[oy·OutW + ox], summed from +0 in Caffe's order (window row, then column,
// ascending), and dx is that sum (0 where no window takes it). Image row h is in
// the windows of the output rows [hrows[2·h], hrows[2·h+1]) (PoolBackRows), which
// must be all of them and in a row's span; the columns' windows are in table
// (PoolBackTable, with its taps). It reports whether it did them: not where the
// CPU lacks AVX-512, nor for planes of more than 976 outputs.
func AveBackRows(dy, div, dx []float32, b PoolBack, table []int32, taps int, hrows []int32) bool {
	if b.Planes <= 0 || b.W <= 0 || b.OutW <= 0 || b.OutH <= 0 || taps < 1 || taps > 4 || b.OutW > 96 {
		return false
	}
	h := b.XPlane / b.W
	if len(hrows) < 2*h || len(table) < (b.W+15)/16*(2+17*taps) || b.XPlane%b.W != 0 ||
		(b.Planes-1)*b.XPlane+h*b.W > len(dx) || (b.Planes-1)*b.YPlane+b.OutH*b.OutW > len(dy) || b.OutH*b.OutW > len(div) {
		panic("vec: pooling backward out of range")
	}
	for r := range h {
		if lo, hi := hrows[2*r], hrows[2*r+1]; lo < 0 || int(hi) > b.OutH || lo > hi {
			panic("vec: pooling backward rows out of range")
		}
	}
	return aveBackAsm(dy, div, dx, &b, table, taps, hrows)
}
