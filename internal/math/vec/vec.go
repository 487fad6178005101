// Package vec is gocaffe's elementwise arithmetic on float32 slices: the loops of the
// activations, the per-channel layers and the sums of gradients, in AVX2 assembly
// where the CPU has it and in Go elsewhere. Every function computes each element on
// its own, with the same rounding in assembly and in Go (no multiply-add is fused
// unless the name says so), so both numerics use them: the bits are the Go loops',
// and the Go loops are Caffe's.
package vec

import "math"

// AddConst adds b to every element of x.
func AddConst(x []float32, b float32) {
	n := addConstAsm(x, b)
	for i := n; i < len(x); i++ {
		x[i] += b
	}
}

// Scale sets y[i] = a·x[i]; y may be x.
func Scale(y, x []float32, a float32) {
	y = y[:len(x)]
	n := scaleAsm(y, x, a)
	for i := n; i < len(x); i++ {
		y[i] = a * x[i]
	}
}

// Add sets z[i] = x[i] + y[i]; z may be x or y.
func Add(z, x, y []float32) {
	y, z = y[:len(x)], z[:len(x)]
	n := addAsm(z, x, y)
	for i := n; i < len(x); i++ {
		z[i] = x[i] + y[i]
	}
}

// Relu sets y = max(x, 0) + slope·min(x, 0), Caffe's ReLU with negative_slope, to
// the bit: max and min as C++'s std::max and std::min (a NaN passes, and −0 is
// kept against 0), the product rounded before the sum (so a negative x with slope 0
// gives +0, 0 + (−0)). y may be x.
func Relu(y, x []float32, slope float32) {
	y = y[:len(x)]
	n := reluAsm(y, x, slope)
	for i := n; i < len(x); i++ {
		v := x[i]
		hi := pick(v < 0, 0, v) // std::max(v, 0)
		lo := pick(0 < v, 0, v) // std::min(v, 0)
		y[i] = hi + float32(slope*lo)
	}
}

// ReluGrad sets dx = dy·((x > 0) + slope·(x ≤ 0)), the gradient of Relu as Caffe
// computes it, given Relu's input (or its output, which has the input's sign): dy
// where x > 0, slope·dy where x ≤ 0, and dy·0 where x is NaN. dx may be dy or x.
func ReluGrad(dx, x, dy []float32, slope float32) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	// Caffe's factor (x > 0) + slope·(x ≤ 0) takes three values; computed as Caffe
	// computes them they are 1, slope and 0 but for an infinite slope (NaN in two).
	zero, one := float32(0), float32(1)
	f := [3]float32{one + slope*zero, zero + slope*one, zero + slope*zero} // x > 0, x ≤ 0, NaN
	n := reluGradAsm(dx, x, dy, &f)
	for i := n; i < len(x); i++ {
		v := x[i]
		dx[i] = dy[i] * pick(v > 0, f[0], pick(v <= 0, f[1], f[2]))
	}
}

// Mul sets z[i] = x[i]·y[i]; z may be x or y.
func Mul(z, x, y []float32) {
	y, z = y[:len(x)], z[:len(x)]
	n := mulAsm(z, x, y)
	for i := n; i < len(x); i++ {
		z[i] = x[i] * y[i]
	}
}

// AddQuotient adds sign·(a·b/c) to acc, sign +1 or −1: each product and quotient
// rounded, as the Go expression acc[i] += sign * (a[i] * b[i] / c[i]) is.
func AddQuotient(acc, a, b, c []float32, sign float32) {
	a, b, c = a[:len(acc)], b[:len(acc)], c[:len(acc)]
	if sign != 1 && sign != -1 {
		panic("vec: AddQuotient's sign must be 1 or -1")
	}
	n := addQuotientAsm(acc, a, b, c, sign)
	for i := n; i < len(acc); i++ {
		acc[i] += sign * (a[i] * b[i] / c[i])
	}
}

// PowScale sets y[i] = s[i]^−β · x[i] (LRN's output and gradient) in float32, for
// the fast numerics: β = 0.75 as 1/(√s·√√s), β = 0.5 and 1 as directly, others by
// math.Pow. Not powf's bits: within a few ulps of them.
func PowScale(y, s, x []float32, beta float32) {
	x, y = x[:len(s)], y[:len(s)]
	n := 0
	if beta == 0.75 {
		n = powScale75Asm(y, s, x)
	}
	for i := n; i < len(s); i++ {
		var p float32
		switch beta {
		case 0.75:
			r := sqrt32(s[i])
			p = 1 / (r * sqrt32(r))
		case 0.5:
			p = 1 / sqrt32(s[i])
		case 1:
			p = 1 / s[i]
		default:
			p = float32(math.Pow(float64(s[i]), -float64(beta)))
		}
		y[i] = p * x[i]
	}
}

// sqrt32 is the correctly rounded float32 square root (as VSQRTPS).
func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }
