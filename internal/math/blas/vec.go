package blas

import "math"

// Axpy computes y += alpha·x.
func Axpy(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// Axpby computes y = alpha·x + beta·y.
func Axpby(alpha float32, x []float32, beta float32, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = alpha*v + beta*y[i]
	}
}

// Scal computes x *= alpha.
func Scal(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// Dot returns Σ x[i]·y[i], accumulated in float64.
func Dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float64
	for i, v := range x {
		s += float64(v) * float64(y[i])
	}
	return float32(s)
}

// Asum returns Σ |x[i]|, accumulated in float64.
func Asum(x []float32) float32 {
	var s float64
	for _, v := range x {
		s += math.Abs(float64(v))
	}
	return float32(s)
}

// Sum returns Σ x[i], accumulated in float64.
func Sum(x []float32) float32 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return float32(s)
}

// Fill sets every element of x to v.
func Fill(x []float32, v float32) {
	if v == 0 {
		clear(x)
		return
	}
	for i := range x {
		x[i] = v
	}
}
