// Package vec is gocaffe's elementwise arithmetic on float32 slices: the loops of the
// activations, the per-channel layers and the sums of gradients, in AVX2 assembly
// where the CPU has it and in Go elsewhere. Every function computes each element on
// its own, with the same rounding in assembly and in Go (no multiply-add is fused
// unless the name says so), so both numerics use them: the bits are the Go loops',
// and the Go loops are Caffe's.
package vec

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
