package cmath

import "math"

// PowfScale sets out[i] = Powf(s[i], y) · x[i], each power glibc's powf to the bit and
// the product rounded to float32: LRN's output and gradient, y = −β, as Caffe's
// caffe_powx then caffe_mul compute them. Where the CPU has AVX2 and FMA, four powers
// at a time go through powfScaleAVX2 — the same operations as Powf's main
// path, fused as it fuses them, so the same bits — and every lane that needs one of
// Powf's special cases (s not a positive normal float, y zero or not finite, a
// result near the float32 range) goes through Powf itself.
func PowfScale(out, s, x []float32, y float32) {
	out, x = out[:len(s)], x[:len(s)]
	iy := math.Float32bits(y)
	for i := 0; i < len(s); {
		if !zeroInfNaN(iy) {
			i += powfScaleAsm(out[i:], s[i:], x[i:], y)
		}
		if i < len(s) {
			// A lane the assembly left (or none ran): this one by Powf.
			out[i] = Powf(s[i], y) * x[i]
			i++
		}
	}
}
