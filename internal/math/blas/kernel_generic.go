package blas

// kernelGeneric is the portable micro-kernel: the reference for the assembly one and
// the kernel wherever that cannot run (other architectures, CPUs without AVX2/FMA,
// the purego build tag). Same contract as kernel.
func kernelGeneric(k int, a, b, c []float32, ldc int, alpha, beta float32) {
	var acc [mr * nr]float32
	a, b = a[:mr*k], b[:nr*k]
	for p := 0; p < k; p++ {
		// Array pointers let the compiler drop the bounds checks of the inner loops.
		ap := (*[mr]float32)(a[p*mr:])
		bp := (*[nr]float32)(b[p*nr:])
		for r, ar := range ap {
			row := (*[nr]float32)(acc[r*nr:])
			for j, bv := range bp {
				// One rounding, as the assembly's fused multiply-add (and OpenBLAS's).
				row[j] = fmaf(ar, bv, row[j])
			}
		}
	}
	for r := 0; r < mr; r++ {
		row := (*[nr]float32)(acc[r*nr:])
		crow := (*[nr]float32)(c[r*ldc:])
		if beta == 0 {
			for j, v := range row {
				crow[j] = alpha * v
			}
			continue
		}
		for j, v := range row {
			crow[j] = alpha*v + beta*crow[j]
		}
	}
}

// kernelWideGo is the portable wide kernel: the four mr×nr tiles of a 2mr×2nr block,
// one kernel call each. Same contract as kernelWide.
func kernelWideGo(k int, a0, a1, b0, b1, c []float32, ldc int, alpha, beta float32) {
	kernel(k, a0, b0, c, ldc, alpha, beta)
	kernel(k, a0, b1, c[nr:], ldc, alpha, beta)
	kernel(k, a1, b0, c[mr*ldc:], ldc, alpha, beta)
	kernel(k, a1, b1, c[mr*ldc+nr:], ldc, alpha, beta)
}

// kernelWideDirectGo is the portable direct kernel: it packs the 2mr rows of A (lda
// apart, from a) into two slivers and runs kernelWideGo. Same contract as
// kernelWideDirect.
func kernelWideDirectGo(k int, a []float32, lda int, b0, b1, c []float32, ldc int, alpha, beta float32) {
	var slivers [2][]float32
	for s := range slivers {
		slivers[s] = make([]float32, mr*k)
		packANGo(slivers[s], a[s*mr*lda:], lda, k, mr)
	}
	kernelWideGo(k, slivers[0], slivers[1], b0, b1, c, ldc, alpha, beta)
}

// kernelWideRowsGo is the portable kernelWideRows: the whole 2mr×2nr block into a
// buffer, its first rows merged into C. For beta 0 and 1, the bits of the assembly.
func kernelWideRowsGo(rows, k int, a0, a1, b0, b1, c []float32, ldc int, alpha, beta float32) {
	if rows <= mr {
		a1 = a0 // unread rows: any sliver will do
	}
	var block [2 * mr * 2 * nr]float32
	kernelWideGo(k, a0, a1, b0, b1, block[:], 2*nr, alpha, 0)
	mergeRows(block[:], rows, c, ldc, beta)
}

// kernelWideDirectRowsGo is the portable kernelWideDirectRows.
func kernelWideDirectRowsGo(rows, k int, a []float32, lda int, b0, b1, c []float32, ldc int, alpha, beta float32) {
	var slivers [2][]float32
	for s := range slivers {
		slivers[s] = make([]float32, mr*k)
		if n := min(mr, rows-s*mr); n > 0 {
			packANGo(slivers[s], a[s*mr*lda:], lda, k, n)
		}
	}
	kernelWideRowsGo(rows, k, slivers[0], slivers[1], b0, b1, c, ldc, alpha, beta)
}

// mergeRows stores the first rows of a 2mr×2nr block into C: C = block + beta·C.
func mergeRows(block []float32, rows int, c []float32, ldc int, beta float32) {
	for r := range rows {
		src, dst := block[r*2*nr:(r+1)*2*nr], c[r*ldc:r*ldc+2*nr]
		if beta == 0 {
			copy(dst, src)
			continue
		}
		for j, v := range src {
			dst[j] = v + beta*dst[j]
		}
	}
}

// kernelWideDirectBGo is the portable kernelWideDirectB: B's 2nr columns packed into
// two slivers, then kernelWideGo.
func kernelWideDirectBGo(k int, a0, a1, b []float32, ldb int, c []float32, ldc int, alpha, beta float32) {
	bp := make([]float32, 2*nr*k)
	packBNGo(bp, b, ldb, k, 2*nr)
	kernelWideGo(k, a0, a1, bp[:nr*k], bp[nr*k:], c, ldc, alpha, beta)
}
