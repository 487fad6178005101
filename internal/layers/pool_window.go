package layers

import (
	"math"

	"github.com/gocaffe/gocaffe/internal/math/vec"
)

// The pooling windows over one H×W plane: the geometry (poolGeom) and the kernels of
// MAX, AVE and STOCHASTIC pooling, forward and backward, in Caffe's order of every
// window. The Pooling layer runs them plane by plane (pooling.go), as does LRN's
// WITHIN_CHANNEL region, whose average is an AVE pooling.

// poolGeom is the window geometry over one H×W plane.
type poolGeom struct {
	h, w             int
	kh, kw           int
	padH, padW       int
	strideH, strideW int
	outH, outW       int
	// The outputs [inY0, inY1) × [inX0, inX1) have their whole kh×kw window inside
	// the image: no clipping, the AVE divisor kh·kw. Most outputs are such; the
	// forward passes treat them with straight loops (set by Reshape).
	inY0, inY1, inX0, inX1 int
	// For the AVX-512 kernels (vec.MaxRows, vec.AveRows), which take whole rows of
	// outputs, borders included: the masks of an output row's columns, and AVE's
	// divisor of every output, Caffe's pool size (set by Reshape, kept across).
	rowMasks []uint64
	aveDiv   []float32
	// For AVE's backward kernel (vec.AveBackRows): the columns' windows, their
	// most over one column, whether the kernel takes the geometry, each output
	// row's window rows [hs, he) clipped, and each image row's output rows.
	backTable []int32
	backTaps  int
	backOK    bool
	rowSpans  []int32
	backRows  []int32
}

// setInterior computes the outputs whose windows lie wholly inside the image, and
// the row kernels' masks and divisors.
func (g *poolGeom) setInterior() {
	g.inY0, g.inY1 = interior(g.h, g.kh, g.strideH, g.padH, g.outH)
	g.inX0, g.inX1 = interior(g.w, g.kw, g.strideW, g.padW, g.outW)
	g.rowMasks = vec.PoolRowMasks(g.rowMasks, g.w, g.kw, g.strideW, g.padW, g.outW)
	n := g.outH * g.outW
	if cap(g.aveDiv) < n {
		g.aveDiv = make([]float32, n)
	}
	g.aveDiv = g.aveDiv[:n]
	g.backTable, g.backTaps, g.backOK = vec.PoolBackTable(g.backTable, g.w, g.kw, g.strideW, g.padW, g.outW)
	if cap(g.rowSpans) < 2*g.outH {
		g.rowSpans = make([]int32, 2*g.outH)
	}
	g.rowSpans = g.rowSpans[:2*g.outH]
	for oy := range g.outH {
		hs, he, ph := g.rows(oy)
		g.rowSpans[2*oy], g.rowSpans[2*oy+1] = int32(hs), int32(he)
		for ox := range g.outW {
			_, _, pw := g.cols(ox)
			g.aveDiv[oy*g.outW+ox] = float32(ph * pw)
		}
	}
	g.backRows = vec.PoolBackRows(g.backRows, g.rowSpans, g.h)
}

// rowBlockEnd is one past the last output row of the block from oy whose windows
// span the same rows once clipped to the image: the interior rows together, each
// border row alone.
func (g *poolGeom) rowBlockEnd(oy int) int {
	if oy == g.inY0 && g.inY1 > g.inY0 {
		return g.inY1
	}
	return oy + 1
}

// minRowKernelWidth is the fewest outputs a row for which the forward passes take
// the row kernels: with fewer, most of each vector is idle, and one output a row
// (a global pooling in the caffe numerics: 13×13 windows of squeezenet's pool10)
// took a third longer than the Go loop.
const minRowKernelWidth = 4

// minPlaneMax and minPlaneAve are the fewest outputs a plane for which the passes
// of one plane (maxForward, aveForward, aveBackward: LRN's, and the benchmarks')
// take the assembly kernels, whose fixed cost a call (the checks, the masks, a
// call per block of rows) costs more than it saves on smaller planes: per plane,
// MAX of 8×8 windows 2×2 took 5.6 ns an output by them against 2.3 by the Go and
// AVX2 loops, of 16×16 3×3 2.9 against 2.5, AVE 5.3 against 3.3 on 8×8 but 2.9
// against 3.7 on 16×16 (BenchmarkPoolPlane). The layer gives them all its
// planes at once (…Rows), where they win at every size.
const (
	minPlaneMax = 128
	minPlaneAve = 64
)

