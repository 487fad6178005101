package cmath

import "math"

// Tanhf and expm1f are glibc 2.36's tanhf and expm1f (sysdeps/ieee754/flt-32), which
// are FDLIBM's float versions and have no FMA variants on x86_64: every operation is
// one float32 operation, rounded on its own. They are derived from FDLIBM, whose
// notice follows.
//
// ====================================================
// Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
//
// Developed at SunPro, a Sun Microsystems, Inc. business.
// Permission to use, copy, modify, and distribute this
// software is freely granted, provided that this notice
// is preserved.
// ====================================================

// Tanhf returns tanh(x) rounded to float32 exactly as glibc 2.36's tanhf does: C++'s
// std::tanh on a float, Caffe's TanH layer. Tanhf(±0) = ±0, Tanhf(±Inf) = ±1, a NaN
// for a NaN, and ±1 for |x| ≥ 22.
func Tanhf(x float32) float32 {
	jx := math.Float32bits(x)
	ix := jx & 0x7fffffff
	if ix >= 0x7f800000 {
		// 1/x ± 1: ±1 for ±Inf, a NaN for a NaN.
		if jx>>31 == 0 {
			return 1/x + 1
		}
		return 1/x - 1
	}
	var z float32
	switch {
	case ix == 0:
		return x // ±0
	case ix < 0x24000000:
		// |x| < 2^-55: tanh(x) = x, rounded as x·(1 + x).
		return x * (1 + x)
	case ix >= 0x41b00000:
		// |x| ≥ 22: ±1 (1 − 1e-30 rounds to 1).
		z = 1 - 1e-30
	case ix >= 0x3f800000:
		// |x| ≥ 1: 1 − 2/(e^2|x| + 1).
		t := expm1f(2 * abs32(x))
		z = 1 - 2/(t+2)
	default:
		t := expm1f(-2 * abs32(x))
		z = -t / (t + 2)
	}
	if jx>>31 != 0 {
		return -z
	}
	return z
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// The constants of expm1f, as float32.
const (
	expm1Huge      float32 = 1.0e+30
	expm1Tiny      float32 = 1.0e-30
	expm1Threshold float32 = 8.8721679688e+01 // 0x42b17180
	expm1Ln2Hi     float32 = 6.9313812256e-01 // 0x3f317180
	expm1Ln2Lo     float32 = 9.0580006145e-06 // 0x3717f7d1
	expm1InvLn2    float32 = 1.4426950216e+00 // 0x3fb8aa3b

	// Scaled coefficients related to expm1.
	expm1Q1 float32 = -3.3333335072e-02 // 0xbd088889
	expm1Q2 float32 = 1.5873016091e-03  // 0x3ad00d01
	expm1Q3 float32 = -7.9365076090e-05 // 0xb8a670cd
	expm1Q4 float32 = 4.0082177293e-06  // 0x36867e54
	expm1Q5 float32 = -2.0109921195e-07 // 0xb457edbb
)

// expm1f is glibc's expm1f: e^x − 1 rounded to float32. Products are rounded apart
// (float32 conversions), as C computes them without FMA.
func expm1f(x float32) float32 {
	hx := math.Float32bits(x)
	neg := hx>>31 != 0
	hx &= 0x7fffffff

	// Huge and non-finite arguments.
	if hx >= 0x4195b844 { // |x| ≥ 27·ln2
		if hx >= 0x42b17218 { // |x| ≥ 88.721...
			if hx > 0x7f800000 {
				return x + x // NaN
			}
			if hx == 0x7f800000 {
				if !neg {
					return x
				}
				return -1
			}
			if x > expm1Threshold {
				return float32(math.Inf(1)) // huge·huge
			}
		}
		if neg {
			return expm1Tiny - 1 // x < −27·ln2: −1
		}
	}

	// Argument reduction: x = k·ln2 + (hi − lo), c the rounding error of hi − lo.
	var hi, lo, c float32
	var k int32
	switch {
	case hx > 0x3eb17218: // |x| > 0.5·ln2
		if hx < 0x3f851592 { // and |x| < 1.5·ln2
			if !neg {
				hi, lo, k = x-expm1Ln2Hi, expm1Ln2Lo, 1
			} else {
				hi, lo, k = x+expm1Ln2Hi, -expm1Ln2Lo, -1
			}
		} else {
			half := float32(0.5)
			if neg {
				half = -0.5
			}
			k = int32(float32(expm1InvLn2*x) + half)
			t := float32(k)
			hi = x - float32(t*expm1Ln2Hi) // t·ln2_hi is exact here
			lo = float32(t * expm1Ln2Lo)
		}
		x = hi - lo
		c = (hi - x) - lo
	case hx < 0x33000000: // |x| < 2^-25: x itself
		t := expm1Huge + x
		return x - (t - (expm1Huge + x))
	}

	// x is now in the primary range.
	hfx := float32(0.5 * x)
	hxs := float32(x * hfx)
	p := expm1Q4 + float32(hxs*expm1Q5)
	p = expm1Q3 + float32(hxs*p)
	p = expm1Q2 + float32(hxs*p)
	p = expm1Q1 + float32(hxs*p)
	r1 := 1 + float32(hxs*p)
	t := 3 - float32(r1*hfx)
	e := float32(hxs * ((r1 - t) / (6 - float32(x*t))))
	if k == 0 {
		return x - (float32(x*e) - hxs) // c is 0
	}
	e = float32(x*(e-c)) - c
	e -= hxs
	switch {
	case k == -1:
		return float32(0.5*(x-e)) - 0.5
	case k == 1:
		if x < -0.25 {
			return -2 * (e - (x + 0.5))
		}
		return 1 + float32(2*(x-e))
	case k <= -2 || k > 56:
		// Enough to return e^x − 1.
		y := 1 - (e - x)
		y = math.Float32frombits(math.Float32bits(y) + uint32(k)<<23) // add k to y's exponent
		return y - 1
	}
	var y float32
	if k < 23 {
		t := math.Float32frombits(0x3f800000 - 0x1000000>>k) // 1 − 2^-k
		y = t - (e - x)
	} else {
		t := math.Float32frombits(uint32(0x7f-k) << 23) // 2^-k
		y = x - (e + t)
		y++
	}
	return math.Float32frombits(math.Float32bits(y) + uint32(k)<<23) // add k to y's exponent
}
