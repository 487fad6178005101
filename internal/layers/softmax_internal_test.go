package layers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
)

// TestSoftmaxSumOrder: the normaliser is summed as Caffe's gemv with ones sums it.
// For one position and ten channels that is OpenBLAS's sgemv_n tail,
// (((e0+e1)+e2)+e3) + (((e4+e5)+e6)+e7), then e8, then e9; for several positions
// it is whatever blas.GemvOnes does, which blas's tests hold to OpenBLAS.
func TestSoftmaxSumOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for _, sh := range []struct{ outer, channels, inner int }{{100, 10, 1}, {3, 10, 1}, {2, 21, 7}, {2, 3, 1500}} {
		n := sh.outer * sh.channels * sh.inner
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64() * 4)
		}
		y := make([]float32, n)
		softmaxForward(x, y, sh.outer, sh.channels, sh.inner)
		for o := range sh.outer {
			dim := sh.channels * sh.inner
			e := make([]float32, dim)
			for in := range sh.inner {
				maxv := float32(math.Inf(-1))
				for c := range sh.channels {
					maxv = max(maxv, x[o*dim+c*sh.inner+in])
				}
				for c := range sh.channels {
					e[c*sh.inner+in] = cmath.Expf(x[o*dim+c*sh.inner+in] - maxv)
				}
			}
			sums := make([]float32, sh.inner)
			if sh.channels == 10 && sh.inner == 1 {
				s := ((e[0] + e[1]) + e[2]) + e[3]
				s += ((e[4] + e[5]) + e[6]) + e[7]
				s += e[8]
				s += e[9]
				sums[0] = s
			} else {
				blas.GemvOnes(true, sh.channels, sh.inner, 1, e, 0, sums)
			}
			for c := range sh.channels {
				for in, s := range sums {
					i := c*sh.inner + in
					if want := e[i] / s; math.Float32bits(y[o*dim+i]) != math.Float32bits(want) {
						t.Fatalf("%+v: y[%d][%d] = %g, want %g", sh, o, i, y[o*dim+i], want)
					}
				}
			}
		}
	}
}

// BenchmarkSoftmaxForward: cifar10_quick's loss (100 images, 10 classes) and a
// segmentation-like map (21 classes over 32×32 positions).
func BenchmarkSoftmaxForward(b *testing.B) {
	for _, sh := range []struct {
		name                   string
		outer, channels, inner int
	}{{"100x10x1", 100, 10, 1}, {"2x21x1024", 2, 21, 1024}} {
		b.Run(sh.name, func(b *testing.B) {
			x := make([]float32, sh.outer*sh.channels*sh.inner)
			for i := range x {
				x[i] = float32(i%17) * 0.1
			}
			y := make([]float32, len(x))
			for b.Loop() {
				softmaxForward(x, y, sh.outer, sh.channels, sh.inner)
			}
		})
	}
}