// maxRows, aveRows and aveBackRows are vec.MaxRows, vec.AveRows and
// vec.AveBackRows (variables: the tests run the Go loops without them).
var (
	maxRows     = vec.MaxRows
	aveRows     = vec.AveRows
	aveBackRows = vec.AveBackRows
)

// aveBackwardRows is aveBackward of planes planes (dy and dx theirs) by
// vec.AveBackRows. It reports whether it did it; if not, aveBackward's loops do.
func (g *poolGeom) aveBackwardRows(dy, dx []float32, planes int) bool {
	if !g.backOK {
		return false
	}
	b := vec.PoolBack{W: g.w, OutW: g.outW, OutH: g.outH, Planes: planes, XPlane: g.h * g.w, YPlane: g.outH * g.outW}
	return aveBackRows(dy, g.aveDiv, dx, b, g.backTable, g.backTaps, g.backRows)
}

// rowBlock is the vec.PoolRows of the output rows [oy, oy1) of planes planes,
// whose windows span the rows [hs, he).
func (g *poolGeom) rowBlock(oy, oy1, hs, he, planes int) vec.PoolRows {
	return vec.PoolRows{W: g.w, Hs: hs, Kh: he - hs, Kw: g.kw, Sw: g.strideW, Sh: g.strideH, PadW: g.padW,
		Rows: oy1 - oy, OutW: g.outW, Planes: planes, XPlane: g.h * g.w, YPlane: g.outH * g.outW}
}

// forRowBlocks calls block on each block of output rows [oy, oy1) whose windows
// span the same image rows [hs, he) (see rowBlockEnd), in order, while it returns
// true; it reports whether every block did.
func (g *poolGeom) forRowBlocks(block func(oy, oy1, hs, he int) bool) bool {
	for oy := 0; oy < g.outH; {
		oy1 := g.rowBlockEnd(oy)
		hs, he, _ := g.rows(oy)
		if !block(oy, oy1, hs, he) {
			return false
		}
		oy = oy1
	}
	return true
}

// maxForwardRows is maxForward of planes planes (x from the first plane on, y and
// idx theirs) by vec.MaxRows, a block of rows of every plane at a time (rows whose
// windows are empty by maxBlock). It reports whether it did it all; if not,
// maxForward's loops do.
func (g *poolGeom) maxForwardRows(x, y []float32, idx []int32, planes int) bool {
	if g.outW < minRowKernelWidth {
		return false
	}
	in, out := g.h*g.w, g.outH*g.outW
	return g.forRowBlocks(func(oy, oy1, hs, he int) bool {
		if he > hs {
			o := oy * g.outW
			return maxRows(x, g.rowBlock(oy, oy1, hs, he, planes), y[o:], idx[o:], g.rowMasks)
		}
		for q := range planes {
			g.maxBlock(x[q*in:], y[q*out:], idx[q*out:], oy, oy1, 0, g.outW, hs, he-hs, 0, g.kw)
		}
		return true
	})
}

// aveForwardRows is aveForward of planes planes by vec.AveRows, as maxForwardRows.
func (g *poolGeom) aveForwardRows(x, y []float32, planes int) bool {
	if g.outW < minRowKernelWidth {
		return false
	}
	in, out := g.h*g.w, g.outH*g.outW
	return g.forRowBlocks(func(oy, oy1, hs, he int) bool {
		if he > hs {
			o := oy * g.outW
			return aveRows(x, g.rowBlock(oy, oy1, hs, he, planes), y[o:], g.aveDiv[o:], g.rowMasks)
		}
		for q := range planes {
			for r := oy; r < oy1; r++ {
				g.aveClipped(x[q*in:], r, 0, g.outW, y[q*out+r*g.outW:q*out+(r+1)*g.outW])
			}
		}
		return true
	})
}

// interior is the outputs [lo, hi) along one axis whose window [o·s − p, o·s − p + k)
// lies inside [0, n).
func interior(n, k, s, p, out int) (lo, hi int) {
	lo = (p + s - 1) / s // the first o with o·s ≥ p
	hi = 0
	if n+p >= k {
		hi = (n+p-k)/s + 1 // one past the last o with o·s − p + k ≤ n
	}
	lo, hi = min(lo, out), min(hi, out)
	return lo, max(hi, lo)
}

