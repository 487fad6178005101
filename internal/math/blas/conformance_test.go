package blas_test

import (
	"maps"
	"slices"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/blas/blastest"
)

// Every Gemmer gocaffe has runs the conformance suite of package blastest; the real
// OpenBLAS runs it too, in internal/math/openblas.

func TestNaiveConformance(t *testing.T) { blastest.Gemmer(t, blas.Naive{}, blastest.Options{}) }

func TestGonumConformance(t *testing.T) { blastest.Gemmer(t, blas.Gonum{}, blastest.Options{}) }

// TestProductsConformance runs the suite on Fast and Ordered, adding the driver's
// block edges to the suite's shapes.
func TestProductsConformance(t *testing.T) {
	opts := blastest.Options{AlphaZeroSkipsAB: true}
	for _, s := range blas.BlockEdges {
		opts.Shapes = append(opts.Shapes, blastest.Shape{M: s[0], N: s[1], K: s[2]})
	}
	for _, p := range blas.Products {
		t.Run(p.Name, func(t *testing.T) { blastest.Gemmer(t, p.G, opts) })
	}
}

// TestKernelsConformance runs the suite on Fast and Ordered with each micro-kernel
// this machine has besides the one they choose: the portable one, which the assembly
// hides on machines that have AVX2, and the 6×16 AVX2 one, that CPUs without AVX-512
// use.
func TestKernelsConformance(t *testing.T) {
	kernels := blas.Kernels()
	for _, kernel := range slices.Sorted(maps.Keys(kernels)) {
		if kernel == blas.DefaultKernel() {
			continue // TestProductsConformance runs it
		}
		if kernel == "generic" && testing.Short() {
			t.Log("-short: the full suite also runs the portable kernel, the slowest")
			continue
		}
		for _, p := range blas.Products {
			t.Run(p.Name+"/"+kernel, func(t *testing.T) {
				defer kernels[kernel]()()
				blastest.Gemmer(t, p.G, blastest.Options{AlphaZeroSkipsAB: true})
			})
		}
	}
}
