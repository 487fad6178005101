package blas

// Products with k == 1 (a bias added to every row) are outer products, computed
// without packing.

// rank1 computes C when k == 1, as for a bias added to every row of C. OpenBLAS
// rounds each product a_i·b_j, then adds it with alpha in one fused step:
// C[i, j] = fma(round(a_i·b_j), alpha, C[i, j]) (C scaled by beta first).
func (g *gemm) rank1(ws *workspace) {
	b := g.vector(ws, g.b, g.transB, g.ldb, g.n)
	ws.acc = grow(ws.acc, g.n)
	for i := 0; i < g.m; i++ {
		var ai float32 // op(A)[i, 0]
		if g.transA {
			ai = g.a[i] // A is stored 1×m
		} else {
			ai = g.a[i*g.lda]
		}
		row := g.c[i*g.ldc:][:g.n]
		if g.beta == 0 {
			clear(row)
		}
		if g.alpha == 1 {
			for j, v := range b {
				row[j] += float32(ai * v)
			}
			continue
		}
		for j, v := range b {
			ws.acc[j] = ai * v
		}
		axpy32(g.alpha, ws.acc, row)
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

// grow returns s resized to n, reallocating only when its capacity is short.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// axpy32Go computes y = fma(alpha, x, y), each element rounded once, as the assembly.
func axpy32Go(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = fmaf(alpha, v, y[i])
	}
}