// span is the input positions [start, end) of window o along one axis (of input
// size n, kernel k, stride s, padding p), clipped to the image, and its length
// clipped to the padded image only, Caffe's AVE divisor along that axis: padding
// counts, the overhang past it does not. A window past the edge (possible when the
// stride exceeds the kernel) comes out empty, start = end.
func span(o, n, k, s, p int) (start, end, size int) {
	start = o*s - p
	end = min(start+k, n+p)
	size = end - start
	start = min(max(start, 0), n)
	end = max(min(end, n), start)
	return start, end, size
}

func (g *poolGeom) rows(oy int) (hs, he, size int) { return span(oy, g.h, g.kh, g.strideH, g.padH) }
func (g *poolGeom) cols(ox int) (ws, we, size int) { return span(ox, g.w, g.kw, g.strideW, g.padW) }

// maxForward: y[o] = the largest x in window o, idx[o] its index. Ties go to the first
// in scan order (strict >); an empty window gives −FLT_MAX and index −1, as in Caffe.
//
//	x (H, W), y and idx (H', W')
//
// The outputs are cut into blocks in which every window has the same extent once
// clipped to the image: the interior rows together and each border row alone, by
// the interior columns together and each border column alone. A block runs as one
// call (maxBlock).
func (g *poolGeom) maxForward(x, y []float32, idx []int32) {
	if g.outH*g.outW >= minPlaneMax && g.maxForwardRows(x, y, idx, 1) {
		return
	}
	for oy := 0; oy < g.outH; {
		oy1 := g.rowBlockEnd(oy)
		hs, he, _ := g.rows(oy)
		for ox := 0; ox < g.outW; {
			ox1 := ox + 1
			if ox == g.inX0 && g.inX1 > g.inX0 {
				ox1 = g.inX1
			}
			ws, we, _ := g.cols(ox)
			g.maxBlock(x, y, idx, oy, oy1, ox, ox1, hs, he-hs, ws, we-ws)
			ox = ox1
		}
		oy = oy1
	}
}

// maxBlock is maxForward of the outputs [oy0, oy1) × [ox0, ox1), whose windows are
// kh×kw, clipped: the window of (oy, ox) starts at row hs + (oy − oy0)·strideH,
// column ws + (ox − ox0)·strideW. Eight windows at a time in assembly where it can
// (maxWindows: vec.MaxWindows); else a row at a time, unrolled for 2×2 and 3×3.
func (g *poolGeom) maxBlock(x, y []float32, idx []int32, oy0, oy1, ox0, ox1, hs, kh, ws, kw int) {
	out := oy0*g.outW + ox0
	rows, n := oy1-oy0, ox1-ox0
	if kh <= 0 || kw <= 0 {
		// Windows past the edge (a stride larger than the kernel): nothing to scan.
		for r := range rows {
			for o := range n {
				y[out+r*g.outW+o], idx[out+r*g.outW+o] = -math.MaxFloat32, -1
			}
		}
		return
	}
	i0, xStep := hs*g.w+ws, g.strideH*g.w
	if maxWindows(x, g.w, kh, kw, g.strideW, i0, xStep, y[out:], idx[out:], rows, n, g.outW) {
		return
	}
	for r := range rows {
		o := out + r*g.outW
		g.maxRow(x, hs+r*g.strideH, kh, ws, kw, y[o:o+n], idx[o:o+n])
	}
}

// maxWindows is vec.MaxWindows (a variable: the tests run the Go loops without it).
var maxWindows = vec.MaxWindows

// noMax is the bits of −FLT_MAX, where Caffe's scan of a window starts.
const noMax = 0xff7fffff

// maxStep is one step of Caffe's scan of a window: v becomes the running maximum
// (kept as its bits) and i its index if v > the maximum. A NaN never does, nor does
// −∞. It is written so that the compiler emits conditional moves rather than a
// branch: on real activations the comparison is a coin toss, and a mispredicted
// branch per value cost more than all the rest (the branchy loop took twice as long).
//
// A window may also be scanned in pieces, each from −FLT_MAX, and the pieces'
// results merged in order by maxStep(left, right's value, right's index): the
// right piece wins only if strictly greater, so ties still go to the earliest
// value and the winner is the one scan's, bit for bit.
func maxStep(best uint32, arg int32, v float32, i int32) (uint32, int32) {
	vb := math.Float32bits(v)
	gt := v > math.Float32frombits(best)
	if gt {
		best = vb
	}
	if gt {
		arg = i
	}
	return best, arg
}

