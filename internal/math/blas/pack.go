package blas

// Packing copies a block of op(A) or op(B) into the order the micro-kernel reads it.
// The block drivers here cut it into slivers; packAN, packAT, packBN and packBT
// (kernel_amd64.go, kernel_noasm.go) pack them, in assembly where they can, with
// the portable functions below for the rest.

// packA packs op(A)[i0:i0+mm, p0:p0+kk] into slivers of mr rows: sliver s holds, for
// each p in turn, the mr values op(A)[i0+s·mr+r, p0+p]. Rows past mm are zero.
func (g *gemm) packA(ws *workspace, dst []float32, i0, mm, p0, kk int) {
	for s := 0; s < mm; s += mr {
		d := dst[s*kk : (s+mr)*kk]
		rows := min(mr, mm-s)
		switch {
		case g.transA:
			// op(A)[i, p] = A[p, i]
			packAT(d, g.a[p0*g.lda+i0+s:], g.lda, kk, rows)
		case rows < mr && useAsm:
			// A ragged sliver is copied into a zero-padded one first, so that the
			// assembly can pack it.
			pad := ws.padded(mr, kk, rows)
			for r := 0; r < rows; r++ {
				copy(pad[r*kk:(r+1)*kk], g.a[(i0+s+r)*g.lda+p0:])
			}
			packAN(d, pad, kk, kk, mr)
		default:
			packAN(d, g.a[(i0+s)*g.lda+p0:], g.lda, kk, rows)
		}
	}
}

// packB packs op(B)[p0:p0+kk, j0:j0+nn] into slivers of nr columns: sliver s holds,
// for each p in turn, the nr values op(B)[p0+p, j0+s·nr+j]. Columns past nn are zero.
func (g *gemm) packB(ws *workspace, dst []float32, p0, kk, j0, nn int) {
	if g.packer != nil {
		g.packer.PackB(dst[:roundUp(nn, nr)*kk], p0, kk, j0, nn)
		return
	}
	if !g.transB {
		packBN(dst, g.b[p0*g.ldb+j0:], g.ldb, kk, nn)
		return
	}
	for s := 0; s < nn; s += nr {
		// op(B)[p, j] = B[j, p]
		d := dst[s*kk : (s+nr)*kk]
		cols := min(nr, nn-s)
		if cols < nr && useAsm {
			// As in packA, a ragged sliver goes through a zero-padded copy.
			pad := ws.padded(nr, kk, cols)
			for c := 0; c < cols; c++ {
				copy(pad[c*kk:(c+1)*kk], g.b[(j0+s+c)*g.ldb+p0:])
			}
			packBT(d, pad, kk, kk, nr)
			continue
		}
		packBT(d, g.b[(j0+s)*g.ldb+p0:], g.ldb, kk, cols)
	}
}

// padded returns ws.pad as rows×kk with rows from used on zero, for a ragged sliver of
// which the caller fills the first used rows.
func (ws *workspace) padded(rows, kk, used int) []float32 {
	ws.pad = grow(ws.pad, rows*kk)
	clear(ws.pad[used*kk:])
	return ws.pad
}

// packANGo packs one sliver from row-major A: d[p·mr+r] = a[r·lda+p] for p < kk,
// r < rows, and zero for the rows past rows.
func packANGo(d, a []float32, lda, kk, rows int) {
	if rows < mr {
		clear(d[:kk*mr])
		for r := 0; r < rows; r++ {
			for p, v := range a[r*lda:][:kk] {
				d[p*mr+r] = v
			}
		}
		return
	}
	// Six rows read side by side, interleaved into the sliver.
	r0, r1, r2 := a[:kk], a[lda:][:kk], a[2*lda:][:kk]
	r3, r4, r5 := a[3*lda:][:kk], a[4*lda:][:kk], a[5*lda:][:kk]
	for p := range r0 {
		dp := (*[mr]float32)(d[p*mr:])
		dp[0], dp[1], dp[2], dp[3], dp[4], dp[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
	}
}

// packATGo packs one sliver from transposed A: d[p·mr+r] = a[p·lda+r] for p < kk,
// r < rows, and zero for the rows past rows.
func packATGo(d, a []float32, lda, kk, rows int) {
	for p := 0; p < kk; p++ {
		dp := (*[mr]float32)(d[p*mr:])
		if rows == mr {
			*dp = *(*[mr]float32)(a[p*lda:])
			continue
		}
		*dp = [mr]float32{}
		copy(dp[:rows], a[p*lda:])
	}
}

// packBNGo packs a block of row-major B, b at its first element, into nr-column
// slivers: d[(s·kk+p)·nr+j] = b[p·ldb+s·nr+j], zero past column nn.
func packBNGo(d, b []float32, ldb, kk, nn int) {
	for s := 0; s < nn; s += nr {
		ds := d[s*kk : (s+nr)*kk]
		cols := min(nr, nn-s)
		for p := 0; p < kk; p++ {
			dp := (*[nr]float32)(ds[p*nr:])
			if cols == nr {
				*dp = *(*[nr]float32)(b[p*ldb+s:])
				continue
			}
			*dp = [nr]float32{}
			copy(dp[:cols], b[p*ldb+s:])
		}
	}
}

// packBTGo packs one sliver from transposed B: d[p·nr+c] = b[c·ldb+p] for p < kk,
// c < cols, and zero for the columns past cols.
func packBTGo(d, b []float32, ldb, kk, cols int) {
	if cols < nr {
		clear(d[:kk*nr])
	}
	// Each row of B is read once and scattered down one column of the sliver.
	for c := 0; c < cols; c++ {
		for p, v := range b[c*ldb:][:kk] {
			d[p*nr+c] = v
		}
	}
}
