package blas

import (
	"sync"

	"github.com/gocaffe/gocaffe/internal/math/parallel"
)

// The driver both products share, organised like GotoBLAS and BLIS. The k×n panel of
// op(B) is cut into blocks of at most one k block × nc, each packed once into
// nr-column slivers; the m×k panel of op(A) into blocks of at most mc × one k block,
// packed into mr-row slivers. A register-blocked mr×nr micro-kernel (AVX2/FMA
// assembly on amd64, portable Go elsewhere) then multiplies one A sliver by one B
// sliver; where the CPU has AVX-512, a 2mr×2nr kernel takes two of each at a time,
// with the same bits. Packing absorbs the transpositions, so all four cases run the
// same kernel, and its zero padding turns ragged edges into full tiles that are
// stored through a small buffer. Narrow tiles read A in place instead (directBlock),
// products of a few rows read B in place (directBBlock), and a convolution's B can
// come packed straight from the image (GemmPacked).
//
// Products with k == 1 (a bias added to every row) run as outer products. Large
// products are cut into tiles of C (OpenBLAS's column blocks, for Ordered where it
// keeps two chains) handed out over the cores by the parallel package's pool, each
// tile packing its own blocks; small ones run on the caller alone. Buffers come from
// pools, so a warm call allocates nothing.

// Block sizes. mr×nr is the micro-kernel's tile: 12 of the 16 YMM registers hold C,
// with 6 broadcasts and 2 loads per 12 FMAs. A k block (at most obQ = 320 steps for
// Ordered, fastKBlock for Fast) times nr is a sliver of B of at most 24 KiB, which
// stays in L1 while the kernel walks the A slivers of an mc×k block (at
// most 180 KiB), which stays in the 1 MiB L2. The kc×nc block of B (1 MiB) is smaller than L3
// needs: with m small, as in convolutions, it keeps the m×nc block of C close
// enough that the next k block finds it in cache (measured: 96×3025×363 gained 15%
// over nc = 4096).
const (
	mr = 6
	nr = 16
	mc = 144
	nc = 1024
)

// Parallel thresholds in multiply-adds (m·n·k). Below minParallel a product runs on
// the caller: waking a helper goroutine takes microseconds on an idle machine and
// far longer on a busy one, while the kernel does about 25 multiply-adds a
// nanosecond; the layers also call Gemm from their own parallel workers, so small
// products gain little from more (and find the pool's helpers busy). Above it each goroutine must have at least
// minPerWorker, and C is cut into up to tilesPerWorker tiles of at least minPerTile
// per goroutine, so that a helper that starts late still finds work.
const (
	minParallel    = 1 << 20
	minPerWorker   = 1 << 19
	minPerTile     = 1 << 18
	tilesPerWorker = 4
)

// compute computes the product (k > 1, alpha 1, beta 0 or 1), on several goroutines
// when it is large enough.
func (g *gemm) compute() {
	w, work := parallel.Workers(), g.m*g.n*g.k
	if w > 1 && work >= minParallel && !g.serial {
		w = min(w, work/minPerWorker)
		tiles := w * tilesPerWorker
		if g.plan == nil && g.direct(g.n) {
			// A narrow product (a batch-1 layer's 49 or 196 columns) cut by rows:
			// every tile packs the whole of B again, so one tile a worker.
			tiles = w
		}
		runTiles(g, w, min(tiles, work/minPerTile))
		return
	}
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	if g.plan == nil {
		g.run(ws, 0, g.m, 0, g.n)
		return
	}
	for i := range g.plan.blocks {
		g.orderedBlock(ws, &g.plan.blocks[i])
	}
}

