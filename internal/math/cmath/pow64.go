package cmath

import "math"

//go:generate go run gen_pow64.go

// Pow returns x**y exactly as glibc 2.36's pow (double precision) does on x86_64 with
// FMA (__pow_fma). C++'s std::pow with a float and an int, as in Caffe's "step", "exp"
// and "multistep" learning-rate policies (base_lr · gamma^n) and Adam's bias
// correction (β^t), promotes both to double and calls it. Go's math.Pow computes an
// integer power by repeated squaring, which is off by several ulps for large powers:
// for gamma in [0.9, 0.99999] and n up to 10⁶ it differs from glibc on about a third
// of the arguments, and on one in 40,000 the learning rate rounded to float32 differs
// too. The special cases are C's (Pow(x, ±0) = 1 and Pow(1, y) = 1 for every x and y,
// NaNs included, and so on); a finite x < 0 with a non-integer y gives the x86 default
// NaN, as glibc's does.
//
// It is Arm's optimized-routines algorithm: log(x) in double-double from a 128-entry
// table and a polynomial, y·log(x) split exactly into a sum, and e to that sum from a
// 128-entry table of 2^(i/128) and a quartic. The tables are read out of libm.so.6
// (gen_pow64.go). The disassembly of __pow_fma shows which a*b + c of the C source
// GCC fused (every one whose product has no other use, the explicit __builtin_fma
// calls aside); Pow fuses the same with math.FMA, and rounds every other product
// apart with an explicit conversion, so that a Go compiler that contracts on its own
// (GOAMD64=v3) cannot fuse more.
func Pow(x, y float64) float64 {
	ix := math.Float64bits(x)
	iy := math.Float64bits(y)
	topx, topy := ix>>52, iy>>52
	var signBias uint64
	if topx-0x001 >= 0x7ff-0x001 || topy&0x7ff-0x3be >= 0x43e-0x3be {
		// x is ±0, denormal, negative, ±Inf or NaN, or |y| < 2^-65, |y| ≥ 2^63 or
		// y is NaN.
		if zeroInfNaN64(iy) {
			switch {
			case iy<<1 == 0:
				if isSignalingNaN64(ix) {
					return addNaN(x, y)
				}
				return 1
			case ix == one64:
				if isSignalingNaN64(iy) {
					return addNaN(x, y)
				}
				return 1
			case ix<<1 > inf64<<1 || iy<<1 > inf64<<1:
				return addNaN(x, y)
			case ix<<1 == one64<<1:
				return 1 // (−1)**±Inf
			case (ix<<1 < one64<<1) == (iy>>63 == 0):
				return 0 // |x| < 1 and y = +Inf, or |x| > 1 and y = −Inf
			}
			return y * y // +Inf
		}
		if zeroInfNaN64(ix) {
			x2 := x * x
			if ix>>63 != 0 && checkInt64(iy) == 1 {
				x2 = -x2
			}
			if iy>>63 != 0 {
				return 1 / x2
			}
			return x2
		}
		// x and y are finite and non-zero.
		if ix>>63 != 0 {
			// x < 0: only an integer y gives a real result, negative for an odd y,
			// which the sign bias puts into the scale factor of expInline64.
			switch checkInt64(iy) {
			case 0:
				return math.Float64frombits(defaultNaN64) // (x−x)/(x−x)
			case 1:
				signBias = pow64SignBias
			}
			ix &^= 1 << 63
			topx &= 0x7ff
		}
		if topy&0x7ff-0x3be >= 0x43e-0x3be {
			// |y| < 2^-65 or |y| ≥ 2^63 (sign bias 0: such a y is even).
			if ix == one64 {
				return 1
			}
			if topy&0x7ff < 0x3be {
				if ix > one64 {
					return 1 + y
				}
				return 1 - y
			}
			if (ix > one64) == (topy < 0x800) {
				return math.Inf(1)
			}
			return 0
		}
		if topx == 0 {
			// A denormal x: scale it into the normal range, exactly, and take the
			// 52 back off the exponent (which makes it negative as an int).
			ix = math.Float64bits(x*0x1p52)&^(1<<63) - 52<<52
		}
	}

	hi, lo := logInline64(ix)
	ehi := float64(y * hi)
	elo := math.FMA(y, lo, math.FMA(y, hi, -ehi))
	return expInline64(ehi, elo, signBias)
}

