package cmath

import "math"

// Powf returns x**y rounded to float32 exactly as glibc 2.36's powf does on x86_64 with
// FMA (__powf_fma). Caffe's "inv" and "poly" learning-rate policies call it, through
// std::pow on two floats. The special cases are C's: Powf(x, ±0) = 1 and Powf(1, y) = 1
// for every x and y, NaNs included; Powf(x, y) is a NaN for a NaN x or y otherwise, and
// for a finite x < 0 with a non-integer y; a negative x (−0 and −Inf included) to an odd
// integer y gives a negative result; Powf(±0, y < 0) is an infinity; Powf(−1, ±Inf) = 1;
// and results beyond the float32 range become ±Inf or ±0.
//
// Like Expf and Logf it is Arm's optimized-routines algorithm: log2(x) in float64 from
// a table and a polynomial, y·log2(x), and 2^(y·log2(x)) from expf's table and a cubic,
// rounded once to float32. The disassembly of libm.so.6 shows that glibc's FMA build
// fused every a*b + c of that source, nine in all (six in log2Inline, three in
// exp2Inline), and Powf fuses the same nine with math.FMA. None of them decided any of
// the 529 million results Powf was checked on, fused or not, one at a time or all at
// once: the float64 intermediate carries far more bits than the float32 result needs.
// They are fused anyway, so that the rare input where one does decide rounds as glibc's.
func Powf(x, y float32) float32 {
	ix := math.Float32bits(x)
	iy := math.Float32bits(y)
	var signBias uint64
	if ix-0x00800000 >= 0x7f800000-0x00800000 || zeroInfNaN(iy) {
		// x is below the smallest normal (zero, denormal or negative), +Inf or
		// NaN, or y is ±0, ±Inf or NaN.
		if zeroInfNaN(iy) {
			switch {
			case iy<<1 == 0:
				// C defines x**0 = 1 for every x, a quiet NaN included. glibc
				// would return x + y for a signaling NaN x; Go does not keep
				// signaling NaNs apart, and the result is a NaN either way.
				if isSignalingNaN(ix) {
					return x + y
				}
				return 1
			case ix == 0x3f800000:
				if isSignalingNaN(iy) {
					return x + y
				}
				return 1
			case ix<<1 > 0x7f800000<<1 || iy<<1 > 0x7f800000<<1:
				return x + y
			case ix<<1 == 0x3f800000<<1:
				return 1 // (−1)**±Inf
			case (ix<<1 < 0x3f800000<<1) == (iy&0x80000000 == 0):
				return 0 // |x| < 1 and y = +Inf, or |x| > 1 and y = −Inf
			}
			return y * y // +Inf
		}
		if zeroInfNaN(ix) {
			// x is ±0, ±Inf or NaN and y finite, not zero: the result is x²
			// or 1/x², with x's sign if y is an odd integer.
			x2 := x * x
			if ix&0x80000000 != 0 && checkInt(iy) == 1 {
				x2 = -x2
			}
			if iy&0x80000000 != 0 {
				return 1 / x2
			}
			return x2
		}
		// x and y are finite and non-zero.
		if ix&0x80000000 != 0 {
			// x < 0: only an integer y gives a real result, negative for an
			// odd y, which the sign bias puts into exp2's scale factor.
			switch checkInt(iy) {
			case 0:
				// (x−x)/(x−x), as glibc computes it: the default NaN.
				d := x - x
				return d / d
			case 1:
				signBias = powSignBias
			}
			ix &= 0x7fffffff
		}
		if ix < 0x00800000 {
			// A denormal |x|: scale it into the normal range, exactly, and take
			// the 23 back off the exponent (which makes it negative as an int).
			ix = math.Float32bits(x*0x1p23)&0x7fffffff - 23<<23
		}
	}

	logx := log2Inline(ix)
	ylogx := float64(y) * logx // cannot overflow: |y| < 2^128 and |log2(x)| < 150
	// The top 16 bits of |ylogx| at or above 126's mean |x^y| is near or beyond the
	// float32 range (or a denormal): decide overflow and underflow up front.
	if math.Float64bits(ylogx)>>47&0xffff >= math.Float64bits(126)>>47 {
		switch {
		case ylogx > 0x1.fffffffd1d571p+6:
			// |x^y| > 0x1.ffffffp127, which rounds to infinity.
			if signBias != 0 {
				return float32(math.Inf(-1))
			}
			return float32(math.Inf(1))
		case ylogx <= -150:
			if signBias != 0 {
				return float32(math.Copysign(0, -1))
			}
			return 0
		case ylogx < -149:
			// glibc returns ±0x1.4p-75f², which rounds to the smallest
			// denormal, rather than run the polynomial.
			if signBias != 0 {
				return -math.Float32frombits(1)
			}
			return math.Float32frombits(1)
		}
		// Between 0x1.fffffffa3aae2p+6 and 0x1.fffffffd1d571p+6 glibc checks
		// whether the rounding mode rounds away from zero; in the default mode
		// it does not, and the main path below rounds the result itself.
	}
	return exp2Inline(ylogx, signBias)
}

// powSignBias, added to k in exp2Inline, sets the sign bit of the scale factor
// 2^(k/N), making the result negative.
const powSignBias = 1 << (expTableBits + 11)

// zeroInfNaN reports whether the float32 with bits i is ±0, ±Inf or NaN.
func zeroInfNaN(i uint32) bool {
	return i<<1-1 >= 0x7f800000<<1-1
}

// isSignalingNaN reports whether the float32 with bits i is a signaling NaN.
func isSignalingNaN(i uint32) bool {
	return (i^0x00400000)<<1 > 0x7fc00000<<1
}

