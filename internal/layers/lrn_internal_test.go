package layers

import (
	"math/rand/v2"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/cmath"
)

// BenchmarkLRNPowf: LRN's scale^−0.75·x on AlexNet's norm1 for one image, with powf as
// Caffe's caffe_powx takes it.
func BenchmarkLRNPowf(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 96 * 55 * 55
	s, x, y := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range s {
		s[i] = 1 + r.Float32()
		x[i] = float32(r.NormFloat64())
	}
	for b.Loop() {
		for i, v := range s {
			y[i] = cmath.Powf(v, -0.75) * x[i]
		}
	}
}
