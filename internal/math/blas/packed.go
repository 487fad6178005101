package blas

import "fmt"

// A matrix product whose B is never stored: a convolution's column matrix can be
// packed straight from the image into the slivers the kernels read (an im2col that
// writes packed slivers), which saves writing the matrix and reading it back to pack
// it — as much memory traffic as the product itself for the small convolutions of
// LeNet and cifar10_quick.

// SliverCols is the number of columns of the slivers a BPacker writes.
const SliverCols = nr

// A BPacker packs blocks of B for GemmPacked, in place of a stored B.
type BPacker interface {
	// PackB writes B[p0:p0+kk, j0:j0+nn] into dst as slivers of SliverCols columns:
	// sliver s holds, for each p in turn, the SliverCols values
	// B[p0+p, j0+s·SliverCols+j], zero past column nn. dst holds
	// ⌈nn/SliverCols⌉·SliverCols·kk values.
	PackB(dst []float32, p0, kk, j0, nn int)
}

// TakesPacker reports whether the product behind Gemm can take its B from a
// BPacker (GemmPacked): Fast and Ordered can, the others (naive, gonum, OpenBLAS
// itself) need B stored.
func TakesPacker() bool {
	_, g := Current()
	switch g.(type) {
	case Fast, Ordered:
		return true
	}
	return false
}

// GemmPacked is Gemm with B taken from a packer: C = op(A)·B + beta·C, with A m×k
// (k×m when transA), densely packed, B k×n, C m×n with leading dimension n. It needs
// k ≥ 2 and beta 0 or 1, and a product that takes a packer (TakesPacker); the bits
// are those Gemm gives for the same B stored.
func GemmPacked(transA bool, m, n, k int, a []float32, b BPacker, beta float32, c []float32) {
	gemmPacked(transA, m, n, k, a, b, beta, c, false)
}

// GemmPackedOne is GemmPacked on the calling goroutine alone (see GemmOne).
func GemmPackedOne(transA bool, m, n, k int, a []float32, b BPacker, beta float32, c []float32) {
	gemmPacked(transA, m, n, k, a, b, beta, c, true)
}

func gemmPacked(transA bool, m, n, k int, a []float32, b BPacker, beta float32, c []float32, serial bool) {
	if !TakesPacker() || k < 2 || (beta != 0 && beta != 1) {
		panic(fmt.Sprintf("blas: GemmPacked with k %d, beta %v and the %T product", k, beta, b))
	}
	if m == 0 || n == 0 {
		return
	}
	lda, rowsA, colsA := k, m, k
	if transA {
		lda, rowsA, colsA = m, k, m
	}
	checkMatrix("A", a, rowsA, colsA, lda)
	checkMatrix("C", c, m, n, n)
	g := gemm{transA: transA, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, ldb: n, beta: beta, c: c, ldc: n, packer: b, serial: serial}
	if name, _ := Current(); name == "ordered" {
		g.ordered = true
		g.plan = orderPlanOf(m, n, k)
	}
	g.compute()
}
