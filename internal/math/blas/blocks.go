package blas

import "fmt"

// A sum of products, as a convolution's weight gradient (Caffe adds one image's
// product after the other into the same C), can be computed in parallel and still
// be rounded as the sequence of Gemm calls would: each call adds to C, one after the
// other, the sums of its k blocks. GemmBlocks computes those block sums of one
// product, AddBlocks adds them to C in order.

// KBlocks returns the number of k blocks OpenBLAS cuts an m×n×k product into: the
// parts GemmBlocks writes.
func KBlocks(m, n, k int) int {
	blocks := 0
	for p := 0; p < k; p = nextKBlock(m, n, k, p) {
		blocks++
	}
	return blocks
}

// GemmBlocks computes the sums of the k blocks of op(A)·op(B) (A m×k, B k×n, densely
// packed, as Gemm takes them) into parts[0], parts[1], …: KBlocks(m, n, k) of them,
// m×n each, every element summed as Gemm would sum it in that block, on the calling
// goroutine alone (its callers run several at once). With a GEMM other than Ordered,
// each part is a product over the block's k range.
func GemmBlocks(transA, transB bool, m, n, k int, a, b []float32, parts [][]float32) {
	if len(parts) != KBlocks(m, n, k) {
		panic(fmt.Sprintf("blas: GemmBlocks: %d parts for %d k blocks", len(parts), KBlocks(m, n, k)))
	}
	if m == 0 || n == 0 || k == 0 {
		return
	}
	lda, ldb := k, n
	if transA {
		lda = m
	}
	if transB {
		ldb = k
	}
	if _, g := Current(); !isOrdered(g) {
		for p0, bi := 0, 0; p0 < k; bi++ {
			p1 := nextKBlock(m, n, k, p0)
			// op(A)'s columns and op(B)'s rows from p0 on.
			aOff, bOff := p0, p0*ldb
			if transA {
				aOff = p0 * lda
			}
			if transB {
				bOff = p0
			}
			as, bs := a[aOff:], b[bOff:]
			g.Sgemm(transA, transB, m, n, p1-p0, 1, as, lda, bs, ldb, 0, parts[bi], n)
			p0 = p1
		}
		return
	}
	Ordered{}.sgemmBlocks(transA, transB, m, n, k, a, lda, b, ldb, parts)
}

// AddBlocks adds the parts to c in order, as Gemm with beta 1 adds its k blocks' sums:
// c = ((c + parts[0]) + parts[1]) + …, each sum rounded.
func AddBlocks(c []float32, parts [][]float32) {
	for _, p := range parts {
		// fma(1, v, c) rounds v + c once: the sum's bits, eight at a time.
		axpy32(1, p[:len(c)], c)
	}
}

// sgemmBlocks is GemmBlocks for Ordered.
func (Ordered) sgemmBlocks(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, parts [][]float32) {
	for _, p := range parts {
		checkSizes(false, false, m, n, 0, nil, 0, nil, 0, p, n)
	}
	checkSizes(transA, transB, m, n, k, a, lda, b, ldb, parts[0], n)
	g := gemm{transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb,
		c: parts[0], ldc: n, ordered: true, serial: true, plan: orderPlanOf(m, n, k), parts: parts}
	g.compute()
}
