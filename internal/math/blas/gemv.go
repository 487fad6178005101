package blas

// Products with a single row or column of C are matrix-vector products: packing
// would cost as much as the multiply-adds, and a 6×16 tile would be mostly padding.
// They run as dot products or as sums of scaled rows, whichever reads the matrix
// along its rows.

// gemv computes C when m == 1 or n == 1.
func (g *gemm) gemv(ws *workspace) {
	if g.n == 1 {
		// C (m×1) = op(A) (m×k) · x, x = op(B)[:, 0].
		x := g.vector(ws, g.b, !g.transB, g.ldb, g.k)
		if !g.transA {
			for i := 0; i < g.m; i++ {
				g.store(i*g.ldc, dot32(g.a[i*g.lda:][:g.k], x))
			}
			return
		}
		// A is stored k×m: C = Σ_p x[p]·A[p, :].
		acc := g.sumRows(ws, g.a, g.lda, g.m, x)
		for i, v := range acc {
			g.store(i*g.ldc, v)
		}
		return
	}
	// C (1×n) = x · op(B) (k×n), x = op(A)[0, :].
	x := g.vector(ws, g.a, g.transA, g.lda, g.k)
	if g.transB {
		// B is stored n×k: C[j] = x·B[j, :].
		for j := 0; j < g.n; j++ {
			g.store(j, dot32(x, g.b[j*g.ldb:][:g.k]))
		}
		return
	}
	for j, v := range g.sumRows(ws, g.b, g.ldb, g.n, x) {
		g.store(j, v)
	}
}

// rank1 computes C when k == 1, as for a bias added to every row of C: row i
// of C is beta·C[i, :] + alpha·op(A)[i, 0]·op(B)[0, :].
func (g *gemm) rank1(ws *workspace) {
	b := g.vector(ws, g.b, g.transB, g.ldb, g.n)
	for i := 0; i < g.m; i++ {
		var ai float32 // op(A)[i, 0]
		if g.transA {
			ai = g.a[i] // A is stored 1×m
		} else {
			ai = g.a[i*g.lda]
		}
		row := g.c[i*g.ldc:][:g.n]
		switch g.beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= g.beta
			}
		}
		axpy32(g.alpha*ai, b, row)
	}
}

// vector returns k elements of s: a row (contiguous when !strided) or a column
// (stride ld), gathered into ws.x when they are not contiguous.
func (g *gemm) vector(ws *workspace, s []float32, strided bool, ld, k int) []float32 {
	if !strided || ld == 1 {
		return s[:k]
	}
	ws.x = grow(ws.x, k)
	for p := range ws.x {
		ws.x[p] = s[p*ld]
	}
	return ws.x
}

// sumRows returns Σ_p x[p]·s[p, 0:n] for the row-major s with leading dimension ld,
// in ws.acc.
func (g *gemm) sumRows(ws *workspace, s []float32, ld, n int, x []float32) []float32 {
	ws.acc = grow(ws.acc, n)
	clear(ws.acc)
	for p, v := range x {
		axpy32(v, s[p*ld:][:n], ws.acc)
	}
	return ws.acc
}

// store sets c[off] = alpha·v + beta·c[off], not reading c when beta is zero.
func (g *gemm) store(off int, v float32) {
	if g.beta == 0 {
		g.c[off] = g.alpha * v
		return
	}
	g.c[off] = g.alpha*v + g.beta*g.c[off]
}

// grow returns s resized to n, reallocating only when its capacity is short.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// dot32Go returns Σ x[i]·y[i], summed in float32 like the assembly.
func dot32Go(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy32Go computes y += alpha·x.
func axpy32Go(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}
