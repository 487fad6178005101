package layers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
)

// refBiasGrad is the bias gradient one row at a time, the loop as Caffe's gemv
// reads: db[o] += Σ_i dtop[o, i], each sum in order from 0.
func refBiasGrad(s int, dtop, db []float32) {
	for o := range db {
		var sum float32
		for _, v := range dtop[o*s : (o+1)*s] {
			sum += v
		}
		db[o] += sum
	}
}

func biasGradLayer(outputs, spatial int) *baseConv {
	return &baseConv{topSpatial: spatial, base: base{blobs: []*blob.Blob{nil, blob.New(outputs)}}}
}

// TestBiasGradBits: the interleaved sums give the row-by-row loop's bits.
func TestBiasGradBits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, c := range [][2]int{{1, 7}, {3, 64}, {4, 1}, {20, 576}, {50, 64}, {32, 1024}, {7, 3}} {
		l := biasGradLayer(c[0], c[1])
		dtop := make([]float32, c[0]*c[1])
		for i := range dtop {
			dtop[i] = float32(r.NormFloat64()) * float32(math.Pow(10, float64(r.IntN(6)-3)))
		}
		db, want := make([]float32, c[0]), make([]float32, c[0])
		for i := range db {
			db[i] = float32(r.NormFloat64())
			want[i] = db[i]
		}
		l.biasGrad(dtop, db)
		refBiasGrad(c[1], dtop, want)
		for i := range db {
			if math.Float32bits(db[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%d×%d: db[%d] = %g, the row loop gives %g", c[0], c[1], i, db[i], want[i])
			}
		}
	}
}

// BenchmarkBiasGrad: one image of cifar10_quick's conv1 (32 outputs × 32·32).
func BenchmarkBiasGrad(b *testing.B) {
	l := biasGradLayer(32, 1024)
	dtop, db := make([]float32, 32*1024), make([]float32, 32)
	b.Run("ref", func(b *testing.B) {
		for b.Loop() {
			refBiasGrad(1024, dtop, db)
		}
	})
	b.Run("interleaved", func(b *testing.B) {
		for b.Loop() {
			l.biasGrad(dtop, db)
		}
	})
}