// maxRow is maxForward of the outputs yr and ir along one row, window o being the
// rows [hs, hs+kh) and the columns [ws + o·strideW, … + kw), all inside the image.
func (g *poolGeom) maxRow(x []float32, hs, kh, ws, kw int, yr []float32, ir []int32) {
	w, sw := g.w, g.strideW
	switch {
	case kh == 2 && kw == 2:
		r0, r1 := x[hs*w:(hs+1)*w], x[(hs+1)*w:(hs+2)*w]
		i0, i1 := int32(hs*w), int32((hs+1)*w)
		for o := range yr {
			j := ws + o*sw
			a, b := r0[j:j+2], r1[j:j+2]
			j32 := int32(j)
			best, arg := maxStep(noMax, -1, a[0], i0+j32)
			best, arg = maxStep(best, arg, a[1], i0+j32+1)
			best, arg = maxStep(best, arg, b[0], i1+j32)
			best, arg = maxStep(best, arg, b[1], i1+j32+1)
			yr[o], ir[o] = math.Float32frombits(best), arg
		}
	case kh == 3 && kw == 3:
		r0, r1, r2 := x[hs*w:(hs+1)*w], x[(hs+1)*w:(hs+2)*w], x[(hs+2)*w:(hs+3)*w]
		i0, i1, i2 := int32(hs*w), int32((hs+1)*w), int32((hs+2)*w)
		for o := range yr {
			j := ws + o*sw
			a, b, c := r0[j:j+3], r1[j:j+3], r2[j:j+3]
			j32 := int32(j)
			// Row by row, then each row's winner against the rows' before it
			// (see maxStep): the same winner as one scan, by shorter chains.
			ba, aa := maxStep(noMax, -1, a[0], i0+j32)
			ba, aa = maxStep(ba, aa, a[1], i0+j32+1)
			ba, aa = maxStep(ba, aa, a[2], i0+j32+2)
			bb, ab := maxStep(noMax, -1, b[0], i1+j32)
			bb, ab = maxStep(bb, ab, b[1], i1+j32+1)
			bb, ab = maxStep(bb, ab, b[2], i1+j32+2)
			bc, ac := maxStep(noMax, -1, c[0], i2+j32)
			bc, ac = maxStep(bc, ac, c[1], i2+j32+1)
			bc, ac = maxStep(bc, ac, c[2], i2+j32+2)
			best, arg := maxStep(ba, aa, math.Float32frombits(bb), ab)
			best, arg = maxStep(best, arg, math.Float32frombits(bc), ac)
			yr[o], ir[o] = math.Float32frombits(best), arg
		}
	default:
		for o := range yr {
			j := ws + o*sw
			best, arg := uint32(noMax), int32(-1)
			for h := hs; h < hs+kh; h++ {
				row := x[h*w+j : h*w+j+kw]
				for i, v := range row {
					best, arg = maxStep(best, arg, v, int32(h*w+j+i))
				}
			}
			yr[o], ir[o] = math.Float32frombits(best), arg
		}
	}
}

// scatter is the backward pass of MAX: dx = 0, then dx[idx[o]] += dy[o].
func scatter(dy []float32, idx []int32, dx []float32) {
	clear(dx)
	for o, i := range idx {
		if i >= 0 {
			dx[i] += dy[o]
		}
	}
}

// scatterFloat is scatter with indices stored as floats (STOCHASTIC's).
func scatterFloat(dy, idx, dx []float32) {
	clear(dx)
	for o, i := range idx {
		if i >= 0 {
			dx[int(i)] += dy[o]
		}
	}
}

// aveForward: y[o] = (Σ x over window o) / pool size, Caffe's divisor. The sum starts
// from 0 and adds in scan order, as Caffe's does.
//
//	x (H, W), y (H', W')
func (g *poolGeom) aveForward(x, y []float32) {
	if g.outH*g.outW >= minPlaneAve && g.aveForwardRows(x, y, 1) {
		return
	}
	for oy := 0; oy < g.outH; oy++ {
		yr := y[oy*g.outW : (oy+1)*g.outW]
		if oy < g.inY0 || oy >= g.inY1 {
			g.aveClipped(x, oy, 0, g.outW, yr)
			continue
		}
		g.aveClipped(x, oy, 0, g.inX0, yr)
		g.aveInterior(x, oy, yr[g.inX0:g.inX1])
		g.aveClipped(x, oy, g.inX1, g.outW, yr)
	}
}

