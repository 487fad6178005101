package blas

// When A is not transposed and B is, every element of C is the dot product of a
// row of A with a row of B, both contiguous. With few rows on either side and a
// long k, as in a small convolution's weight gradient (20×25 outputs, k = 576),
// dot products beat packing: the 6×16 tiles would be a third padding, and each
// packed element would be used only a few times. dotBlock computes a 4×3 block of
// C at once, so each vector loaded serves three or four multiply-adds, as the
// micro-kernel's do.

// The rows of A and of B one dotBlock takes.
const (
	dotRows = 4
	dotCols = 3
)

// useDot reports whether the product is better computed by dot products. Both
// operands together must fit in L2, since A is read once per block of three rows
// of B and B once per block of four rows of A.
func (g *gemm) useDot() bool {
	return !g.transA && g.transB && g.k >= 64 && g.m <= 64 && g.n <= 128 && (g.m+g.n)*g.k <= 1<<17
}

// dotNT computes C[i0:i1, j0:j1] by dotBlock. The ragged blocks at the ends repeat
// the last row of A or B and drop the repeated results.
func (g *gemm) dotNT(i0, i1, j0, j1 int) {
	k := g.k
	var a [dotRows][]float32
	var b [dotCols][]float32
	var out [dotRows * dotCols]float32
	for i := i0; i < i1; i += dotRows {
		for r := range a {
			a[r] = g.a[min(i+r, i1-1)*g.lda:][:k]
		}
		for j := j0; j < j1; j += dotCols {
			for c := range b {
				b[c] = g.b[min(j+c, j1-1)*g.ldb:][:k]
			}
			dotBlock(&a, &b, &out)
			for r := 0; r < min(dotRows, i1-i); r++ {
				row := g.c[(i+r)*g.ldc+j:][:min(dotCols, j1-j)]
				for c := range row {
					if g.beta == 0 {
						row[c] = g.alpha * out[r*dotCols+c]
					} else {
						row[c] = g.alpha*out[r*dotCols+c] + g.beta*row[c]
					}
				}
			}
		}
	}
}

// dotBlockGo sets out[r·dotCols+c] = a[r]·b[c] for vectors of equal length.
func dotBlockGo(a *[dotRows][]float32, b *[dotCols][]float32, out *[dotRows * dotCols]float32) {
	for r := range a {
		for c := range b {
			out[r*dotCols+c] = dot32Go(a[r], b[c])
		}
	}
}
