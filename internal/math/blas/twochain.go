package blas

import (
	"slices"
	"sync"
	"sync/atomic"
)

// Where OpenBLAS sums some elements with two chains (openblas_order.go), Ordered cuts the
// product as OpenBLAS does: into OpenBLAS's column blocks, each k block, and in each
// block the groups of rows (12, 8, 4, 2, 1) OpenBLAS's kernel takes. The single chains
// go through the macro-kernel as everywhere; the two-chain tiles through a kernel
// that keeps both chains (kernelTwoChain).

// shape is the key of the cache of plans.
type shape struct{ m, n, k int }

// rowGroup is a band of rows [r0, r0+rows) of a column block that Ordered computes alike:
// a group of 12 rows OpenBLAS's kernel cuts into its tiles, or consecutive groups of 4
// (two chains, for the whole 8 columns), or consecutive groups of other sizes (single
// chains).
type rowGroup struct {
	r0, rows int
	kind     groupKind
}

type groupKind int

const (
	groupTiles groupKind = iota // 12 rows, at least 16 columns
	groupFours                  // groups of 4 rows
	groupChain                  // single chains only
)

// colBlock is a block of columns [c0, c0+cols) of OpenBLAS's cut, with the groups of
// rows its kernel calls take.
type colBlock struct {
	c0, cols int
	groups   []rowGroup
	// Groups of 4 rows, and groups of single chains, scattered between others: their
	// rows, gathered so that the kernel's slivers of 6 rows are full.
	fourRows, chainRows []int
}

// orderPlan is OpenBLAS's cut of a product, for Ordered to follow.
type orderPlan struct{ blocks []colBlock }

// plans remembers each shape's plan: a net multiplies the same few shapes over and
// over. Reads take no lock — the map is never changed once published; a new plan is
// added to a copy, under planMu, and the copy published.
var (
	plans  atomic.Pointer[map[shape]*orderPlan]
	planMu sync.Mutex
)

// orderPlanOf returns the plan of an m×n×k product; nil when k is too short for two
// chains anywhere, so that any cut of the product gives OpenBLAS's bits.
func orderPlanOf(m, n, k int) *orderPlan {
	if k < obTwoChain {
		return nil
	}
	key := shape{m, n, k}
	if cur := plans.Load(); cur != nil {
		if p, ok := (*cur)[key]; ok {
			return p
		}
	}
	planMu.Lock()
	defer planMu.Unlock()
	cur := plans.Load()
	if cur != nil {
		if p, ok := (*cur)[key]; ok {
			return p
		}
	}
	p := makeOrderPlan(m, n, k)
	next := make(map[shape]*orderPlan, 1)
	if cur != nil {
		for s, q := range *cur {
			next[s] = q
		}
	}
	next[key] = p
	plans.Store(&next)
	return p
}

// makeOrderPlan follows OpenBLAS's cut of an m×n×k product (k ≥ obTwoChain).
func makeOrderPlan(m, n, k int) *orderPlan {
	p := new(orderPlan)
	index := map[[2]int]int{}
	kernelCalls(m, n, k, func(r0, rows, c0, cols int) {
		b, ok := index[[2]int{c0, cols}]
		if !ok {
			b = len(p.blocks)
			index[[2]int{c0, cols}] = b
			p.blocks = append(p.blocks, colBlock{c0: c0, cols: cols})
		}
		blk := &p.blocks[b]
		// The kernel's groups: 12 rows while it can, then 8, 4, 2, 1.
		kind := func(size int) groupKind {
			switch {
			case size == 12 && cols >= 16:
				return groupTiles
			case size == 4:
				return groupFours
			}
			return groupChain
		}
		for ; rows >= 12; rows -= 12 {
			blk.groups = append(blk.groups, rowGroup{r0, 12, kind(12)})
			r0 += 12
		}
		for _, size := range []int{8, 4, 2, 1} {
			// Fewer than 12 rows are left: each size at most once.
			if rows >= size {
				blk.groups = append(blk.groups, rowGroup{r0, size, kind(size)})
				r0, rows = r0+size, rows-size
			}
		}
	})
	for b := range p.blocks {
		gatherGroups(&p.blocks[b])
	}
	return p
}