// aveClipped is aveForward of the outputs [ox0, ox1) of row oy, Caffe's loop over each
// window clipped to the image.
func (g *poolGeom) aveClipped(x []float32, oy, ox0, ox1 int, yr []float32) {
	hs, he, ph := g.rows(oy)
	for ox := ox0; ox < ox1; ox++ {
		ws, we, pw := g.cols(ox)
		var sum float32
		for h := hs; h < he; h++ {
			for _, v := range x[h*g.w+ws : h*g.w+we] {
				sum += v
			}
		}
		yr[ox] = sum / float32(ph*pw)
	}
}

// aveInterior is aveForward of the outputs [inX0, inX1) of row oy (yr), whose windows
// need no clipping and whose divisor is kh·kw; 2×2 and 3×3 are unrolled.
func (g *poolGeom) aveInterior(x []float32, oy int, yr []float32) {
	w, sw := g.w, g.strideW
	hs := oy*g.strideH - g.padH
	ws := g.inX0*sw - g.padW
	size := float32(g.kh * g.kw)
	switch {
	case g.kh == 2 && g.kw == 2:
		r0, r1 := x[hs*w:(hs+1)*w], x[(hs+1)*w:(hs+2)*w]
		for o := range yr {
			j := ws + o*sw
			a, b := r0[j:j+2], r1[j:j+2]
			var sum float32
			sum += a[0]
			sum += a[1]
			sum += b[0]
			sum += b[1]
			yr[o] = sum / size
		}
		return
	case g.kh == 3 && g.kw == 3:
		r0, r1, r2 := x[hs*w:(hs+1)*w], x[(hs+1)*w:(hs+2)*w], x[(hs+2)*w:(hs+3)*w]
		for o := range yr {
			j := ws + o*sw
			a, b, c := r0[j:j+3], r1[j:j+3], r2[j:j+3]
			var sum float32
			sum += a[0]
			sum += a[1]
			sum += a[2]
			sum += b[0]
			sum += b[1]
			sum += b[2]
			sum += c[0]
			sum += c[1]
			sum += c[2]
			yr[o] = sum / size
		}
		return
	}
	for o := range yr {
		j := ws + o*sw
		var sum float32
		for h := hs; h < hs+g.kh; h++ {
			for _, v := range x[h*w+j : h*w+j+g.kw] {
				sum += v
			}
		}
		yr[o] = sum / size
	}
}

// aveBackward: dx = 0, then every x of window o gets dy[o] / pool size, window by
// window in Caffe's order.
func (g *poolGeom) aveBackward(dy, dx []float32) {
	if g.outH*g.outW >= minPlaneAve && g.aveBackwardRows(dy, dx, 1) {
		return
	}
	clear(dx)
	for oy := 0; oy < g.outH; oy++ {
		dyr := dy[oy*g.outW : (oy+1)*g.outW]
		if oy < g.inY0 || oy >= g.inY1 {
			g.aveBackClipped(dyr, dx, oy, 0, g.outW)
			continue
		}
		g.aveBackClipped(dyr, dx, oy, 0, g.inX0)
		g.aveBackInterior(dyr[g.inX0:g.inX1], dx, oy)
		g.aveBackClipped(dyr, dx, oy, g.inX1, g.outW)
	}
}

// aveBackClipped is aveBackward of the outputs [ox0, ox1) of row oy (dyr), windows
// clipped to the image.
func (g *poolGeom) aveBackClipped(dyr, dx []float32, oy, ox0, ox1 int) {
	hs, he, ph := g.rows(oy)
	for ox := ox0; ox < ox1; ox++ {
		ws, we, pw := g.cols(ox)
		d := dyr[ox] / float32(ph*pw)
		for h := hs; h < he; h++ {
			row := dx[h*g.w+ws : h*g.w+we]
			for i := range row {
				row[i] += d
			}
		}
	}
}

// aveBackInterior is aveBackward of the outputs [inX0, inX1) of row oy (dyr), whose
// windows need no clipping; 2×2 and 3×3 are unrolled.
func (g *poolGeom) aveBackInterior(dyr, dx []float32, oy int) {
	w, sw := g.w, g.strideW
	hs := oy*g.strideH - g.padH
	ws := g.inX0*sw - g.padW
	size := float32(g.kh * g.kw)
	switch {
	case g.kh == 2 && g.kw == 2:
		r0, r1 := dx[hs*w:(hs+1)*w], dx[(hs+1)*w:(hs+2)*w]
		for o, d := range dyr {
			j := ws + o*sw
			a, b := r0[j:j+2], r1[j:j+2]
			d /= size
			a[0] += d
			a[1] += d
			b[0] += d
			b[1] += d
		}
		return
	case g.kh == 3 && g.kw == 3:
		r0, r1, r2 := dx[hs*w:(hs+1)*w], dx[(hs+1)*w:(hs+2)*w], dx[(hs+2)*w:(hs+3)*w]
		for o, d := range dyr {
			j := ws + o*sw
			a, b, c := r0[j:j+3], r1[j:j+3], r2[j:j+3]
			d /= size
			a[0] += d
			a[1] += d
			a[2] += d
			b[0] += d
			b[1] += d
			b[2] += d
			c[0] += d
			c[1] += d
			c[2] += d
		}
		return
	}
	for o, d := range dyr {
		j := ws + o*sw
		d /= size
		for h := hs; h < hs+g.kh; h++ {
			row := dx[h*w+j : h*w+j+g.kw]
			for i := range row {
				row[i] += d
			}
		}
	}
}

