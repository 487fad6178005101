package blas

// Naive is the textbook triple loop, summing in float64. It is slow; it is the
// reference the fast implementations are tested against.
type Naive struct{}

// Sgemm implements Gemmer.
func (Naive) Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int,
	b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSizes(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	at := func(i, p int) float32 {
		if transA {
			return a[p*lda+i]
		}
		return a[i*lda+p]
	}
	bt := func(p, j int) float32 {
		if transB {
			return b[j*ldb+p]
		}
		return b[p*ldb+j]
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var sum float64
			for p := 0; p < k; p++ {
				sum += float64(at(i, p)) * float64(bt(p, j))
			}
			v := alpha * float32(sum)
			if beta != 0 {
				v += beta * c[i*ldc+j]
			}
			c[i*ldc+j] = v
		}
	}
}
