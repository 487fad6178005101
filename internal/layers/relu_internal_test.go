package layers

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/vec"
)

// refReLU is Caffe's rectifier as its source reads, with branches:
// max(x, 0) + slope·min(x, 0), std::max and std::min.
func refReLU(x, y []float32, slope float32) {
	for i, v := range x {
		hi, lo := v, v
		if v < 0 {
			hi = 0
		}
		if 0 < v {
			lo = 0
		}
		y[i] = hi + float32(slope*lo)
	}
}

// refReLUBackward is Caffe's dy·((x > 0) + slope·(x <= 0)).
func refReLUBackward(x, dy, dx []float32, slope float32) {
	for i := range x {
		var pos, neg float32
		if x[i] > 0 {
			pos = 1
		}
		if x[i] <= 0 {
			neg = 1
		}
		dx[i] = dy[i] * (pos + float32(slope*neg))
	}
}

// TestReLUBits: vec's loops give the bits of Caffe's formulas, NaN, ±0 and ±∞
// included.
func TestReLUBits(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	x, dy := nastyPlane(r, 4096), nastyPlane(r, 4096)
	for _, slope := range []float32{0, 0.1, -2, float32(math.Inf(1))} {
		y, want := make([]float32, len(x)), make([]float32, len(x))
		vec.Relu(y, x, slope)
		refReLU(x, want, slope)
		if i := sameBits(y, want); i >= 0 {
			t.Fatalf("slope %g: y[%d] = %g (x %g), the branchy loop gives %g", slope, i, y[i], x[i], want[i])
		}
		vec.ReluGrad(y, x, dy, slope)
		refReLUBackward(x, dy, want, slope)
		if i := sameBits(y, want); i >= 0 {
			t.Fatalf("slope %g: dx[%d] = %g, the branchy loop gives %g", slope, i, y[i], want[i])
		}
	}
}

// BenchmarkReLU: the branchy loop against the branch-free one on activations of
// random sign (cifar10_quick's relu1 has 819200).
func BenchmarkReLU(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y := make([]float32, 819200), make([]float32, 819200)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	b.Run("branchy", func(b *testing.B) {
		for b.Loop() {
			refReLU(x, y, 0)
		}
	})
	b.Run("vec", func(b *testing.B) {
		for b.Loop() {
			vec.Relu(y, x, 0)
		}
	})
}