// gemm holds the operands of one Sgemm call.
type gemm struct {
	transA, transB bool
	m, n, k        int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	beta           float32
	c              []float32
	ldc            int
	ordered        bool       // OpenBLAS's k blocks (Ordered) rather than Fast's
	serial         bool       // on the caller alone (GemmOne)
	plan           *orderPlan // OpenBLAS's cut, where it sums two chains; nil where nowhere
	packer         BPacker    // packs B in place of g.b (GemmPacked)
	// parts, when set, receive the k blocks' sums (each m×n, densely packed) instead
	// of C (SgemmBlocks).
	parts [][]float32
}

// block returns the product to write k block number bi of into, and the beta to
// write it with: g itself, or a copy writing into the block's part.
func (g *gemm) block(bi int, beta float32) (*gemm, float32) {
	if g.parts == nil {
		return g, beta
	}
	t := *g
	t.c, t.ldc = g.parts[bi], g.n
	return &t, 0
}

// workspace holds one goroutine's packed blocks, reused from call to call.
type workspace struct {
	a, b     []float32
	x, acc   []float32                // a gathered vector and a row of products, for rank1
	ga       []float32                // rows of A gathered for a column block's scattered groups
	swap     []float32                // Cᵀ of a swapped product (Fast)
	pad      []float32                // a ragged sliver, zero-padded before packing
	edge     [mr * nr]float32         // an edge tile, before its valid part is merged into C
	wideEdge [2 * mr * 2 * nr]float32 // the same for the wide kernel
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

// run computes the tile C[i0:i1, j0:j1].
func (g *gemm) run(ws *workspace, i0, i1, j0, j1 int) {
	kb := g.kBlockEnd(0)
	mb := evenBlock(i1-i0, mc, mr)
	nb := evenBlock(j1-j0, nc, nr)
	if cap(ws.a) < mb*kb {
		ws.a = make([]float32, mb*kb)
	}
	// Room for an even number of B slivers: the direct path pairs the last one with
	// a zero sliver.
	if n := roundUp(nb, 2*nr) * kb; cap(ws.b) < n {
		ws.b = make([]float32, n)
	}
	direct := g.direct(j1 - j0)
	directB := g.directB(i1 - i0)
	var kk int
	for jc := j0; jc < j1; jc += nb {
		nn := min(nb, j1-jc)
		for pc, bi := 0, 0; pc < g.k; pc, bi = pc+kk, bi+1 {
			kk = g.kBlockEnd(pc) - pc
			// The first k block applies beta; the later ones add to it.
			beta := g.beta
			if pc > 0 {
				beta = 1
			}
			g, beta := g.block(bi, beta)
			if directB {
				g.directBBlock(ws, i0, i1-i0, jc, nn, pc, kk, beta)
				continue
			}
			bp := ws.b[:roundUp(nn, nr)*kk]
			g.packB(ws, bp, pc, kk, jc, nn)
			if direct {
				bp = ws.b[:roundUp(nn, 2*nr)*kk]
				clear(bp[roundUp(nn, nr)*kk:])
			}

			for ic := i0; ic < i1; ic += mb {
				mm := min(mb, i1-ic)
				if direct {
					g.directBlock(ws, bp, ic, mm, jc, nn, pc, kk, beta)
					continue
				}
				ap := ws.a[:roundUp(mm, mr)*kk]
				g.packA(ws, ap, ic, mm, pc, kk)
				g.macroKernel(ws, ap, bp, ic, mm, jc, nn, kk, beta)
			}
		}
	}
}

// maxDirectN is the widest tile of C whose A is read in place rather than packed.
// Each packed value of A serves every column of the tile, so packing pays for
// itself on wide tiles; on narrow ones (ResNet's 7×7 and 14×14 layers, LeNet's
// conv2: 49, 196, 64 columns) it is a large share of the work.
const maxDirectN = 256

// direct reports whether a tile n columns wide reads A in place (directBlock).
func (g *gemm) direct(n int) bool { return !g.transA && n <= maxDirectN && useDirect() }

// directBlock multiplies rows ic to ic+mm of A, read in place, by a packed kk×nn block
// of B (with a zero sliver after an odd last one) into C[ic:ic+mm, jc:jc+nn]: whole
// 12-row groups by the direct wide kernel, a last 8 or 4 rows by its 8- and 4-row
// versions, other leftover rows packed and through macroKernel. Same bits as the
// packed path.
func (g *gemm) directBlock(ws *workspace, bp []float32, ic, mm, jc, nn, pc, kk int, beta float32) {
	rows := mm / (2 * mr) * (2 * mr)
	left := mm - rows
	if left == 8 || left == 4 {
		rows += left // exactly a smaller kernel's rows: read in place too
	} else if left > 0 {
		ap := ws.a[:roundUp(left, mr)*kk]
		g.packA(ws, ap, ic+rows, left, pc, kk)
		g.macroKernel(ws, ap, bp, ic+rows, left, jc, nn, kk, beta)
	}
	for jr := 0; jr < nn; jr += 2 * nr {
		b0, b1 := bp[jr*kk:(jr+nr)*kk], bp[(jr+nr)*kk:(jr+2*nr)*kk]
		cols := min(2*nr, nn-jr)
		for ir := 0; ir < rows; ir += 2 * mr {
			n := min(2*mr, rows-ir) // 12, or a last 8 or 4
			a := g.a[(ic+ir)*g.lda+pc:]
			off := (ic+ir)*g.ldc + jc + jr
			switch {
			case n == 2*mr && cols == 2*nr:
				kernelWideDirect(kk, a, g.lda, b0, b1, g.c[off:], g.ldc, g.alpha, beta)
			case n == 2*mr:
				kernelWideDirect(kk, a, g.lda, b0, b1, ws.wideEdge[:], 2*nr, g.alpha, 0)
				g.mergeEdge(ws.wideEdge[:], 2*nr, off, n, cols, beta)
			case cols == 2*nr:
				kernelWideDirectRows(n, kk, a, g.lda, b0, b1, g.c[off:], g.ldc, g.alpha, beta)
			default:
				kernelWideDirectRows(n, kk, a, g.lda, b0, b1, ws.wideEdge[:], 2*nr, g.alpha, 0)
				g.mergeEdge(ws.wideEdge[:], 2*nr, off, n, cols, beta)
			}
		}
	}
}

// directB reports whether a tile of mm rows reads B in place (directBBlock): a
// stored, untransposed B times at most one kernel's rows of A, where each value of B
// serves one kernel call and packing it would be a second pass for nothing.
func (g *gemm) directB(mm int) bool {
	return !g.transB && g.packer == nil && mm <= 2*mr && useDirect()
}

// directBBlock multiplies rows ic to ic+mm of A (mm ≤ 2mr), packed, by columns jc to
// jc+nn of the k block [pc, pc+kk) of B read in place, into C: whole 2nr-column
// slivers by the direct-B kernel, the columns left over packed and through
// macroKernel. Same bits as the packed path.
func (g *gemm) directBBlock(ws *workspace, ic, mm, jc, nn, pc, kk int, beta float32) {
	ap := ws.a[:roundUp(mm, mr)*kk]
	g.packA(ws, ap, ic, mm, pc, kk)
	full := nn / (2 * nr) * (2 * nr)
	a0, a1 := ap[:mr*kk], ap[:mr*kk] // rows past mm: computed from any sliver, never stored
	if mm > mr {
		a1 = ap[mr*kk : 2*mr*kk]
	}
	for jr := 0; jr < full; jr += 2 * nr {
		b := g.b[pc*g.ldb+jc+jr:]
		off := ic*g.ldc + jc + jr
		if mm == 2*mr {
			kernelWideDirectB(kk, a0, a1, b, g.ldb, g.c[off:], g.ldc, g.alpha, beta)
			continue
		}
		kernelWideDirectB(kk, a0, a1, b, g.ldb, ws.wideEdge[:], 2*nr, g.alpha, 0)
		g.mergeEdge(ws.wideEdge[:], 2*nr, off, mm, 2*nr, beta)
	}
	if full < nn {
		bp := ws.b[:roundUp(nn-full, nr)*kk]
		g.packB(ws, bp, pc, kk, jc+full, nn-full)
		g.macroKernel(ws, ap, bp, ic, mm, jc+full, nn-full, kk, beta)
	}
}

// macroKernel multiplies a packed mm×kk block of A by a packed kk×nn block of B into
// C[ic:ic+mm, jc:jc+nn]. Where the CPU has AVX-512, pairs of B slivers times pairs of
// A slivers go to the wide kernel (its 8- and 4-row versions for the last rows), —
// through an edge buffer where the block is ragged (packing zero-pads it) — and what
// is left tile by tile.
func (g *gemm) macroKernel(ws *workspace, ap, bp []float32, ic, mm, jc, nn, kk int, beta float32) {
	for jr := 0; jr < nn; {
		if !useAVX512 || jr+nr >= nn {
			// One B sliver left (or no wide kernel): 6×16 tiles.
			for ir := 0; ir < mm; ir += mr {
				g.tile(ws, ap, bp, ic, ir, mm, jc, jr, nn, kk, beta)
			}
			jr += nr
			continue
		}
		b0, b1 := bp[jr*kk:(jr+nr)*kk], bp[(jr+nr)*kk:(jr+2*nr)*kk]
		cols := min(2*nr, nn-jr)
		for ir := 0; ir < mm; ir += 2 * mr {
			rows := min(2*mr, mm-ir)
			off := (ic+ir)*g.ldc + jc + jr
			a0 := ap[ir*kk : (ir+mr)*kk]
			// The kernel that covers the rows left: 4, 8 or 12 of them.
			kr := 2 * mr
			switch {
			case rows <= 4:
				kr = 4
			case rows <= 8:
				kr = 8
			}
			a1 := a0 // rows past the packed ones: computed from a0, never stored
			if rows > mr {
				a1 = ap[(ir+mr)*kk : (ir+2*mr)*kk]
			}
			switch {
			case kr == 2*mr && rows == kr && cols == 2*nr:
				kernelWide(kk, a0, a1, b0, b1, g.c[off:], g.ldc, g.alpha, beta)
			case kr == 2*mr:
				kernelWide(kk, a0, a1, b0, b1, ws.wideEdge[:], 2*nr, g.alpha, 0)
				g.mergeEdge(ws.wideEdge[:], 2*nr, off, rows, cols, beta)
			case rows == kr && cols == 2*nr:
				kernelWideRows(kr, kk, a0, a1, b0, b1, g.c[off:], g.ldc, g.alpha, beta)
			default:
				kernelWideRows(kr, kk, a0, a1, b0, b1, ws.wideEdge[:], 2*nr, g.alpha, 0)
				g.mergeEdge(ws.wideEdge[:], 2*nr, off, rows, cols, beta)
			}
		}
		jr += 2 * nr
	}
}

// tile computes the mr×nr tile of C at row ic+ir, column jc+jr, clipped to the
// block's mm×nn, from the A sliver at ir and the B sliver at jr.
func (g *gemm) tile(ws *workspace, ap, bp []float32, ic, ir, mm, jc, jr, nn, kk int, beta float32) {
	as, bs := ap[ir*kk:(ir+mr)*kk], bp[jr*kk:(jr+nr)*kk]
	rows, cols := min(mr, mm-ir), min(nr, nn-jr)
	off := (ic+ir)*g.ldc + jc + jr
	if rows == mr && cols == nr {
		kernel(kk, as, bs, g.c[off:], g.ldc, g.alpha, beta)
		return
	}
	// A ragged tile: the kernel fills the whole buffer, of which only rows×cols
	// belong in C.
	kernel(kk, as, bs, ws.edge[:], nr, g.alpha, 0)
	g.mergeEdge(ws.edge[:], nr, off, rows, cols, beta)
}

// mergeEdge stores the rows×cols corner of an edge buffer (row stride ld, holding
// alpha·Ã·B̃) into C at off: C = edge + beta·C. For beta 0 and 1, the values gocaffe
// uses, that is the bits the kernels' own merge gives.
func (g *gemm) mergeEdge(edge []float32, ld, off, rows, cols int, beta float32) {
	for r := 0; r < rows; r++ {
		dst := g.c[off+r*g.ldc : off+r*g.ldc+cols]
		src := edge[r*ld : r*ld+cols]
		switch beta {
		case 0:
			copy(dst, src)
		case 1:
			// C + 1·edge: axpy's fused multiply-add gives these same bits, eight at a
			// time (a later k block always merges with beta 1).
			axpy32(1, src, dst)
		default:
			for j, v := range src {
				dst[j] = v + beta*dst[j]
			}
		}
	}
}

// runTiles computes C on up to w goroutines of the shared pool, over a grid of at
// most tiles tiles of C chosen so that each does about the same work with the least
// duplicated packing.
func runTiles(g *gemm, w, tiles int) {
	t := tilings.Get().(*tiling)
	t.g = *g
	t.choose(tiles)
	parallel.RunEach(t.count(), w, t)
	t.g = gemm{} // drop the caller's matrices
	tilings.Put(t)
}

// tiling cuts C into pm×pn tiles of tm×tn (ragged at the ends) handed out in turn
// to whoever asks next.
type tiling struct {
	g              gemm
	pm, pn, tm, tn int
}

var tilings = sync.Pool{New: func() any { return new(tiling) }}

func (t *tiling) count() int {
	if t.g.plan != nil {
		return len(t.g.plan.blocks)
	}
	return t.pm * t.pn
}

// choose picks the grid of at most w tiles that minimises the cost of the largest:
// its multiply-adds, padded to whole slivers, plus its packing, which costs roughly
// as much per element as packCost multiply-adds.
func (t *tiling) choose(w int) {
	const packCost = 16
	m, n, k := t.g.m, t.g.n, t.g.k
	best := -1
	for pm := 1; pm <= w; pm++ {
		pn := w / pm
		tm := roundUp((m+pm-1)/pm, mr)
		tn := roundUp((n+pn-1)/pn, nr)
		cost := tm*tn*k + packCost*(tm+tn)*k
		if best < 0 || cost < best {
			best = cost
			t.tm, t.tn = tm, tn
			t.pm, t.pn = (m+tm-1)/tm, (n+tn-1)/tn
		}
	}
}

// Range computes the tiles [lo, hi) (a parallel.Ranger).
func (t *tiling) Range(lo, hi int) {
	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)
	g := &t.g
	for i := lo; i < hi; i++ {
		if g.plan != nil {
			// OpenBLAS's column blocks, in its order within each.
			g.orderedBlock(ws, &g.plan.blocks[i])
			continue
		}
		i0, j0 := (i/t.pn)*t.tm, (i%t.pn)*t.tn
		g.run(ws, i0, min(i0+t.tm, g.m), j0, min(j0+t.tn, g.n))
	}
}

// kBlockEnd returns the end of the k block that starts at p0: OpenBLAS's for Ordered
// (openblas_order.go; they decide the rounding), Fast's own otherwise.
func (g *gemm) kBlockEnd(p0 int) int {
	if g.ordered {
		return nextKBlock(g.m, g.n, g.k, p0)
	}
	return fastKBlockEnd(g.n, g.k, p0)
}

// evenBlock returns the block size that cuts n into the fewest blocks of at most max
// (a multiple of unit), as evenly as possible, rounded up to a multiple of unit.
func evenBlock(n, max, unit int) int {
	blocks := (n + max - 1) / max
	return roundUp((n+blocks-1)/blocks, unit)
}

func roundUp(n, unit int) int { return (n + unit - 1) / unit * unit }
