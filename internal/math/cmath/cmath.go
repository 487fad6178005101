// Package cmath computes float32 exp, log and pow, and double pow, exactly as the C
// library Caffe runs on does: glibc 2.36's expf, logf, powf and pow on x86_64, in the
// variants glibc selects on a CPU with FMA (__expf_fma, __logf_fma, __powf_fma,
// __pow_fma). C++'s std::exp, std::log and std::pow on floats are the first three, and
// std::pow of a float to an int power is the last, so Caffe's softmax, its losses, its
// learning-rate policies and every other exp, log or pow it takes round the way these
// do. Expf and Logf are in this file, Powf in pow.go and Pow in pow64.go; Tanhf
// (tanh.go) is glibc's tanhf, FDLIBM's, for Caffe's TanH layer (equal on all 2^32
// inputs).
//
// Bit-exactness matters because training is chaotic: a result one ulp away from
// glibc's, as float32(math.Exp(float64(x))) is for some x, changes Caffe's training
// log within a few iterations. Expf and Logf agree bit for bit with the real library
// on all 2^32 float32 inputs, the NaN payloads of NaN results included.
//
// Both functions are glibc's algorithms, which come from Arm's optimized-routines:
// a table lookup, a short polynomial in float64 and one rounding to float32. The FMA
// variants were compiled with floating-point contraction, and the disassembly of
// libm.so.6 shows that every a*b + c of the C source became a fused multiply-add:
// five in each function. The code below fuses the same five, with math.FMA, which
// rounds once on every platform. Only one of the ten decides any result: Expf's
// r = x·N/ln2 − k, which unfused changes two of the 2^32 results (see Expf); the
// others, unfused one at a time (or all at once, for Logf), change none. The products
// that glibc does not fuse stand alone, so a Go compiler that contracts a*b + c
// itself (as it does for GOAMD64=v3) cannot change them.
package cmath

import "math"

// Expf returns e^x rounded to float32 exactly as glibc 2.36's expf does on x86_64 with
// FMA: +Inf above 0x1.62e42ep6 (≈ 88.72), 0 below −0x1.9fe368p6 (≈ −103.97), the
// smallest denormal just above that, Expf(±0) = 1, Expf(−Inf) = 0, Expf(+Inf) = +Inf
// and a NaN for a NaN.
func Expf(x float32) float32 {
	ix := math.Float32bits(x)
	// The top 12 bits of a float32 above 0x42a mean |x| ≥ 88: overflow, underflow
	// or a special value. Every smaller |x|, denormal results included, takes the
	// main path.
	if abstop := ix >> 20 & 0x7ff; abstop >= 0x42b {
		switch {
		case ix == 0xff800000: // −Inf
			return 0
		case abstop >= 0x7f8: // +Inf or NaN: x+x keeps +Inf and quiets a NaN, as C's does
			return x + x
		case x > expOverflow:
			return float32(math.Inf(1))
		case x < expUnderflow:
			return 0
		case x < expMayUnderflow:
			// glibc returns 0x1.4p-75f², which rounds to the smallest denormal,
			// rather than run the polynomial for e^x in (2^-150, 2^-149].
			return math.Float32frombits(1)
		}
	}

	// x·N/ln2 = k + r with integer k and |r| ≤ 1/2, so e^x = 2^(k/N)·2^(r/N).
	// Adding 1.5·2^52 rounds x·N/ln2 to an integer (ties to even) that then sits
	// in the low mantissa bits of kd; glibc fuses the multiply into that add, and
	// into the subtraction giving r, so both see the exact product. The fused r
	// matters: with x·N/ln2 rounded first, Expf(0x1.04845ep5) and
	// Expf(-0x1.f8cbb2p5) would be one ulp off.
	xd := float64(x)
	kd := math.FMA(invLn2N, xd, expShift)
	ki := math.Float64bits(kd)
	kd -= expShift
	r := math.FMA(invLn2N, xd, -kd)

	// s = 2^(k/N): the table holds 2^(i/N) for i = k mod N, with i<<47 already
	// taken out of each entry so that adding k<<47 (mod 2^64, which carries the
	// integer part of k/N into the exponent field) restores it.
	s := math.Float64frombits(expTab[ki%expN] + ki<<(52-expTableBits))

	// 2^(r/N) ≈ C0·r³ + C1·r² + C2·r + 1, evaluated as glibc's FMA build does.
	z := math.FMA(expC[0], r, expC[1])
	r2 := r * r
	y := math.FMA(expC[2], r, 1)
	y = math.FMA(z, r2, y)
	return float32(y * s)
}

