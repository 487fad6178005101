package layers

import (
	"github.com/gocaffe/gocaffe/internal/math/vec"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
)

// rowLoopBiasGrad is the bias gradient one row at a time, each sum in order from 0:
// the obvious loop, for the benchmark.
func rowLoopBiasGrad(s int, dtop, db []float32) {
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

// TestBiasGradBits: biasGrad is Caffe's gemv with a blob of ones, bit for bit (blas's
// tests hold Gemv to OpenBLAS's).
func TestBiasGradBits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for _, c := range [][2]int{{1, 7}, {3, 64}, {4, 1}, {20, 576}, {50, 64}, {32, 1024}, {7, 3}, {64, 256}, {10, 4097}} {
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
		ones := make([]float32, c[1])
		blas.Fill(ones, 1)
		blas.Gemv(false, c[0], c[1], 1, dtop, ones, 1, want)
		for i := range db {
			if math.Float32bits(db[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%d×%d: db[%d] = %g, the gemv gives %g", c[0], c[1], i, db[i], want[i])
			}
		}
	}
}

// BenchmarkBiasGrad: one image of cifar10_quick's conv1 (32 outputs × 32·32).
func BenchmarkBiasGrad(b *testing.B) {
	l := biasGradLayer(32, 1024)
	dtop, db := make([]float32, 32*1024), make([]float32, 32)
	b.Run("rowloop", func(b *testing.B) {
		for b.Loop() {
			rowLoopBiasGrad(1024, dtop, db)
		}
	})
	b.Run("gemv", func(b *testing.B) {
		for b.Loop() {
			l.biasGrad(dtop, db)
		}
	})
}

// BenchmarkAddBias: one image of LeNet's conv1 (20 outputs × 24·24).
func BenchmarkAddBias(b *testing.B) {
	top := make([]float32, 20*576)
	for b.Loop() {
		for o := range 20 {
			vec.AddConst(top[o*576:(o+1)*576], 0.5)
		}
	}
}
