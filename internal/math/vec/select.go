package vec

// The choices of Eltwise's MAX and of Dropout: comparisons and selections, no
// arithmetic but Dropout's one product, so every numerics uses them; in AVX2
// assembly where the CPU has it, the Go loops' bits either way.

// MaxArg2 sets y[i] = max(a[i], b[i]) and arg[i] to the winner, 0 or 1, as Caffe's
// Eltwise MAX starts: a wins only if a > b, so a tie, or a NaN on either side, goes
// to b.
func MaxArg2(y []float32, arg []int32, a, b []float32) {
	arg, a, b = arg[:len(y)], a[:len(y)], b[:len(y)]
	n := maxArg2Asm(y, arg, a, b)
	for i := n; i < len(y); i++ {
		first := a[i] > b[i]
		y[i] = pick(first, a[i], b[i])
		k := int32(1)
		if first {
			k = 0
		}
		arg[i] = k
	}
}

// MaxArgNext sets y[i] = x[i] and arg[i] = k where x[i] > y[i] (Caffe's Eltwise MAX
// for its later bottoms: a tie keeps the earlier winner, a NaN never wins).
func MaxArgNext(y []float32, arg []int32, x []float32, k int32) {
	arg, x = arg[:len(y)], x[:len(y)]
	n := maxArgNextAsm(y, arg, x, k)
	for i := n; i < len(y); i++ {
		wins := x[i] > y[i]
		y[i] = pick(wins, x[i], y[i])
		a := arg[i]
		if wins {
			a = k
		}
		arg[i] = a
	}
}

// SelectArg sets dx[i] = dy[i] where arg[i] is k, and +0 elsewhere: the gradient of
// Eltwise MAX for bottom k.
func SelectArg(dx, dy []float32, arg []int32, k int32) {
	dy, arg = dy[:len(dx)], arg[:len(dx)]
	n := selectArgAsm(dx, dy, arg, k)
	for i := n; i < len(dx); i++ {
		dx[i] = pick(arg[i] == k, dy[i], 0)
	}
}

// MaskScale sets out[i] = in[i]·scale where keep[i], and in[i]·0 elsewhere (so −0 for
// a negative in[i], NaN for an infinite one, as Caffe's Dropout computes in·mask·scale);
// out may be in.
func MaskScale(out, in []float32, keep []bool, scale float32) {
	in, keep = in[:len(out)], keep[:len(out)]
	n := maskScaleAsm(out, in, keep, scale)
	for i := n; i < len(out); i++ {
		out[i] = pick(keep[i], in[i]*scale, in[i]*0)
	}
}
