package blas

import (
	"fmt"
	"sync/atomic"
)

// This file is cblas_sgemv as OpenBLAS 0.3.21 computes it with its Haswell kernels
// (kernel/x86_64/sgemv_n_4.c, sgemv_t_4.c and their Haswell micro-kernels,
// interface/gemv.c, driver/level2/gemv_thread.c), operation for operation: the
// fixtures were made by Caffe linked with that library, and a chaotic training run
// follows them only if every sum is added in the same order and every multiply-add
// is fused, or not, as there.
//
// A row-major m×n matrix is OpenBLAS's column-major n×m one, so Gemv(transA = true)
// is OpenBLAS's sgemv_n (y gains a weighted sum of A's columns in the column-major
// view, its rows in ours) and Gemv(transA = false) its sgemv_t (each y[i] a dot
// product of one of our rows with x). Below, "column" and "row" are the column-major
// ones, as in OpenBLAS's source: mc rows, nc columns, column j at a[j*lda:].

// gemvThreshold is 2304·GEMM_MULTITHREAD_THRESHOLD: interface/gemv.c runs products
// of fewer elements on one thread.
const gemvThreshold = 9216

// nbMax is NBMAX of sgemv_n_4.c and sgemv_t_4.c: both kernels take the rows of A in
// blocks of at most 4096.
const nbMax = 4096

// Gemv computes y = alpha·op(A)·x + beta·y for a densely packed row-major m×n matrix A
// (op(A) = Aᵀ when transA, so x has m elements and y n), with OpenBLAS 0.3.21's
// arithmetic: y is first scaled by beta (beta == 0 overwrites it, so it may hold
// garbage; beta == 1 leaves it untouched), then gains alpha·op(A)·x in the order,
// and with the fused multiply-adds, of cblas_sgemv on two threads with the Haswell
// kernels. It is Caffe's caffe_cpu_gemv.
func Gemv(transA bool, m, n int, alpha float32, a, x []float32, beta float32, y []float32) {
	checkGemv(transA, m, n, a, x, y)
	gemv(transA, m, n, alpha, a, x, beta, y)
}

// GemvOnes is Gemv with x a vector of ones (m of them when transA, n otherwise): the
// column (transA) or row sums Caffe takes by multiplying with a blob of ones, as for
// a bias gradient or a softmax's normaliser. Same bits as Gemv with the ones.
func GemvOnes(transA bool, m, n int, alpha float32, a []float32, beta float32, y []float32) {
	k := n
	if transA {
		k = m
	}
	x := ones(k)
	checkGemv(transA, m, n, a, x, y)
	gemv(transA, m, n, alpha, a, x, beta, y)
}

func checkGemv(transA bool, m, n int, a, x, y []float32) {
	lx, ly := n, m
	if transA {
		lx, ly = m, n
	}
	if m < 0 || n < 0 || len(a) < m*n || len(x) < lx || len(y) < ly {
		panic(fmt.Sprintf("blas: Gemv of a %d×%d matrix (transA %v) with %d, %d and %d elements in A, x and y",
			m, n, transA, len(a), len(x), len(y)))
	}
}

// Ones returns n ones, read-only (the slice is shared: never write to it): the blob
// of ones Caffe multiplies or dots with to sum (its sum_multiplier_).
func Ones(n int) []float32 { return ones(n) }

// onesBuf holds at least as many ones as any GemvOnes has needed. A longer slice
// replaces it when one is needed; slices handed out before stay valid, as nothing
// ever writes to them after they are published.
var onesBuf atomic.Pointer[[]float32]

func ones(n int) []float32 {
	if p := onesBuf.Load(); p != nil && len(*p) >= n {
		return (*p)[:n]
	}
	s := make([]float32, max(n, 1024))
	for i := range s {
		s[i] = 1
	}
	onesBuf.Store(&s)
	return s[:n]
}

// gemv is interface/gemv.c for a row-major call: the column-major matrix is mc = n
// rows by nc = m columns with lda = n.
func gemv(transA bool, m, n int, alpha float32, a, x []float32, beta float32, y []float32) {
	mc, nc, lda := n, m, n
	if mc == 0 || nc == 0 {
		return
	}
	leny := nc
	if transA {
		leny = mc
	}
	if beta != 1 {
		scalKernel(beta, y[:leny])
	}
	if alpha == 0 {
		return
	}
	threads := 1
	if mc*nc >= gemvThreshold {
		threads = obThreads
	}
	if transA {
		sgemvNThreads(mc, nc, alpha, a, lda, x, y, threads)
	} else {
		sgemvTThreads(mc, nc, alpha, a, lda, x, y, threads)
	}
}

