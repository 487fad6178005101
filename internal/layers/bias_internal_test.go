package layers

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refScaleBroadcast and refSumBroadcast are the plain loops the broadcast passes
// stand for, one plane after another on one core.
func refScaleBroadcast(x, y, s []float32, outer, dim, inner int) {
	for o := 0; o < outer; o++ {
		for d, f := range s {
			off := (o*dim + d) * inner
			for i := off; i < off+inner; i++ {
				y[i] = f * x[i]
			}
		}
	}
}

func refSumBroadcast(a, b, acc []float32, outer, dim, inner int) {
	for d := 0; d < dim; d++ {
		var s float64
		for o := 0; o < outer; o++ {
			for i := (o*dim + d) * inner; i < (o*dim+d+1)*inner; i++ {
				if b == nil {
					s += float64(a[i])
				} else {
					s += float64(a[i] * b[i])
				}
			}
		}
		acc[d] += float32(s)
	}
}

// broadcastShapes: a ResNet-50 stage at batch 1, a small batch, planes of one
// element (an InnerProduct's output), ragged plane sizes.
var broadcastShapes = [][3]int{{1, 256, 3136}, {4, 64, 49}, {64, 500, 1}, {3, 7, 13}}

func TestBroadcast(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var bc broadcast
	for _, sh := range broadcastShapes {
		outer, dim, inner := sh[0], sh[1], sh[2]
		n := outer * dim * inner
		x, b, s := randFloats(r, n), randFloats(r, n), randFloats(r, dim)
		got, want := make([]float32, n), make([]float32, n)
		bc.scale(x, got, s, outer, dim, inner)
		refScaleBroadcast(x, want, s, outer, dim, inner)
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("%v: scale: y[%d] = %g, want %g", sh, i, got[i], want[i])
		}
		copy(got, x)
		bc.add(got, s, outer, dim, inner)
		for i := range want {
			want[i] = x[i] + s[(i/inner)%dim]
		}
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("%v: add: y[%d] = %g, want %g", sh, i, got[i], want[i])
		}
		for _, other := range [][]float32{nil, b} {
			accGot, accWant := randFloats(r, dim), make([]float32, dim)
			copy(accWant, accGot)
			bc.sum(x, other, accGot, outer, dim, inner)
			refSumBroadcast(x, other, accWant, outer, dim, inner)
			for d := range accWant {
				// Both sum in float64; only the order differs.
				if math.Abs(float64(accGot[d]-accWant[d])) > 1e-6*(1+math.Abs(float64(accWant[d]))) {
					t.Fatalf("%v (product %v): sum: acc[%d] = %g, want %g", sh, other != nil, d, accGot[d], accWant[d])
				}
			}
		}
	}
}

func randFloats(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// BenchmarkBroadcast: the passes against the plain loops on ResNet-50's res2 shape
// at batch 1, where splitting the planes is the only parallelism there is.
func BenchmarkBroadcast(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	outer, dim, inner := 1, 256, 3136
	n := outer * dim * inner
	x, y, s, acc := randFloats(r, n), make([]float32, n), randFloats(r, dim), make([]float32, dim)
	var bc broadcast
	b.Run("scale/plain", func(b *testing.B) {
		for b.Loop() {
			refScaleBroadcast(x, y, s, outer, dim, inner)
		}
	})
	b.Run("scale/planes", func(b *testing.B) {
		for b.Loop() {
			bc.scale(x, y, s, outer, dim, inner)
		}
	})
	b.Run("sum/plain", func(b *testing.B) {
		for b.Loop() {
			refSumBroadcast(x, y, acc, outer, dim, inner)
		}
	})
	b.Run("sum/planes", func(b *testing.B) {
		for b.Loop() {
			bc.sum(x, y, acc, outer, dim, inner)
		}
	})
}