const (
	one64        = 0x3ff0000000000000 // bits of 1.0
	inf64        = 0x7ff0000000000000 // bits of +Inf
	defaultNaN64 = 0xfff8000000000000 // the NaN an invalid SSE operation gives

	// pow64Off is the bits of about 0x1.6955p-1: arguments are reduced into
	// [pow64Off, 2·pow64Off), so that near 1 log(x) has no cancellation.
	pow64Off = 0x3fe6955500000000

	pow64LogBits = 7
	pow64LogN    = 1 << pow64LogBits
	exp64Bits    = 7
	exp64N       = 1 << exp64Bits

	// pow64SignBias, added to k in expInline64, sets the sign bit of the scale.
	pow64SignBias = 0x800 << exp64Bits
)

// zeroInfNaN64 reports whether the float64 with bits i is ±0, ±Inf or NaN.
func zeroInfNaN64(i uint64) bool { return i<<1-1 >= inf64<<1-1 }

// isSignalingNaN64 reports whether the float64 with bits i is a signaling NaN.
func isSignalingNaN64(i uint64) bool { return (i^0x0008000000000000)<<1 > 0xfff0000000000000 }

// addNaN is x + y for a NaN x or y as SSE computes it: the first NaN operand, quieted.
func addNaN(x, y float64) float64 {
	if x != x {
		return math.Float64frombits(math.Float64bits(x) | 0x0008000000000000)
	}
	if y != y {
		return math.Float64frombits(math.Float64bits(y) | 0x0008000000000000)
	}
	return x + y
}

// checkInt64 classifies the finite, non-zero float64 with bits i: 0 if it is not an
// integer, 1 if it is an odd integer and 2 if an even one.
func checkInt64(i uint64) int {
	e := i >> 52 & 0x7ff
	switch {
	case e < 0x3ff:
		return 0
	case e > 0x3ff+52:
		return 2
	case i&(1<<(0x3ff+52-e)-1) != 0:
		return 0
	case i&(1<<(0x3ff+52-e)) != 0:
		return 1
	}
	return 2
}

// logInline64 returns log(x) as hi + lo, |lo| about 2^-15 ulp of hi, for the positive
// normal x with bits ix (or a denormal scaled as Pow does it).
func logInline64(ix uint64) (hi, lo float64) {
	// x = 2^k·z with z in [pow64Off, 2·pow64Off); the table interval i holding z has
	// a c near its centre, and log(x) = k·ln2 + log(c) + log1p(z/c − 1).
	tmp := ix - pow64Off
	i := tmp >> (52 - pow64LogBits) % pow64LogN
	k := int64(tmp) >> 52
	z := math.Float64frombits(ix - tmp&(0xfff<<52))
	kd := float64(k)
	e := &pow64LogTab[i]

	// 1/c has few bits, so r = z/c − 1 is exact as one fused operation.
	r := math.FMA(z, e.invc, -1)
	t1 := math.FMA(kd, powLn2hi, e.logc)
	t2 := t1 + r
	lo1 := math.FMA(kd, powLn2lo, e.logctail)
	lo2 := t1 - t2 + r

	ar := float64(pow64A[0] * r) // A[0] = −1/2
	ar2 := float64(r * ar)
	ar3 := float64(r * ar2)
	hi = t2 + ar2
	lo3 := math.FMA(ar, r, -ar2)
	lo4 := t2 - hi + ar2
	// log1p(r) − r − A[0]·r² = ar3·(A1 + r·A2 + ar2·(A3 + r·A4 + ar2·(A5 + r·A6))),
	// added into the sum of the low parts by one more fused operation.
	p := math.FMA(ar2, math.FMA(ar2, math.FMA(r, pow64A[6], pow64A[5]), math.FMA(r, pow64A[4], pow64A[3])),
		math.FMA(r, pow64A[2], pow64A[1]))
	lo = math.FMA(ar3, p, lo1+lo2+lo3+lo4)
	y := hi + lo
	return y, hi - y + lo
}

