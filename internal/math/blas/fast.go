package blas

// Fast is the matrix product of the fast numerics: the same packing and micro-kernels
// as Ordered (driver.go), with none of OpenBLAS's order to keep. Each element of C is
// one chain of fused multiply-adds per k block, the k blocks as long as the caches
// want them (fastKBlock), alpha and beta applied by the kernel as it stores. The bits
// depend on m, n and k alone — not on the number of threads, nor on which goroutine
// computes which tile — so a run repeats exactly.
type Fast struct{}

// fastKBlock is the longest k block of Fast. Its B sliver pair (2·nr columns × 384
// steps, 48 KiB) is read from L1 and L2 while the kernel walks the A slivers of a
// block, and each k block costs a load and store of C: longer blocks than OpenBLAS's
// 320 pay on the deep products (K = 800 to 4608 in the nets measured).
const fastKBlock = 384

// Sgemm implements Gemmer.
func (Fast) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	checkSizes(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	g := gemm{transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
		b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	if k == 1 {
		if beta != 0 && beta != 1 {
			scaleC(m, n, beta, c, ldc)
			g.beta = 1
		}
		ws := workspaces.Get().(*workspace)
		g.rank1(ws)
		workspaces.Put(ws)
		return
	}
	g.compute()
}

// fastKBlockEnd returns the end of Fast's k block that starts at p0: k cut into the
// fewest blocks of at most fastKBlock steps, as even as possible in multiples of 8.
func fastKBlockEnd(k, p0 int) int {
	return min(k, p0+evenBlock(k, fastKBlock, 8))
}