// Logf returns the natural logarithm of x rounded to float32 exactly as glibc 2.36's
// logf does on x86_64 with FMA: Logf(1) = +0, Logf(±0) = −Inf, Logf(+Inf) = +Inf, and
// a NaN for a NaN or any x < 0.
func Logf(x float32) float32 {
	ix := math.Float32bits(x)
	if ix == 0x3f800000 {
		// log(1) is +0 in every rounding mode; glibc returns it up front.
		return 0
	}
	if ix-0x00800000 >= 0x7f800000-0x00800000 {
		// x is below the smallest normal (zero, denormal or negative), +Inf or NaN.
		switch {
		case ix<<1 == 0:
			return float32(math.Inf(-1))
		case ix == 0x7f800000:
			return x
		case ix&0x80000000 != 0 || ix<<1 >= 0xff000000:
			// (x−x)/(x−x), as glibc computes it: the default NaN for x < 0 and
			// the quieted NaN for a NaN.
			d := x - x
			return d / d
		}
		// A positive denormal: scale it into the normal range, exactly, and take
		// the 23 back off the exponent.
		ix = math.Float32bits(x*0x1p23) - 23<<23
	}

	// x = 2^k·z with z in [logOff, 2·logOff) as a float32, exact. The interval
	// is split into logN pieces by z's top mantissa bits; piece i has a c near its
	// centre, with 1/c and log(c) in the table.
	tmp := ix - logOff
	i := tmp >> (23 - logTableBits) % logN
	k := int32(tmp) >> 23 // arithmetic shift: k is negative below logOff
	iz := ix - tmp&0xff800000
	e := &logTab[i]
	z := float64(math.Float32frombits(iz))

	// log(x) = log1p(z/c − 1) + log(c) + k·ln2, with r = z/c − 1 computed as one
	// fused z·(1/c) − 1, so r is the exact product rounded once.
	r := math.FMA(z, e.invc, -1)
	y0 := math.FMA(float64(k), ln2, e.logc)

	// log1p(r) ≈ r + A2·r² + A1·r³ + A0·r⁴, in glibc's pipelined order.
	r2 := r * r
	y := math.FMA(logA[1], r, logA[2])
	y = math.FMA(logA[0], r2, y)
	y = math.FMA(y, r2, y0+r)
	return float32(y)
}

// Limits of expf's main path, as float32: e^x overflows above expOverflow
// (log(2^128)), rounds to 0 below expUnderflow (log(2^-150)) and to the smallest
// denormal below expMayUnderflow (log(2^-149)).
const (
	expOverflow     float32 = 0x1.62e42ep6
	expUnderflow    float32 = -0x1.9fe368p6
	expMayUnderflow float32 = -0x1.9d1d9ep6
)

const (
	expTableBits = 5
	expN         = 1 << expTableBits

	// invLn2N is N/ln2, rounded to float64.
	invLn2N = 0x1.71547652b82fep+0 * expN

	// expShift is 1.5·2^52: adding it to a float64 of magnitude below 2^51 rounds
	// it to an integer held in the low mantissa bits.
	expShift = 0x1.8p+52
)

// expC are the polynomial coefficients for 2^(r/N) − 1 in r, highest degree first:
// those of 2^r scaled by N^-3, N^-2, N^-1. Each is an exact power-of-two scaling of
// glibc's, so the float64 values are the ones in libm's table.
var expC = [3]float64{
	0x1.c6af84b912394p-5 / expN / expN / expN,
	0x1.ebfce50fac4f3p-3 / expN / expN,
	0x1.62e42ff0c52d6p-1 / expN,
}

