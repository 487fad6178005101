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

// Relu sets y[i] = x[i] if x[i] > 0, else slope·x[i] (Caffe's ReLU with
// negative_slope); y may be x.
func Relu(y, x []float32, slope float32) {
	y = y[:len(x)]
	n := reluAsm(y, x, slope)
	for i := n; i < len(x); i++ {
		y[i] = pick(x[i] > 0, x[i], slope*x[i])
	}
}

// ReluGrad sets dx[i] = dy[i] if x[i] > 0, else slope·dy[i]: the gradient of Relu,
// given its input (or its output, which has the input's sign); dx may be dy or x.
func ReluGrad(dx, x, dy []float32, slope float32) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	n := reluGradAsm(dx, x, dy, slope)
	for i := n; i < len(x); i++ {
		dx[i] = pick(x[i] > 0, dy[i], slope*dy[i])
	}
}