// checkInt classifies the finite, non-zero float32 with bits i: 0 if it is not an
// integer, 1 if it is an odd integer and 2 if an even one.
func checkInt(i uint32) int {
	e := i >> 23 & 0xff
	switch {
	case e < 0x7f:
		return 0 // |y| < 1
	case e > 0x7f+23:
		return 2 // no fraction bits, and the lowest mantissa bit is worth ≥ 2
	case i&(1<<(0x7f+23-e)-1) != 0:
		return 0
	case i&(1<<(0x7f+23-e)) != 0:
		return 1
	}
	return 2
}

// log2Inline returns log2 of the positive normal float32 (or, for a scaled denormal,
// the pattern Powf made of it) with bits ix, in float64.
func log2Inline(ix uint32) float64 {
	// x = 2^k·z with z in [logOff, 2·logOff), as in Logf, with the same 16 table
	// intervals and the same 1/c; the table's second column is log2(c).
	tmp := ix - logOff
	i := tmp >> (23 - powLogTableBits) % powLogN
	top := tmp & 0xff800000
	k := int32(top) >> 23 // arithmetic shift: k is negative below logOff
	e := &powLogTab[i]
	z := float64(math.Float32frombits(ix - top))

	// log2(x) = log1p(z/c − 1)/ln2 + log2(c) + k, with r = z/c − 1 as one fused
	// z·(1/c) − 1, so the product is rounded only once.
	r := math.FMA(z, e.invc, -1)
	y0 := e.logc + float64(k)

	// log1p(r)/ln2 ≈ A0·r⁵ + A1·r⁴ + A2·r³ + A3·r² + A4·r + y0, in glibc's
	// pipelined order, with each a*b + c fused as glibc's FMA build fuses it.
	r2 := r * r
	y := math.FMA(powLogA[0], r, powLogA[1])
	p := math.FMA(powLogA[2], r, powLogA[3])
	r4 := r2 * r2
	q := math.FMA(powLogA[4], r, y0)
	q = math.FMA(p, r2, q)
	return math.FMA(y, r4, q)
}

// exp2Inline returns 2^xd rounded to float32, negated if signBias is powSignBias, for
// |xd| < 150 or so (Powf has handled everything beyond).
func exp2Inline(xd float64, signBias uint64) float32 {
	// xd = k/N + r with |r| ≤ 1/(2N): adding 1.5·2^52/N rounds xd·N to an integer
	// (ties to even) held in the low mantissa bits of kd. No multiply is involved,
	// so there is nothing to fuse.
	kd := xd + exp2Shift
	ki := math.Float64bits(kd)
	kd -= exp2Shift
	r := xd - kd

	// s = ±2^(k/N) from expf's table, as in Expf; the sign bias carries into
	// bit 63 after the shift.
	s := math.Float64frombits(expTab[ki%expN] + (ki+signBias)<<(52-expTableBits))

	// 2^r ≈ C0·r³ + C1·r² + C2·r + 1, with the coefficients of 2^r itself (Expf's
	// expC are these scaled for its r in units of 1/N).
	z := math.FMA(exp2C[0], r, exp2C[1])
	r2 := r * r
	y := math.FMA(exp2C[2], r, 1)
	y = math.FMA(z, r2, y)
	return float32(y * s)
}

const (
	powLogTableBits = 4
	powLogN         = 1 << powLogTableBits

	// exp2Shift is 1.5·2^52/N: adding it to a float64 of magnitude below 2^46
	// rounds it to a multiple of 1/N held in the low mantissa bits.
	exp2Shift = 0x1.8p+52 / expN
)

// exp2C are the coefficients of 2^r − 1 in r, highest degree first; the float64
// values in libm's __exp2f_data.poly.
var exp2C = [3]float64{0x1.c6af84b912394p-5, 0x1.ebfce50fac4f3p-3, 0x1.62e42ff0c52d6p-1}

// powLogA are the coefficients of log1p(r)/ln2 in r, highest degree (r⁵) first, as
// read out of libm's __powf_log2_data.poly.
var powLogA = [5]float64{
	0x1.27616c9496e0bp-2, -0x1.71969a075c67ap-2, 0x1.ec70a6ca7baddp-2,
	-0x1.7154748bef6c8p-1, 0x1.71547652ab82bp+0,
}

// powLogTab holds, for each of the 16 subintervals of [logOff, 2·logOff), 1/c and
// log2(c), both rounded to float64, as read out of libm's __powf_log2_data.tab, in
// the layout powscale_amd64.s reads. The 1/c are logTab's (glibc's logf and powf
// share them); entry 9 is c = 1, so that log2 of numbers just above 1 has no table
// error.
var powLogTab = func() (t [powLogN]struct{ invc, logc float64 }) {
	for i := range t {
		t[i].invc, t[i].logc = logTab[i].invc, powLog2c[i]
	}
	return t
}()

// powLog2c are powLogTab's log2(c).
var powLog2c = [powLogN]float64{
	-0x1.efec65b963019p-2, -0x1.b0b6832d4fca4p-2, -0x1.7418b0a1fb77bp-2, -0x1.39de91a6dcf7bp-2,
	-0x1.01d9bf3f2b631p-2, -0x1.97c1d1b3b7afp-3, -0x1.2f9e393af3c9fp-3, -0x1.960cbbf788d5cp-4,
	-0x1.a6f9db6475fcep-5, 0x0p+0, 0x1.338ca9f24f53dp-4, 0x1.476a9543891bap-3,
	0x1.e840b4ac4e4d2p-3, 0x1.40645f0c6651cp-2, 0x1.88e9c2c1b9ff8p-2, 0x1.ce0a44eb17bccp-2,
}
