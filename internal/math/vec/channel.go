package vec

import "math"

// The loops of the per-channel layers (BatchNorm, Scale, Bias, Eltwise) in the fast
// numerics: sums over a channel's plane and the passes that use them. Unlike the
// loops of vec.go these are free of Caffe's order and may fuse a multiply and an add
// into one rounding (the names say where: ScaleAdd, Affine2, AddScaled); the Go loops
// compute the same bits as the assembly all the same, fused where it fuses (fma32),
// so a run gives the same numbers with and without it.
//
// A sum runs in 32 float32 lanes, element i in lane i mod 32 (the last 8-multiple
// below 32 in lanes 0–7), each lane added in order; the lanes are then added in
// float64 in a fixed tree (lanes.total), and the elements past the last multiple of 8
// after them, in float64. A plane of a few thousand values thus adds about a hundred
// values per lane in float32, and the rest in float64.

// sumLanes is the number of float32 lanes a sum runs in.
const sumLanes = 32

// lanes holds a sum's lanes.
type lanes [sumLanes]float32

// total adds the lanes in float64 in the assembly's tree: lanes j, j+4, …, j+28
// pairwise for each j < 4 — ((l_j + l_j+4) + (l_j+8 + l_j+12)) + ((l_j+16 + l_j+20) +
// (l_j+24 + l_j+28)) — then those four as (c_0 + c_2) + (c_1 + c_3).
func (a *lanes) total() float64 {
	var c [4]float64
	for j := range c {
		d := func(k int) float64 { return float64(a[k+j]) }
		c[j] = ((d(0) + d(4)) + (d(8) + d(12))) + ((d(16) + d(20)) + (d(24) + d(28)))
	}
	return (c[0] + c[2]) + (c[1] + c[3])
}

// Sum returns Σ x[i].
func Sum(x []float32) float64 {
	n := len(x) &^ 7
	t, ok := sumAsm(x[:n])
	if !ok {
		var acc lanes
		for i, v := range x[:n] {
			acc[laneOf(i, n)] += v
		}
		t = acc.total()
	}
	for _, v := range x[n:] {
		t += float64(v)
	}
	return t
}

// SumSqDiff returns Σ (x[i] − m)², each difference rounded to float32 and its square
// added to its lane in one rounding (fused).
func SumSqDiff(x []float32, m float32) float64 {
	n := len(x) &^ 7
	t, ok := sumSqDiffAsm(x[:n], m)
	if !ok {
		var acc lanes
		for i, v := range x[:n] {
			d := v - m
			k := laneOf(i, n)
			acc[k] = fma32(d, d, acc[k])
		}
		t = acc.total()
	}
	for _, v := range x[n:] {
		d := float64(v) - float64(m)
		t += d * d
	}
	return t
}

// SumDot returns Σ x[i] and Σ x[i]·y[i] in one pass, each product added to its lane in
// one rounding (fused).
func SumDot(x, y []float32) (sum, dot float64) {
	y = y[:len(x)]
	n := len(x) &^ 7
	sum, dot, ok := sumDotAsm(x[:n], y[:n])
	if !ok {
		var sx, sxy lanes
		for i, v := range x[:n] {
			k := laneOf(i, n)
			sx[k] += v
			sxy[k] = fma32(v, y[i], sxy[k])
		}
		sum, dot = sx.total(), sxy.total()
	}
	for i, v := range x[n:] {
		sum += float64(v)
		dot += float64(v) * float64(y[n+i])
	}
	return sum, dot
}

// laneOf is the lane of element i of a sum over n elements (n a multiple of 8): i mod
// 32, but for the last n mod 32 elements, which go to lanes 0–7.
func laneOf(i, n int) int {
	if i < n&^(sumLanes-1) {
		return i % sumLanes
	}
	return i % 8
}

// ScaleAdd sets y[i] = a·x[i] + b, fused (one rounding); y may be x.
func ScaleAdd(y, x []float32, a, b float32) {
	y = y[:len(x)]
	n := scaleAddAsm(y, x, a, b)
	for i := n; i < len(x); i++ {
		y[i] = fma32(a, x[i], b)
	}
}

// SubScale sets y[i] = (x[i] − m)·s, the difference rounded before the product; y
// may be x.
func SubScale(y, x []float32, m, s float32) {
	y = y[:len(x)]
	n := subScaleAsm(y, x, m, s)
	for i := n; i < len(x); i++ {
		y[i] = (x[i] - m) * s
	}
}

// Affine2 sets z[i] = a·x[i] + (b·y[i] + c), each multiply-add fused (two roundings);
// z may be x or y.
func Affine2(z, x, y []float32, a, b, c float32) {
	y, z = y[:len(x)], z[:len(x)]
	n := affine2Asm(z, x, y, a, b, c)
	for i := n; i < len(x); i++ {
		z[i] = fma32(a, x[i], fma32(b, y[i], c))
	}
}

// AddScaled adds a·x[i] to y[i], fused (one rounding): a saxpy.
func AddScaled(y, x []float32, a float32) {
	x = x[:len(y)]
	n := addScaledAsm(y, x, a)
	for i := n; i < len(y); i++ {
		y[i] = fma32(a, x[i], y[i])
	}
}

// Div sets z[i] = x[i] / y[i]; z may be x or y. One IEEE division per element, as
// the Go loop and Caffe's caffe_div compute it: both numerics use it.
func Div(z, x, y []float32) {
	y, z = y[:len(x)], z[:len(x)]
	n := divAsm(z, x, y)
	for i := n; i < len(x); i++ {
		z[i] = x[i] / y[i]
	}
}

// DivConst sets y[i] = x[i] / d; y may be x. One IEEE division per element, as the
// Go loop computes it (a product by 1/d would round twice).
func DivConst(y, x []float32, d float32) {
	y = y[:len(x)]
	n := divConstAsm(y, x, d)
	for i := n; i < len(x); i++ {
		y[i] = x[i] / d
	}
}

// fma32 returns a·x + y rounded once to float32, as the FMA instructions compute it.
// The product of two float32 is exact in float64, and the float64 sum is made
// round-to-odd (nudged to the odd neighbour when it was rounded and is even), which
// a second rounding to float32 then rounds correctly.
func fma32(a, x, y float32) float32 {
	p := float64(a) * float64(x)
	s := p + float64(y)
	if math.IsInf(s, 0) || s != s {
		return float32(s)
	}
	// TwoSum: s + e is p + y exactly.
	bb := s - p
	e := (p - (s - bb)) + (float64(y) - bb)
	if e != 0 {
		if bits := math.Float64bits(s); bits&1 == 0 {
			if (e > 0) == (s > 0) {
				bits++
			} else {
				bits--
			}
			s = math.Float64frombits(bits)
		}
	}
	return float32(s)
}
