package blas

// Caffe's numbers are OpenBLAS's numbers. A training run is chaotic: one float32
// rounding decided differently in a convolution (which of two near-equal values wins
// a MAX pooling window) grows by about 2.5× an iteration, and cifar10_quick's log
// leaves Caffe's after a dozen iterations. So Ordered sums every element of C in the
// order Caffe's reference build sums it: OpenBLAS 0.3.21 (Debian 12) with its Haswell
// kernels (what an x86-64 CPU from Haswell to Zen 3 runs) on two threads, the
// machine the fixtures were made on. With that order gocaffe's cifar10_quick and
// LeNet logs equal Caffe's to the last digit, and its snapshots Caffe's bit for bit.
//
// The order, read from OpenBLAS's sources and checked against the library element by
// element (internal/math/openblas):
//
//   - k is cut into blocks: 320 while at least 640 remain, then the rest in two halves
//     (the first one rounded up, to a multiple of 8 when the product runs on one
//     thread). C is scaled by beta first (zeroed for beta 0), then each block's sum s
//     is added as C = fma(s, alpha, C).
//   - Within a block most elements are one chain of fused multiply-adds over k, in
//     order, from zero: what Ordered's kernels compute. But OpenBLAS's kernel has two
//     tile shapes (8 columns × 6 rows at the edges of its 16-column tiles, and 8 × 4
//     in groups of four rows) that keep two chains, one for the even and one for the
//     odd steps of each group of eight, the block's last k mod 8 steps going to the
//     even chain; s is their sum. Which elements they cover depends on how OpenBLAS's
//     driver cuts the product into kernel calls: its threads, its blocks of 320
//     columns and its groups of 12 and 4 rows. kernelCalls reproduces that cut.
//
// OpenBLAS is column-major: Caffe's row-major C = A·B is its Cᵀ = Bᵀ·Aᵀ, so its m
// (kernel tiles of 8 and 16) runs along our columns and its n (groups of 12, 8, 4, 2,
// 1) along our rows.

// OpenBLAS 0.3.21's sgemm parameters for Haswell, and its threading.
const (
	obQ         = 320       // GEMM_Q: the k block
	obP         = 320       // GEMM_P: the block of OpenBLAS's m (our columns)
	obR         = 12288     // GEMM_R: the block of OpenBLAS's n (our rows); larger than Caffe's products
	obUnrollM   = 8         // GEMM_UNROLL_M
	obUnrollN   = 4         // GEMM_UNROLL_N
	obSwitch    = 4         // SWITCH_RATIO: the fewest columns (rows for n) a thread's share may have
	obThreads   = 2         // OPENBLAS_NUM_THREADS on the reference machine: not the threads but how OpenBLAS cuts the work between them decides the bits
	obThreadMin = 65536 * 4 // products of at most this many multiply-adds run on one thread
	obTwoChain  = 8         // the least block length for which the two-chain tiles keep two chains
)

// nextKBlock returns the end of OpenBLAS's k block that starts at p0 (< k) in an
// m×n×k product: the one-thread driver rounds the halves up to a multiple of 8, the
// threaded one does not.
func nextKBlock(m, n, k, p0 int) int {
	kk := k - p0
	if kk >= 2*obQ {
		kk = obQ
	} else if kk > obQ {
		if _, _, threaded := obThreads2D(m, n, k); threaded {
			kk = (kk + 1) / 2
		} else {
			kk = (kk/2 + obUnrollM - 1) / obUnrollM * obUnrollM
		}
	}
	return p0 + kk
}

// obThreads2D returns how OpenBLAS shares an m×n×k product (row-major, ours) out:
// tm threads over its m (our columns) times tn over its n (our rows), and whether
// it runs the threaded driver at all.
func obThreads2D(m, n, k int) (tm, tn int, threaded bool) {
	obM, obN := n, m
	if float64(m)*float64(n)*float64(k) <= obThreadMin {
		return 1, 1, false
	}
	tm = 1
	if obM >= 2*obSwitch {
		tm = obThreads
		for obM < tm*obSwitch {
			tm /= 2
		}
	}
	tn = 1
	if obN >= obSwitch*tm {
		tn = (obN + obSwitch*tm - 1) / (obSwitch * tm)
		if tm*tn > obThreads {
			tn = obThreads / tm
		}
	}
	return tm, tn, tm*tn > 1
}