// expTab[i] is the bit pattern of 2^(i/N) (rounded to float64) minus i<<47; see Expf.
var expTab = [expN]uint64{
	0x3ff0000000000000, 0x3fefd9b0d3158574, 0x3fefb5586cf9890f, 0x3fef9301d0125b51,
	0x3fef72b83c7d517b, 0x3fef54873168b9aa, 0x3fef387a6e756238, 0x3fef1e9df51fdee1,
	0x3fef06fe0a31b715, 0x3feef1a7373aa9cb, 0x3feedea64c123422, 0x3feece086061892d,
	0x3feebfdad5362a27, 0x3feeb42b569d4f82, 0x3feeab07dd485429, 0x3feea47eb03a5585,
	0x3feea09e667f3bcd, 0x3fee9f75e8ec5f74, 0x3feea11473eb0187, 0x3feea589994cce13,
	0x3feeace5422aa0db, 0x3feeb737b0cdc5e5, 0x3feec49182a3f090, 0x3feed503b23e255d,
	0x3feee89f995ad3ad, 0x3feeff76f2fb5e47, 0x3fef199bdd85529c, 0x3fef3720dcef9069,
	0x3fef5818dcfba487, 0x3fef7c97337b9b5f, 0x3fefa4afa2a490da, 0x3fefd0765b6e4540,
}

const (
	logTableBits = 4
	logN         = 1 << logTableBits

	// logOff is the float32 bit pattern of 0x1.66p-1 ≈ 0.7: reduced arguments lie in
	// [0.7, 1.4), so log(z) is small near 1 on both sides.
	logOff = 0x3f330000

	// ln2 is ln(2) rounded to float64.
	ln2 = 0x1.62e42fefa39efp-1
)

// logA are the polynomial coefficients of log1p(r) − r, highest degree first
// (r⁴, r³, r²).
var logA = [3]float64{-0x1.00ea348b88334p-2, 0x1.5575b0be00b6ap-2, -0x1.ffffef20a4123p-2}

// logTab holds, for each of the logN subintervals of [logOff, 2·logOff), 1/c and
// log(c) for a c near its centre, both rounded to float64. Entry 9 is c = 1 exactly,
// so that log of numbers just above 1 has no table error.
var logTab = [logN]struct{ invc, logc float64 }{
	{0x1.661ec79f8f3bep+0, -0x1.57bf7808caadep-2},
	{0x1.571ed4aaf883dp+0, -0x1.2bef0a7c06ddbp-2},
	{0x1.49539f0f010bp+0, -0x1.01eae7f513a67p-2},
	{0x1.3c995b0b80385p+0, -0x1.b31d8a68224e9p-3},
	{0x1.30d190c8864a5p+0, -0x1.6574f0ac07758p-3},
	{0x1.25e227b0b8eap+0, -0x1.1aa2bc79c81p-3},
	{0x1.1bb4a4a1a343fp+0, -0x1.a4e76ce8c0e5ep-4},
	{0x1.12358f08ae5bap+0, -0x1.1973c5a611cccp-4},
	{0x1.0953f419900a7p+0, -0x1.252f438e10c1ep-5},
	{0x1p+0, 0x0p+0},
	{0x1.e608cfd9a47acp-1, 0x1.aa5aa5df25984p-5},
	{0x1.ca4b31f026aap-1, 0x1.c5e53aa362eb4p-4},
	{0x1.b2036576afce6p-1, 0x1.526e57720db08p-3},
	{0x1.9c2d163a1aa2dp-1, 0x1.bc2860d22477p-3},
	{0x1.886e6037841edp-1, 0x1.1058bc8a07ee1p-2},
	{0x1.767dcf5534862p-1, 0x1.4043057b6ee09p-2},
}