// stochasticWindow is the window of STOCHASTIC pooling, which has no padding (Caffe's
// CUDA kernels).
func (g *poolGeom) stochasticWindow(oy, ox int) (hs, he, ws, we int) {
	hs, ws = min(oy*g.strideH, g.h), min(ox*g.strideW, g.w)
	return hs, min(hs+g.kh, g.h), ws, min(ws+g.kw, g.w)
}

// stochasticForwardTrain samples one x of every window with probability x / Σx (the
// activations are meant to be non-negative, e.g. after a ReLU): with u the uniform
// draw in r[o], the first x at which the running sum reaches u·Σx. y[o] is that x and
// r[o] becomes its index. This is Caffe's StoPoolForwardTrain; where rounding keeps
// the running sum from reaching u·Σx (it can only with negative inputs), the last x
// of the window is taken rather than leaving y undefined.
func (g *poolGeom) stochasticForwardTrain(x, y, r []float32) {
	o := 0
	for oy := 0; oy < g.outH; oy++ {
		for ox := 0; ox < g.outW; ox++ {
			hs, he, ws, we := g.stochasticWindow(oy, ox)
			var total float32
			for h := hs; h < he; h++ {
				for _, v := range x[h*g.w+ws : h*g.w+we] {
					total += v
				}
			}
			if hs >= he || ws >= we {
				// A window past the edge (stride > kernel): nothing to sample.
				y[o], r[o] = 0, -1
				o++
				continue
			}
			thres := r[o] * total
			var cum float32
			pick := (he-1)*g.w + we - 1
		search:
			for h := hs; h < he; h++ {
				for w := ws; w < we; w++ {
					cum += x[h*g.w+w]
					if cum >= thres {
						pick = h*g.w + w
						break search
					}
				}
			}
			y[o], r[o] = x[pick], float32(pick)
			o++
		}
	}
}

// stochasticForwardTest is the expectation of the sampled value: y = Σx² / Σx, with
// FLT_MIN added to the denominator as Caffe's StoPoolForwardTest does.
func (g *poolGeom) stochasticForwardTest(x, y []float32) {
	o := 0
	for oy := 0; oy < g.outH; oy++ {
		for ox := 0; ox < g.outW; ox++ {
			hs, he, ws, we := g.stochasticWindow(oy, ox)
			sum, sq := float32(minNormalFloat32), float32(0)
			for h := hs; h < he; h++ {
				for _, v := range x[h*g.w+ws : h*g.w+we] {
					sum += v
					sq += v * v
				}
			}
			y[o] = sq / sum
			o++
		}
	}
}

// minNormalFloat32 is C's FLT_MIN, the smallest normal float32.
const minNormalFloat32 = 1.17549435e-38

// stochasticBackwardTest is the gradient of the TEST output y = Σx²/S, S = FLT_MIN + Σx:
// ∂y/∂x_i = (2x_i − y) / S. Caffe has no such pass (its backward always routes through
// the last sampled index); this one is exact, so a TEST net can be differentiated too.
func (g *poolGeom) stochasticBackwardTest(x, y, dy, dx []float32) {
	clear(dx)
	o := 0
	for oy := 0; oy < g.outH; oy++ {
		for ox := 0; ox < g.outW; ox++ {
			hs, he, ws, we := g.stochasticWindow(oy, ox)
			sum := float32(minNormalFloat32)
			for h := hs; h < he; h++ {
				for _, v := range x[h*g.w+ws : h*g.w+we] {
					sum += v
				}
			}
			d := dy[o] / sum
			for h := hs; h < he; h++ {
				for w := ws; w < we; w++ {
					dx[h*g.w+w] += d * (2*x[h*g.w+w] - y[o])
				}
			}
			o++
		}
	}
}