// twoChainRects calls fn with the rectangles of the m×n row-major C (rows r0..r0+rows,
// columns c0..c0+cols) that OpenBLAS computes with two chains in every k block of at
// least obTwoChain steps. k decides only whether the product is threaded.
func twoChainRects(m, n, k int, fn func(r0, rows, c0, cols int)) {
	kernelCalls(m, n, k, func(r0, rows, c0, cols int) { kernelTwoChainRects(r0, rows, c0, cols, fn) })
}

// kernelCalls calls fn with the rectangle of C of each call OpenBLAS's driver makes to
// its kernel for an m×n×k product (in each k block; the cut does not depend on it).
func kernelCalls(m, n, k int, fn func(r0, rows, c0, cols int)) {
	// OpenBLAS's m is our n, its n our m.
	if tm, tn, threaded := obThreads2D(m, n, k); threaded {
		threadedCalls(n, m, tm, tn, fn)
		return
	}
	serialCalls(n, m, fn)
}

// firstMBlock is the driver's first block of OpenBLAS's m out of the span left;
// nextMBlockThreaded the later ones of the threaded driver, which rounds its halves
// differently.
func firstMBlock(left int) int {
	if left >= 2*obP {
		return obP
	}
	if left > obP {
		return (left/2 + obUnrollM - 1) / obUnrollM * obUnrollM
	}
	return left
}

func nextMBlockThreaded(left int) int {
	if left >= 2*obP {
		return obP
	}
	if left > obP {
		return ((left+1)/2 + obUnrollM - 1) / obUnrollM * obUnrollM
	}
	return left
}

// jjChunk is the number of OpenBLAS n (our rows) the driver packs and multiplies at a
// time while it packs B: 12 while it can, then 4, then what is left.
func jjChunk(left int) int {
	switch {
	case left >= 3*obUnrollN:
		return 3 * obUnrollN
	case left > obUnrollN:
		return obUnrollN
	}
	return left
}

// serialCalls enumerates the kernel calls of OpenBLAS's one-thread driver (level3.c)
// as call(our first row, rows, our first column, columns).
func serialCalls(obM, obN int, call func(r0, rows, c0, cols int)) {
	for js := 0; js < obN; js += obR {
		minJ := min(obN-js, obR)
		minI := firstMBlock(obM)
		for jjs := js; jjs < js+minJ; {
			jj := jjChunk(js + minJ - jjs)
			call(jjs, jj, 0, minI)
			jjs += jj
		}
		for is := minI; is < obM; is += minI {
			minI = firstMBlock(obM - is)
			call(js, minJ, is, minI)
		}
	}
}

// threadedCalls enumerates the kernel calls of OpenBLAS's threaded driver
// (level3_thread.c) with tm×tn threads: OpenBLAS's m (our columns) is shared out in
// tm ranges, its n (our rows) in tm·tn; each thread multiplies its columns by the rows
// of its group of tm ranges, packing its own range two halves at a time and reading
// the others' packed halves.
func threadedCalls(obM, obN, tm, tn int, call func(r0, rows, c0, cols int)) {
	threads := tm * tn
	rangeM := splitRange(0, obM, tm)
	for js := 0; js < obN; js += obR * threads {
		nn := min(obN-js, obR*threads)
		rangeN := []int{js}
		for j := 0; j < tn; j++ {
			wn := (nn + tn - j - 1) / (tn - j)
			nn -= wn
			for i := 0; i < tm; i++ {
				w := max((wn+tm-i-1)/(tm-i), obSwitch)
				wn -= w
				if wn < 0 {
					w += wn
					wn = 0
				}
				rangeN = append(rangeN, rangeN[len(rangeN)-1]+w)
			}
		}
		half := func(t int) int { return (rangeN[t+1] - rangeN[t] + 1) / 2 }
		for t := 0; t < threads; t++ {
			group := t / tm
			mFrom, mTo := rangeM[t%tm], rangeM[t%tm+1]
			if mTo <= mFrom {
				continue
			}
			next := func(cur int) int {
				if cur++; cur >= (group+1)*tm {
					cur = group * tm
				}
				return cur
			}
			minI := firstMBlock(mTo - mFrom)
			// Its own rows: packed half by half, multiplied as they are packed.
			if d := half(t); d > 0 {
				for h := rangeN[t]; h < rangeN[t+1]; h += d {
					end := min(rangeN[t+1], h+d)
					for jjs := h; jjs < end; {
						jj := jjChunk(end - jjs)
						call(jjs, jj, mFrom, minI)
						jjs += jj
					}
				}
			}
			// The other threads' rows of its group, a packed half at a time.
			for cur := next(t); cur != t; cur = next(cur) {
				if d := half(cur); d > 0 {
					for h := rangeN[cur]; h < rangeN[cur+1]; h += d {
						call(h, min(rangeN[cur+1]-h, d), mFrom, minI)
					}
				}
			}
			// Its later column blocks, over every range of the group.
			for is := mFrom + minI; is < mTo; is += minI {
				minI = nextMBlockThreaded(mTo - is)
				cur := t
				for {
					if d := half(cur); d > 0 {
						for h := rangeN[cur]; h < rangeN[cur+1]; h += d {
							call(h, min(rangeN[cur+1]-h, d), is, minI)
						}
					}
					if cur = next(cur); cur == t {
						break
					}
				}
			}
		}
	}
}

