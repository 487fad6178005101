//go:build amd64 && !purego

package vec

import "github.com/gocaffe/gocaffe/internal/math/cpufeat"

// useAVX512 selects the AVX-512 pooling kernels (pool512_amd64.s, generated, and
// poolback512_amd64.s): AVX512F with the operating system's support of its
// registers. Without it AveRows, MaxRows and AveBackRows decline, and the callers'
// Go (and AVX2) loops run.
var useAVX512 = cpufeat.AVX512F

//go:generate go run gen_pool512.go

//go:noescape
func aveRowsAVX512(x *float32, w, kh, kw, sw, p0, xStep, rows, outW int, y, div *float32, masks *uint64, planes, xPlane, yPlane int, wide bool)

//go:noescape
func maxRowsAVX512(x *float32, w, kh, kw, sw, p0, xStep, rows, outW int, y *float32, idx *int32, masks *uint64, planes, xPlane, yPlane int, wide bool)

// rowCall is one call of the kernels: the planes [q0, q1), in each the rows
// [r0, r1), read wide or through masks.
type rowCall struct {
	q0, q1, r0, r1 int
	wide           bool
}

// rowCalls cuts the block b of an image lenX long into calls whose loads, where
// wide, lie inside it: a row reads from its start (p0 + r·xStep in its plane) on,
// span values. The first plane and the last, which may read before the image or
// past it, go a row at a time; the planes between, wide or not, together.
func rowCalls(lenX int, b *PoolRows) (calls [7]rowCall, n int) {
	p0, xStep := b.Hs*b.W-b.PadW, b.Sh*b.W
	span := (b.Kh-1)*b.W + ((b.OutW+15)/16-1)*16*b.Sw + b.Kw - 1 + 16*b.Sw
	inside := func(q, r int) bool {
		s := q*b.XPlane + p0 + r*xStep
		return s >= 0 && s+span <= lenX
	}
	add := func(c rowCall) {
		if c.q1 > c.q0 && c.r1 > c.r0 {
			calls[n] = c
			n++
		}
	}
	// One plane's rows: those before ra and from rb on through masks.
	plane := func(q int) {
		ra, rb := 0, b.Rows
		for ra < b.Rows && !inside(q, ra) {
			ra++
		}
		for rb > ra && !inside(q, rb-1) {
			rb--
		}
		add(rowCall{q, q + 1, 0, ra, false})
		add(rowCall{q, q + 1, ra, rb, true})
		add(rowCall{q, q + 1, rb, b.Rows, false})
	}
	plane(0)
	if b.Planes > 2 {
		add(rowCall{1, b.Planes - 1, 0, b.Rows, inside(1, 0) && inside(b.Planes-2, b.Rows-1)})
	}
	if b.Planes > 1 {
		plane(b.Planes - 1)
	}
	return calls, n
}

func aveRowsAsm(x []float32, b *PoolRows, y, div []float32, masks []uint64) bool {
	if !useAVX512 {
		return false
	}
	calls, n := rowCalls(len(x), b)
	p0, xStep := b.Hs*b.W-b.PadW, b.Sh*b.W
	for _, c := range calls[:n] {
		aveRowsAVX512(&x[c.q0*b.XPlane], b.W, b.Kh, b.Kw, b.Sw, p0+c.r0*xStep, xStep, c.r1-c.r0, b.OutW,
			&y[c.q0*b.YPlane+c.r0*b.OutW], &div[c.r0*b.OutW], &masks[0], c.q1-c.q0, b.XPlane, b.YPlane, c.wide)
	}
	return true
}

func maxRowsAsm(x []float32, b *PoolRows, y []float32, idx []int32, masks []uint64) bool {
	if !useAVX512 {
		return false
	}
	calls, n := rowCalls(len(x), b)
	p0, xStep := b.Hs*b.W-b.PadW, b.Sh*b.W
	for _, c := range calls[:n] {
		o := c.q0*b.YPlane + c.r0*b.OutW
		maxRowsAVX512(&x[c.q0*b.XPlane], b.W, b.Kh, b.Kw, b.Sw, p0+c.r0*xStep, xStep, c.r1-c.r0, b.OutW,
			&y[o], &idx[o], &masks[0], c.q1-c.q0, b.XPlane, b.YPlane, c.wide)
	}
	return true
}

//go:noescape
func aveBackAVX512(dy, div, dx *float32, w, h, outW, n, chunks, taps int, table, hrows *int32, planes, xPlane, yPlane int, buf *float32)

// backBuf is the room aveBackAsm has for a plane's d (and the 32 values a chunk
// reads from its last row's base).
const backBuf = 1024

func aveBackAsm(dy, div, dx []float32, b *PoolBack, table []int32, taps int, hrows []int32) bool {
	n := b.OutH * b.OutW
	if !useAVX512 || (n+15)&^15+32 > backBuf {
		return false
	}
	var buf [backBuf]float32
	aveBackAVX512(&dy[0], &div[0], &dx[0], b.W, b.XPlane/b.W, b.OutW, n, (b.W+15)/16, taps, &table[0], &hrows[0],
		b.Planes, b.XPlane, b.YPlane, &buf[0])
	return true
}
