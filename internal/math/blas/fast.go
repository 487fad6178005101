package blas

// Fast is the matrix product of the fast numerics: the same packing and micro-kernels
// as Ordered (driver.go), with none of OpenBLAS's order to keep. Each element of C is
// one chain of fused multiply-adds per k block, the k blocks as long as the caches
// want them (fastKBlock), alpha and beta applied by the kernel as it stores. The bits
// depend on m, n and k alone — not on the number of threads, nor on which goroutine
// computes which tile — so a run repeats exactly.
//
// What limits its speed today, measured on the reference nets: alone, on data in
// cache, the kernels run at 75–95% of a core's FMA peak (gocaffe device_query) and
// the whole products at 60–80% (BenchmarkSgemmNets). Inside a net the products of a
// pass reach 55–68% of the peak on one core and 41–59% on two (gocaffe time prints
// the share): the operands come from L3 or memory (the previous layer's output, the
// weights), B is packed again by every tile of a product split over the cores (a
// shared packed B was tried and measured no faster on ResNet-50; a narrow product
// that reads A in place takes one tile a worker for that reason), and the narrow
// products of small images (ResNet's 49 and 196 columns, LeNet's 20 and 50 rows)
// leave part of the kernel's tile empty, through an edge buffer. An inner product's
// forward pass on a small batch is bound by the weights' bandwidth (AlexNet's fc6
// reads 151 MB at about 11 GB/s); a dot-product kernel reading the weights in order
// measured slower (10 GB/s), its few rows of A coming from L2 for every pair of B's.
type Fast struct {
	// Serial keeps the product on the calling goroutine (GemmOne).
	Serial bool
}

// fastKBlock is the longest k block of Fast. Its B sliver pair (2·nr columns × 384
// steps, 48 KiB) is read from L1 and L2 while the kernel walks the A slivers of a
// block, and each k block costs a load and store of C: longer blocks than OpenBLAS's
// 320 pay on the deep products (K = 800 to 4608 in the nets measured).
const fastKBlock = 384

// Sgemm implements Gemmer.
func (f Fast) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
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
		b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, serial: f.Serial}
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
	if swapped(&g) {
		return
	}
	g.compute()
}

// swapped computes a short, wide product C = op(A)·Bᵀ — an inner product's forward
// pass on a small batch: A is the batch (m rows), B the weights, n×k — as its
// transpose, Cᵀ = B·op(A)ᵀ, where the direct kernel reads B, the large operand, in
// place, once, instead of packing it; Cᵀ goes through a buffer into C. It reports
// whether it did (only for such products, where the CPU has the direct kernel).
func swapped(g *gemm) bool {
	if !g.transB || g.m > 2*mr || g.n < 8*g.m || g.k < 16 || !useDirect() {
		return false
	}
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	ws.swap = grow(ws.swap, g.n*g.m)
	t := gemm{transB: !g.transA, m: g.n, n: g.m, k: g.k, alpha: g.alpha, a: g.b, lda: g.ldb,
		b: g.a, ldb: g.lda, c: ws.swap, ldc: g.m}
	t.compute()
	for i := range g.m {
		row := g.c[i*g.ldc:][:g.n]
		switch g.beta {
		case 0:
			for j := range row {
				row[j] = ws.swap[j*g.m+i]
			}
		case 1:
			for j := range row {
				row[j] += ws.swap[j*g.m+i]
			}
		default:
			for j := range row {
				row[j] = ws.swap[j*g.m+i] + g.beta*row[j]
			}
		}
	}
	return true
}

// fastKBlockNarrow is the longest k block of a product at most one sliver pair wide
// (an inner product's swapped forward pass, a batch-1 layer): its B (32 columns ×
// 4096 steps, 512 KiB) stays in L2, and A — the weights, read once — streams in
// long runs of each row rather than in pieces.
const fastKBlockNarrow = 4096

// fastKBlockEnd returns the end of Fast's k block that starts at p0 in a product n
// columns wide: k cut into the fewest blocks of at most fastKBlock (or
// fastKBlockNarrow) steps, as even as possible in multiples of 8.
func fastKBlockEnd(n, k, p0 int) int {
	most := fastKBlock
	if n <= 2*nr {
		most = fastKBlockNarrow
	}
	return min(k, p0+evenBlock(k, most, 8))
}