// expInline64 returns e^(x + xtail), negated when signBias is pow64SignBias, where
// |xtail| < 2^-8/128 and |xtail| ≤ |x|.
func expInline64(x, xtail float64, signBias uint64) float64 {
	abstop := uint32(math.Float64bits(x)>>52) & 0x7ff
	const tiny, big, huge = 0x3c9, 0x408, 0x409 // the top bits of 2^-54, 512 and 1024
	if abstop-tiny >= big-tiny {
		if abstop-tiny >= 0x80000000 {
			// |x| < 2^-54: e^x rounds to 1 (or just above, by x).
			one := 1 + x
			if signBias != 0 {
				return -one
			}
			return one
		}
		if abstop >= huge {
			// Far beyond the range: overflow or underflow.
			if math.Float64bits(x)>>63 != 0 {
				return math.Copysign(0, signOf(signBias))
			}
			return math.Inf(int(signOf(signBias)))
		}
		// Large |x|: the scale may over- or underflow; see specialCase64.
		abstop = 0
	}

	// x = k·ln2/128 + r with |r| ≤ ln2/256; adding 1.5·2^52 rounds x·128/ln2 to the
	// integer k, held in kd's low mantissa bits, and glibc fuses the multiply into
	// that add.
	kd := math.FMA(exp64InvLn2N, x, exp64Shift)
	ki := math.Float64bits(kd)
	kd -= exp64Shift
	r := math.FMA(kd, exp64NegLn2loN, math.FMA(kd, exp64NegLn2hiN, x))
	r += xtail
	// 2^(k/128) ≈ scale·(1 + tail).
	idx := 2 * (ki % exp64N)
	top := (ki + signBias) << (52 - exp64Bits)
	tail := math.Float64frombits(exp64Tab[idx])
	sbits := exp64Tab[idx+1] + top
	// e^x ≈ scale + scale·(tail + e^r − 1).
	r2 := float64(r * r)
	tmp := math.FMA(float64(r2*r2), math.FMA(r, exp64C[3], exp64C[2]),
		math.FMA(r2, math.FMA(r, exp64C[1], exp64C[0]), tail+r))
	if abstop == 0 {
		return specialCase64(tmp, sbits, ki)
	}
	scale := math.Float64frombits(sbits)
	return math.FMA(scale, tmp, scale)
}

// signOf is −1 when signBias is set, 1 otherwise.
func signOf(signBias uint64) float64 {
	if signBias != 0 {
		return -1
	}
	return 1
}

// specialCase64 is scale·(1 + tmp) for a scale whose exponent (in sbits) may have
// overflowed (k > 0) or underflowed (k < 0, the low 32 bits of ki as an int).
func specialCase64(tmp float64, sbits, ki uint64) float64 {
	if ki&0x80000000 == 0 {
		// k > 0: the exponent of scale may have overflowed by up to 460.
		sbits -= 1009 << 52
		scale := math.Float64frombits(sbits)
		return 0x1p1009 * math.FMA(scale, tmp, scale)
	}
	// k < 0: the result may be denormal; round it to its precision before scaling it
	// down, to avoid rounding twice. Here glibc computes scale·tmp once and uses it
	// twice, so it is not fused.
	sbits += 1022 << 52
	scale := math.Float64frombits(sbits)
	p := float64(scale * tmp)
	y := scale + p
	if math.Abs(y) < 1 {
		one := 1.0
		if y < 0 {
			one = -1
		}
		lo := scale - y + p
		hi := one + y
		lo = one - hi + y + lo
		y = hi + lo - one
		if y == 0 {
			y = math.Float64frombits(sbits & (1 << 63))
		}
	}
	return 0x1p-1022 * y
}