// gemvWidth is the width gemv_thread.c gives the next of the threads-done threads
// still to start, when rest rows or columns are left: an even share, but at least
// four, and no more than there is.
func gemvWidth(rest, threads, done int) int {
	w := (rest + threads - done - 1) / (threads - done)
	w = max(w, 4)
	return min(w, rest)
}

// sgemvNThreads is sgemv_thread_n: the rows are cut between the threads, each one
// running sgemv_n on its own; a short matrix (fewer rows than it takes to give every
// thread four) with many columns has its columns cut instead, each thread summing
// into a zeroed buffer of its own, and the buffers are added into y in thread order.
func sgemvNThreads(mc, nc int, alpha float32, a []float32, lda int, x, y []float32, threads int) {
	if threads == 1 {
		sgemvN(mc, nc, alpha, a, lda, x, y)
		return
	}
	parts := 0
	for rest, done := mc, 0; rest > 0; done++ {
		rest -= gemvWidth(rest, threads, done)
		parts++
	}
	if parts < threads && float64(mc)*float64(nc) > gemvThreshold && mc*threads <= 1024 {
		// At most 1024 floats: the buffer stays on the stack.
		var bufs [1024]float32
		from, used := 0, 0
		for done := 0; from < nc; done++ {
			w := gemvWidth(nc-from, threads, done)
			buf := bufs[done*mc : (done+1)*mc]
			sgemvN(mc, w, alpha, a[from*lda:], lda, x[from:], buf)
			from += w
			used = done + 1
		}
		for t := range used {
			for i, v := range bufs[t*mc : (t+1)*mc] {
				y[i] += v
			}
		}
		return
	}
	from := 0
	for done := 0; from < mc; done++ {
		w := gemvWidth(mc-from, threads, done)
		sgemvN(w, nc, alpha, a[from:], lda, x, y[from:])
		from += w
	}
}

// sgemvTThreads is sgemv_thread_t: the columns (the elements of y) are cut between
// the threads, each one running sgemv_t on its own.
func sgemvTThreads(mc, nc int, alpha float32, a []float32, lda int, x, y []float32, threads int) {
	from := 0
	for done := 0; from < nc; done++ {
		w := nc - from
		if threads > 1 {
			w = gemvWidth(w, threads, done)
		}
		sgemvT(mc, w, alpha, a[from*lda:], lda, x, y[from:])
		from += w
	}
}

// sgemvN is sgemv_n_4.c with inc_x = inc_y = 1: y[i] += alpha·Σ_j a[j*lda+i]·x[j]
// for i < m, j < n. Blocks of at most 4096 rows, a multiple of four, take the columns
// eight, then four, two and one at a time through the kernels below; the last m mod
// 4 rows are summed column by column in scalar code and added to y once.
func sgemvN(m, n int, alpha float32, a []float32, lda int, x, y []float32) {
	if m < 1 || n < 1 {
		return
	}
	m3 := m & 3
	// The blocks of sgemv_*_4.c's loop over m1 and m2: the rows but the last m mod 4,
	// nbMax at a time.
	for r0 := 0; r0 < m-m3; r0 += nbMax {
		nb := min(nbMax, m-m3-r0)
		yb := y[r0 : r0+nb]
		j := 0
		for ; j+8 <= n; j += 8 {
			sgemvNCols(8, nb, alpha, a[j*lda+r0:], lda, x[j:j+8], yb)
		}
		if n&4 != 0 {
			sgemvNCols(4, nb, alpha, a[j*lda+r0:], lda, x[j:j+4], yb)
			j += 4
		}
		if n&2 != 0 {
			// sgemv_kernel_4x2 (SSE): x scaled by alpha first, products added in turn.
			xa0, xa1 := float32(x[j]*alpha), float32(x[j+1]*alpha)
			a0, a1 := a[j*lda+r0:][:nb], a[(j+1)*lda+r0:][:nb]
			for i := range yb {
				yb[i] = float32(yb[i]+float32(a0[i]*xa0)) + float32(a1[i]*xa1)
			}
			j += 2
		}
		if n&1 != 0 {
			// sgemv_kernel_4x1 (SSE).
			xa := float32(x[j] * alpha)
			a0 := a[j*lda+r0:][:nb]
			for i := range yb {
				yb[i] = float32(a0[i]*xa) + yb[i]
			}
		}
	}
	if m3 == 0 {
		return
	}
	r0 := m - m3
	sgemvNTail(m3, n, alpha, a[r0:], lda, x, y[r0:])
}