// mergeGroups sorts a column block's groups by row and merges neighbours of the same
// kind but groupTiles into one band: a sliver of 6 rows then seldom holds fewer.
func mergeGroups(groups []rowGroup) []rowGroup {
	slices.SortFunc(groups, func(x, y rowGroup) int { return x.r0 - y.r0 })
	var merged []rowGroup
	for _, grp := range groups {
		if l := len(merged) - 1; l >= 0 && grp.kind != groupTiles && merged[l].kind == grp.kind && merged[l].r0+merged[l].rows == grp.r0 {
			merged[l].rows += grp.rows
			continue
		}
		merged = append(merged, grp)
	}
	return merged
}

// gatherGroups merges a column block's neighbouring groups of a kind; where groups
// of 4, or of single chains, are still more than one, it gathers their rows instead.
func gatherGroups(blk *colBlock) {
	var keep, fours, chain []rowGroup
	for _, grp := range mergeGroups(blk.groups) {
		switch grp.kind {
		case groupTiles:
			keep = append(keep, grp)
		case groupFours:
			fours = append(fours, grp)
		default:
			chain = append(chain, grp)
		}
	}
	rowsOf := func(groups []rowGroup) []int {
		var rows []int
		for _, grp := range groups {
			for r := grp.r0; r < grp.r0+grp.rows; r++ {
				rows = append(rows, r)
			}
		}
		return rows
	}
	if len(fours) > 1 {
		blk.fourRows = rowsOf(fours)
	} else {
		keep = append(keep, fours...)
	}
	if len(chain) > 1 {
		blk.chainRows = rowsOf(chain)
	} else {
		keep = append(keep, chain...)
	}
	blk.groups = keep
}

// orderedBlock computes the column block blk of C: k block by k block, B packed once
// per block into slivers from blk's first column, A group by group.
func (g *gemm) orderedBlock(ws *workspace, blk *colBlock) {
	nn := roundUp(blk.cols, nr)
	for p0, bi := 0, 0; p0 < g.k; bi++ {
		p1 := nextKBlock(g.m, g.n, g.k, p0)
		kk := p1 - p0
		beta := g.beta
		if p0 > 0 {
			beta = 1 // the first k block applies beta; the later ones add to it
		}
		g, beta := g.block(bi, beta)
		ws.b = grow(ws.b, nn*kk)
		g.packB(ws, ws.b, p0, kk, blk.c0, blk.cols)
		for _, grp := range blk.groups {
			ws.a = grow(ws.a, roundUp(grp.rows, mr)*kk)
			g.packA(ws, ws.a, grp.r0, grp.rows, p0, kk)
			g.orderedGroup(ws, blk, grp, kk, beta)
		}
		g.gathered(ws, blk, blk.fourRows, kk >= obTwoChain, p0, kk, beta)
		g.gathered(ws, blk, blk.chainRows, false, p0, kk, beta)
		p0 = p1
	}
}

