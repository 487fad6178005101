package layers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/parallel"
)

// refScaleBroadcast is the plain loop the scale pass stands for, one plane after
// another on one core: Caffe's caffe_cpu_scale per plane (a copy for 1, zeros for 0).
func refScaleBroadcast(x, y, s []float32, outer, dim, inner int) {
	for o := 0; o < outer; o++ {
		for d, f := range s {
			off := (o*dim + d) * inner
			for i := off; i < off+inner; i++ {
				switch f {
				case 0:
					y[i] = 0
				case 1:
					y[i] = x[i]
				default:
					y[i] = f * x[i]
				}
			}
		}
	}
}

// broadcastShapes: a ResNet-50 stage at batch 1, a small batch, planes of one
// element (an InnerProduct's output), ragged plane sizes.
var broadcastShapes = [][3]int{{1, 256, 3136}, {4, 64, 49}, {64, 500, 1}, {3, 7, 13}}

// runPlanes runs a loop over the planes of (outer, dim, inner) on the workers.
func runPlanes(outer, dim, inner int, loop parallel.Ranger) {
	parallel.Run(outer*dim, planeGrain(inner), loop)
}

// TestBroadcast: the loops split over planes give the plain loops' bits, in place
// and not.
func TestBroadcast(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, sh := range broadcastShapes {
		outer, dim, inner := sh[0], sh[1], sh[2]
		n := outer * dim * inner
		x, s := randFloats(r, n), randFloats(r, dim)
		s[0], x[1] = 0, float32(math.Inf(1)) // 0·Inf: Caffe's scale gives 0
		got, want := make([]float32, n), make([]float32, n)
		runPlanes(outer, dim, inner, &broadcastScale{x: x, y: got, v: s, dim: dim, inner: inner})
		refScaleBroadcast(x, want, s, outer, dim, inner)
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("%v: scale: y[%d] = %g, want %g", sh, i, got[i], want[i])
		}
		for i := range want {
			want[i] = x[i] + s[(i/inner)%dim]
		}
		copy(got, x)
		runPlanes(outer, dim, inner, &broadcastAdd{y: got, v: s, dim: dim, inner: inner})
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("%v: add in place: y[%d] = %g, want %g", sh, i, got[i], want[i])
		}
		clear(got)
		runPlanes(outer, dim, inner, &broadcastAdd{x: x, y: got, v: s, dim: dim, inner: inner})
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("%v: add: y[%d] = %g, want %g", sh, i, got[i], want[i])
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
	x, y, s := randFloats(r, n), make([]float32, n), randFloats(r, dim)
	b.Run("scale/plain", func(b *testing.B) {
		for b.Loop() {
			refScaleBroadcast(x, y, s, outer, dim, inner)
		}
	})
	b.Run("scale/planes", func(b *testing.B) {
		for b.Loop() {
			runPlanes(outer, dim, inner, &broadcastScale{x: x, y: y, v: s, dim: dim, inner: inner})
		}
	})
}
