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
