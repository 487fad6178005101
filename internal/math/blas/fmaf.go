package blas

import "math"

// fmaf returns a·b + c rounded once to float32, as VFMADD computes it. Where the
// CPU's instruction is not at hand, the float64 product is exact (two 24-bit
// significands), but rounding the float64 sum to float32 would round twice; that
// differs from one rounding only when the float64 sum lands exactly halfway between
// two float32s while the exact sum does not, and the error of the float64 sum,
// exact by Knuth's two-sum, says which way to go.
func fmaf(a, b, c float32) float32 {
	if b == 1 {
		return a + c // a·1 is exact: one float32 addition rounds once
	}
	p := float64(a) * float64(b)
	cc := float64(c)
	s := p + cc
	r := float32(s)
	if float64(r) == s || math.IsInf(s, 0) || math.IsNaN(s) {
		return r
	}
	bb := s - p
	e := (p - (s - bb)) + (cc - bb)
	if e == 0 {
		return r
	}
	// r is the float32 nearest s; o the float32 on s's other side.
	o := math.Nextafter32(r, float32(math.Inf(1)))
	if float64(r) > s {
		o = math.Nextafter32(r, float32(math.Inf(-1)))
	}
	lo, hi := min(r, o), max(r, o)
	flo, fhi := float64(lo), float64(hi)
	if math.IsInf(fhi, 1) {
		fhi = 0x1p128 // the float32 past the largest, had the exponent room
	}
	if math.IsInf(flo, -1) {
		flo = -0x1p128
	}
	if s != flo/2+fhi/2 {
		return r
	}
	if e > 0 {
		return hi
	}
	return lo
}
