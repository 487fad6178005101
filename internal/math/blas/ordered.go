package blas

// Ordered is the matrix product in the order Caffe's reference build sums it
// (openblas_order.go): OpenBLAS's k blocks, one chain of fused multiply-adds per
// element and block, and, where OpenBLAS's kernel keeps two chains for some elements,
// its cut of the product into column blocks and groups of rows (twochain.go). It is
// the product of the caffe numerics. It runs the same packing and micro-kernels as
// Fast (driver.go); what it adds is the order.
type Ordered struct {
	// Serial keeps the product on the calling goroutine (GemmOne).
	Serial bool
}

// Sgemm implements Gemmer.
func (o Ordered) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkSizes(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if k == 0 || alpha == 0 {
		// As in reference BLAS, A and B are not read when they cannot contribute.
		scaleC(m, n, beta, c, ldc)
		return
	}
	g := gemm{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
		b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, ordered: true, serial: o.Serial}
	if alpha != 1 && k > 1 {
		// OpenBLAS adds each k block's sum s as fma(s, alpha, C); the kernels round
		// alpha·s first. Caffe never asks for this (its alpha is 1 but where k is 1).
		orderRef(&g)
		return
	}
	if beta != 0 && beta != 1 {
		// OpenBLAS scales C by beta before adding anything to it.
		scaleC(m, n, beta, c, ldc)
		g.beta = 1
	}
	if k == 1 {
		ws := workspaces.Get().(*workspace)
		g.rank1(ws)
		workspaces.Put(ws)
		return
	}
	g.plan = orderPlanOf(m, n, k)
	g.compute()
}