// orderedGroup computes one group of rows of a column block for one k block of kk
// steps, from A packed in ws.a and B in ws.b.
func (g *gemm) orderedGroup(ws *workspace, blk *colBlock, grp rowGroup, kk int, beta float32) {
	two := kk >= obTwoChain
	cols := blk.cols
	sliver := func(c int) []float32 { return ws.b[c/nr*nr*kk:] } // the sliver holding column c
	ap, bp := ws.a[:roundUp(grp.rows, mr)*kk], ws.b[:roundUp(cols, nr)*kk]
	switch {
	case grp.kind == groupTiles && two:
		// In a group of 12, OpenBLAS's kernel runs 16-column tiles on the lower and the
		// upper six rows alternately, the upper ones 8 columns further on, after an
		// 8-column two-chain tile on the upper rows; whichever half is left with 8
		// columns takes another. All but those two tiles are single chains: the whole
		// group is computed as such, then the two tiles again from C as it was.
		type tile struct{ row, col int } // row 0 (upper) or mr (lower)
		units := [2]tile{{0, 0}}
		for c, left := 8, cols-8; ; c, left = c+16, left-16 {
			if left < 16 {
				units[1] = tile{0, c}
				break
			}
			if left-8 < 16 {
				units[1] = tile{mr, c + 8}
				break
			}
		}
		var before [2][mr * 8]float32
		if beta != 0 {
			for u, t := range units {
				for r := range mr {
					// Whole arrays: moved in registers, not by a call to memmove.
					*(*[8]float32)(before[u][r*8:]) = *(*[8]float32)(g.c[(grp.r0+t.row+r)*g.ldc+blk.c0+t.col:])
				}
			}
		}
		g.macroKernel(ws, ap, bp, grp.r0, grp.rows, blk.c0, cols, kk, beta)
		for u, t := range units {
			if beta != 0 {
				for r := range mr {
					*(*[8]float32)(g.c[(grp.r0+t.row+r)*g.ldc+blk.c0+t.col:]) = *(*[8]float32)(before[u][r*8:])
				}
			}
			g.unit(ws, ap[t.row*kk:], sliver(t.col), kk, grp.r0+t.row, mr, blk.c0+t.col, t.col%nr, 8, true, beta)
		}
	case grp.kind == groupFours && two:
		// Every whole 8 columns are two-chain tiles; the columns after them single chains.
		whole := cols / 8 * 8
		for ir := 0; ir < grp.rows; ir += mr {
			as, rows := ws.a[ir*kk:(ir+mr)*kk], min(mr, grp.rows-ir)
			for c := 0; c < cols; c += nr {
				if w := min(nr, whole-c); w > 0 {
					g.unit(ws, as, sliver(c), kk, grp.r0+ir, rows, blk.c0+c, 0, w, true, beta)
				}
				if c+nr > whole && whole < cols {
					from := max(c, whole)
					g.unit(ws, as, sliver(c), kk, grp.r0+ir, rows, blk.c0+from, from-c, min(c+nr, cols)-from, false, beta)
				}
			}
		}
	default:
		// Single chains only: any tiling gives OpenBLAS's bits.
		g.macroKernel(ws, ap, bp, grp.r0, grp.rows, blk.c0, cols, kk, beta)
	}
}

// gathered computes the given rows of a column block for the k block [p0, p0+kk),
// their A rows gathered and packed, B as packed in ws.b: the whole 8 columns with two
// chains when two (groups of 4), the rest single chains.
func (g *gemm) gathered(ws *workspace, blk *colBlock, rows []int, two bool, p0, kk int, beta float32) {
	n := len(rows)
	if n == 0 {
		return
	}
	// Pack the rows straight into slivers of mr, zero-padded.
	ws.a = grow(ws.a, roundUp(n, mr)*kk)
	for s := 0; s < n; s += mr {
		d, cnt := ws.a[s*kk:(s+mr)*kk], min(mr, n-s)
		if cnt < mr && g.transA {
			clear(d)
		}
		if !g.transA {
			// The rows side by side in a padded buffer, then packed as usual.
			pad := ws.padded(mr, kk, cnt)
			for i, r := range rows[s : s+cnt] {
				copy(pad[i*kk:(i+1)*kk], g.a[r*g.lda+p0:])
			}
			packAN(d, pad, kk, kk, mr)
			continue
		}
		for i, r := range rows[s : s+cnt] {
			col := g.a[p0*g.lda+r:]
			for p := range kk {
				d[p*mr+i] = col[p*g.lda]
			}
		}
	}
	whole := 0
	if two {
		whole = blk.cols / 8 * 8
	}
	var sum [mr * nr]float32
	for s := 0; s < n; s += mr {
		as, sliverRows := ws.a[s*kk:(s+mr)*kk], rows[s:min(s+mr, n)]
		for c := 0; c < blk.cols; c += nr {
			bs, w := ws.b[c*kk:(c+nr)*kk], min(nr, blk.cols-c)
			twoW := min(max(whole-c, 0), w) // the first twoW columns sum two chains
			switch {
			case twoW > 8:
				kernelTwoChain(kk, as, bs, sum[:], nr, 0)
				g.scatter(sum[:], sliverRows, blk.c0+c, 0, twoW, beta)
			case twoW > 0:
				kernelTwoChain8(kk, as, bs, sum[:], nr, 0)
				g.scatter(sum[:], sliverRows, blk.c0+c, 0, twoW, beta)
			}
			if twoW < w {
				kernel(kk, as, bs, sum[:], nr, 1, 0)
				g.scatter(sum[:], sliverRows, blk.c0+c, twoW, w, beta)
			}
		}
	}
}