// splitRange cuts [from, to) into parts ranges as even as possible (the first ones
// longer): the bounds, parts+1 of them.
func splitRange(from, to, parts int) []int {
	r := []int{from}
	left := to - from
	for p := 0; p < parts; p++ {
		w := 0
		if left > 0 {
			w = (left + parts - p - 1) / (parts - p)
		}
		left -= w
		r = append(r, r[len(r)-1]+w)
	}
	return r
}

// kernelTwoChainRects reports the two-chain tiles of one call of OpenBLAS's Haswell
// sgemm kernel on rows [r0, r0+rows) and columns [c0, c0+cols) of C.
//
// The kernel takes rows 12 at a time (then 8, 4, 2, 1). In a group of 12, when it has
// at least 16 columns, it runs 16-column tiles alternately over its upper and lower 6
// rows, 8 columns apart: the upper ones start at column 8 after an 8-column two-chain
// tile, and whichever half is left with 8 columns at the end gets another. In a group
// of 4 rows every whole 8 columns are a two-chain tile. All else is single chains.
func kernelTwoChainRects(r0, rows, c0, cols int, fn func(r0, rows, c0, cols int)) {
	r := 0
	for ; rows-r >= 12; r += 12 {
		if cols < 16 {
			continue
		}
		fn(r0+r, 6, c0, 8)
		c, left := 0, cols
		for {
			c, left = c+8, left-8 // a lower 16-column tile
			if left < 16 {
				fn(r0+r, 6, c0+c, 8)
				break
			}
			c, left = c+8, left-8 // an upper one
			if left < 16 {
				fn(r0+r+6, 6, c0+c, 8)
				break
			}
		}
	}
	if rows-r >= 8 {
		r += 8 // a group of 8 rows: single chains
	}
	if rows-r >= 4 && cols >= 8 {
		fn(r0+r, 4, c0, cols/8*8)
	}
}

// orderRef computes C = alpha·op(A)·op(B) + beta·C one element at a time in
// OpenBLAS's order. It is the reference Ordered is tested against, and what Ordered uses
// for the rare alpha other than 1 (Caffe multiplies with alpha 1 except for k = 1).
func orderRef(g *gemm) {
	twoChain := make([]bool, g.m*g.n)
	twoChainRects(g.m, g.n, g.k, func(r0, rows, c0, cols int) {
		for i := r0; i < r0+rows; i++ {
			for j := c0; j < c0+cols; j++ {
				twoChain[i*g.n+j] = true
			}
		}
	})
	at := func(i, p int) float32 {
		if g.transA {
			return g.a[p*g.lda+i]
		}
		return g.a[i*g.lda+p]
	}
	bt := func(p, j int) float32 {
		if g.transB {
			return g.b[j*g.ldb+p]
		}
		return g.b[p*g.ldb+j]
	}
	for i := 0; i < g.m; i++ {
		for j := 0; j < g.n; j++ {
			c := &g.c[i*g.ldc+j]
			switch g.beta {
			case 0:
				*c = 0
			case 1:
			default:
				*c *= g.beta
			}
			for p0 := 0; p0 < g.k; {
				p1 := nextKBlock(g.m, g.n, g.k, p0)
				var s float32
				if kk := p1 - p0; twoChain[i*g.n+j] && kk >= obTwoChain {
					main := kk / 8 * 8
					var even, odd float32
					for p := p0; p < p0+main; p += 2 {
						even = fmaf(at(i, p), bt(p, j), even)
						odd = fmaf(at(i, p+1), bt(p+1, j), odd)
					}
					for p := p0 + main; p < p1; p++ {
						even = fmaf(at(i, p), bt(p, j), even)
					}
					s = even + odd
				} else {
					for p := p0; p < p1; p++ {
						s = fmaf(at(i, p), bt(p, j), s)
					}
				}
				*c = fmaf(s, g.alpha, *c)
				p0 = p1
			}
		}
	}
}