// sgemvNColsGo is sgemv_kernel_4x8 (w = 8) or sgemv_kernel_4x4 (w = 4) of the Haswell
// micro-kernel: y[i] += alpha·Σ_{c<w} a[c*lda+i]·x[c] for i < nb. Sixteen rows at a
// time, the sum is one chain of fused multiply-adds from +0 over the columns in
// order, added to y with a fused multiply by alpha; the first nb mod 16 rows (four,
// then eight) take two chains, the even columns and the odd, whose sum is multiplied
// by alpha and added to y in separate roundings.
func sgemvNColsGo(w, nb int, alpha float32, a []float32, lda int, x, y []float32) {
	var cols [8][]float32
	for c := range w {
		cols[c] = a[c*lda:][:nb]
	}
	head := nb & 4
	head += (nb - head) & 8
	for i := range head {
		var even, odd float32
		for c := 0; c < w; c += 2 {
			even = fmaf(cols[c][i], x[c], even)
			odd = fmaf(cols[c+1][i], x[c+1], odd)
		}
		y[i] = float32(float32(odd+even)*alpha) + y[i]
	}
	if head == nb {
		return
	}
	for i := head; i < nb; i++ {
		var t float32
		for c := range w {
			t = fmaf(cols[c][i], x[c], t)
		}
		y[i] = fmaf(t, alpha, y[i])
	}
}

// sgemvNTail is the scalar code of sgemv_n_4.c for the last m3 < 4 rows: each row's
// products are summed in float32 without fusing, column by column (or, when the
// matrix is just those rows, lda == m3, two or four columns to a partial sum), and
// alpha times the sum is added to y.
func sgemvNTail(m3, n int, alpha float32, a []float32, lda int, x, y []float32) {
	var t [3]float32
	j := 0
	switch {
	case m3 == 1 && lda == 1:
		for ; j+4 <= n; j += 4 {
			p0 := float32(a[j] * x[j])
			p1 := float32(a[j+1] * x[j+1])
			p2 := float32(a[j+2] * x[j+2])
			p3 := float32(a[j+3] * x[j+3])
			t[0] += float32(float32(p0+p1)+p2) + p3
		}
	case (m3 == 2 || m3 == 3) && lda == m3:
		for ; j+4 <= n; j += 4 {
			for k := range m3 {
				t[k] += float32(a[j*lda+k]*x[j]) + float32(a[(j+1)*lda+k]*x[j+1])
				t[k] += float32(a[(j+2)*lda+k]*x[j+2]) + float32(a[(j+3)*lda+k]*x[j+3])
			}
		}
	}
	for ; j < n; j++ {
		for k := range m3 {
			t[k] += float32(a[j*lda+k] * x[j])
		}
	}
	for k := range m3 {
		y[k] += float32(alpha * t[k])
	}
}