// scatter stores columns [from, to) of a tile's rows (row stride nr) into the rows of
// C given, from column j: C = tile + beta·C (beta 0 or 1).
func (g *gemm) scatter(tile []float32, rows []int, j, from, to int, beta float32) {
	for i, r := range rows {
		src, dst := tile[i*nr+from:i*nr+to], g.c[r*g.ldc+j+from:][:to-from]
		if beta == 0 {
			copy(dst, src)
			continue
		}
		for x, v := range src {
			dst[x] += v
		}
	}
}

// unit computes rows×cols elements of C at row i, column j from a packed A sliver and
// the columns from off on of a packed B sliver, with single chains or two.
func (g *gemm) unit(ws *workspace, as, bs []float32, kk, i, rows, j, off, cols int, two bool, beta float32) {
	if !two && rows == mr && off == 0 && cols == nr {
		kernel(kk, as, bs, g.c[i*g.ldc+j:], g.ldc, 1, beta)
		return
	}
	if two && rows == mr && off == 0 && cols == nr {
		kernelTwoChain(kk, as, bs, g.c[i*g.ldc+j:], g.ldc, beta)
		return
	}
	if two && off%8 == 0 && off+cols <= off/8*8+8 {
		// Within one half of the sliver: OpenBLAS's own 6×8 tile.
		if rows == mr && cols == 8 {
			kernelTwoChain8(kk, as, bs[off:], g.c[i*g.ldc+j:], g.ldc, beta)
			return
		}
		var half [mr * 8]float32
		kernelTwoChain8(kk, as, bs[off:], half[:], 8, 0)
		g.mergeEdge(half[:], 8, i*g.ldc+j, rows, cols, beta)
		return
	}
	var sum [mr * nr]float32
	if two {
		kernelTwoChain(kk, as, bs, sum[:], nr, 0)
	} else {
		kernel(kk, as, bs, sum[:], nr, 1, 0)
	}
	g.mergeEdge(sum[off:], nr, i*g.ldc+j, rows, cols, beta)
}

// kernelTwoChainGo is kernelTwoChain without AVX-512: the two chains by the strided
// kernel (each in assembly where the CPU has AVX2), added.
func kernelTwoChainGo(k int, a, b, c []float32, ldc int, beta float32) {
	var even, odd [mr * nr]float32
	main := k / 8 * 8
	kernelStrided(a, b, even[:], nr, main/2, 2, k-main, 1)
	kernelStrided(a[mr:], b[nr:], odd[:], nr, main/2, 2, 0, 0)
	for r := range mr {
		crow := c[r*ldc:][:nr]
		for j := range crow {
			v := float32(even[r*nr+j] + odd[r*nr+j])
			if beta == 0 {
				crow[j] = v
			} else {
				crow[j] += v
			}
		}
	}
}

// kernelTwoChain8Go is the portable narrow two-chain kernel, the reference for the
// assembly. Same contract as kernelTwoChain8.
func kernelTwoChain8Go(k int, a, b, c []float32, ldc int, beta float32) {
	var even, odd [mr][8]float32
	main := k / 8 * 8
	for p := 0; p < k; p++ {
		sums := &even
		if p < main && p%2 == 1 {
			sums = &odd
		}
		for r := range mr {
			for j := range 8 {
				sums[r][j] = fmaf(a[p*mr+r], b[p*nr+j], sums[r][j])
			}
		}
	}
	for r := range mr {
		crow := c[r*ldc:][:8]
		for j := range crow {
			v := float32(even[r][j] + odd[r][j])
			if beta == 0 {
				crow[j] = v
			} else {
				crow[j] += v
			}
		}
	}
}

// kernelStridedGo is the portable strided kernel, the reference for the assembly.
// Same contract as kernelStrided.
func kernelStridedGo(a, b, c []float32, ldc, n1, s1, n2, s2 int) {
	var acc [mr][nr]float32
	step := func(p int) {
		for r := range mr {
			for j := range nr {
				acc[r][j] = fmaf(a[p*mr+r], b[p*nr+j], acc[r][j])
			}
		}
	}
	p := 0
	for range n1 {
		step(p)
		p += s1
	}
	for range n2 {
		step(p)
		p += s2
	}
	for r := range mr {
		copy(c[r*ldc:][:nr], acc[r][:])
	}
}