// sgemvT is sgemv_t_4.c with inc_x = inc_y = 1: y[j] += alpha·Σ_i a[j*lda+i]·x[i]
// for j < n, i < m. Blocks of at most 4096 rows, a multiple of four, are summed
// column by column, four columns at a time by the Haswell micro-kernel and the last
// n mod 4 by SSE ones, and alpha times each block's sum is added to y; the last m
// mod 4 rows are then added to every y[j] in scalar code.
func sgemvT(m, n int, alpha float32, a []float32, lda int, x, y []float32) {
	if m < 1 || n < 1 {
		return
	}
	m3 := m & 3
	// The blocks of sgemv_*_4.c's loop over m1 and m2: the rows but the last m mod 4,
	// nbMax at a time.
	for r0 := 0; r0 < m-m3; r0 += nbMax {
		nb := min(nbMax, m-m3-r0)
		xb := x[r0 : r0+nb]
		j := 0
		for ; j+4 <= n; j += 4 {
			var t [4]float32
			dotCols4(nb, a[j*lda+r0:], lda, xb, &t)
			for k, v := range t {
				y[j+k] += float32(v * alpha)
			}
		}
		if n&2 != 0 {
			t0, t1 := dotCols2(a[j*lda+r0:][:nb], a[(j+1)*lda+r0:][:nb], xb)
			y[j] += float32(t0 * alpha)
			y[j+1] += float32(t1 * alpha)
			j += 2
		}
		if n&1 != 0 {
			y[j] += float32(dotCol1(a[j*lda+r0:][:nb], xb) * alpha)
		}
	}
	if m3 == 0 {
		return
	}
	r0 := m - m3
	// The rows past the blocks: x scaled by alpha, each column's two or three
	// products summed left to right, and the sum added to y.
	var xt [3]float32
	for k := range m3 {
		xt[k] = float32(x[r0+k] * alpha)
	}
	for j := range n {
		aj := a[j*lda+r0:][:m3]
		s := float32(aj[0] * xt[0])
		for k := 1; k < m3; k++ {
			s += float32(aj[k] * xt[k])
		}
		y[j] += s
	}
}

// dotCols4Go is the Haswell sgemv_t micro-kernel: out[c] = Σ_i a[c*lda+i]·x[i] for
// c < 4, i < nb (nb a multiple of 4). Each sum runs in eight lanes of fused
// multiply-adds: the first four elements into lanes 0–3 when nb mod 8 is 4, then
// eight at a time into lanes 0–7. The upper four lanes are added to the lower four,
// and those pairwise: ((l0+l4)+(l1+l5)) + ((l2+l6)+(l3+l7)).
func dotCols4Go(nb int, a []float32, lda int, x []float32, out *[4]float32) {
	x = x[:nb]
	head := nb & 4
	for c := range out {
		col := a[c*lda:][:nb]
		var acc [8]float32
		for i := range head {
			acc[i] = fmaf(col[i], x[i], acc[i])
		}
		for i := head; i < nb; i += 8 {
			for l := range acc {
				acc[l] = fmaf(col[i+l], x[i+l], acc[l])
			}
		}
		out[c] = reduce8(&acc)
	}
}

// reduce8 is the reduction of an eight-lane sum in OpenBLAS's Haswell kernels: the
// upper half added to the lower, then two horizontal adds.
func reduce8(acc *[8]float32) float32 {
	s0, s1, s2, s3 := acc[4]+acc[0], acc[5]+acc[1], acc[6]+acc[2], acc[7]+acc[3]
	return (s0 + s1) + (s2 + s3)
}

// dotCols2 is sgemv_kernel_4x2 of sgemv_t_4.c (SSE, not fused): two sums, each in
// four lanes, lane l taking the products i ≡ l mod 4 in turn, reduced as
// (l0+l1)+(l2+l3).
func dotCols2(a0, a1, x []float32) (float32, float32) {
	x = x[:len(a0)]
	a1 = a1[:len(a0)]
	var s0, s1 [4]float32
	for i := 0; i+4 <= len(x); i += 4 {
		for l := range 4 {
			s0[l] += float32(a0[i+l] * x[i+l])
			s1[l] += float32(a1[i+l] * x[i+l])
		}
	}
	return (s0[0] + s0[1]) + (s0[2] + s0[3]), (s1[0] + s1[1]) + (s1[2] + s1[3])
}

// dotCol1 is sgemv_kernel_4x1 of sgemv_t_4.c (SSE, not fused): the sum in two sets of
// four lanes: the first four products into the first set when the length mod 8 is
// 4, then eight at a time, four into each; the sets are added lane by lane and
// reduced as (l0+l1)+(l2+l3).
func dotCol1(a, x []float32) float32 {
	x = x[:len(a)]
	var s, t [4]float32
	i := 0
	if len(a)&4 != 0 {
		for l := range 4 {
			s[l] += float32(a[l] * x[l])
		}
		i = 4
	}
	for ; i+8 <= len(a); i += 8 {
		for l := range 4 {
			s[l] += float32(a[i+l] * x[i+l])
			t[l] += float32(a[i+4+l] * x[i+4+l])
		}
	}
	for l := range s {
		s[l] += t[l]
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}
