//go:build amd64 && !purego

package vec

import "github.com/gocaffe/gocaffe/internal/math/cpufeat"

// hasFMA: the fused loops of channel_amd64.s need FMA3 besides AVX2.
var hasFMA = cpufeat.FMA

// The sums (channel_amd64.s) run over n elements, n a multiple of 8, and add their
// lanes as lanes.total does; the elementwise loops do the first n − n mod 8 elements
// and return how many they did, as those of vec_amd64.go.

//go:noescape
func sumAVX2(x *float32, n int) float64

//go:noescape
func sumSqDiffAVX2(x *float32, n int, m float32) float64

//go:noescape
func sumDotAVX2(x, y *float32, n int) (sum, dot float64)

//go:noescape
func scaleAddAVX2(y, x *float32, n int, a, b float32)

//go:noescape
func subScaleAVX2(y, x *float32, n int, m, s float32)

//go:noescape
func affine2AVX2(z, x, y *float32, n int, abc *[3]float32)

//go:noescape
func addScaledAVX2(y, x *float32, n int, a float32)

//go:noescape
func divAVX2(z, x, y *float32, n int)

//go:noescape
func divConstAVX2(y, x *float32, n int, d float32)

func fmaAsm() bool { return useAsm && hasFMA }

func sumAsm(x []float32) (float64, bool) {
	switch {
	case !useAsm:
		return 0, false
	case len(x) == 0:
		return 0, true
	}
	return sumAVX2(&x[0], len(x)), true
}

func sumSqDiffAsm(x []float32, m float32) (float64, bool) {
	switch {
	case !fmaAsm():
		return 0, false
	case len(x) == 0:
		return 0, true
	}
	return sumSqDiffAVX2(&x[0], len(x), m), true
}

func sumDotAsm(x, y []float32) (sum, dot float64, ok bool) {
	switch {
	case !fmaAsm():
		return 0, 0, false
	case len(x) == 0:
		return 0, 0, true
	}
	sum, dot = sumDotAVX2(&x[0], &y[0], len(x))
	return sum, dot, true
}

func scaleAddAsm(y, x []float32, a, b float32) int {
	n := len(x) &^ 7
	if !fmaAsm() || n == 0 {
		return 0
	}
	scaleAddAVX2(&y[0], &x[0], n, a, b)
	return n
}

func subScaleAsm(y, x []float32, m, s float32) int {
	n := len(x) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	subScaleAVX2(&y[0], &x[0], n, m, s)
	return n
}

func affine2Asm(z, x, y []float32, a, b, c float32) int {
	n := len(x) &^ 7
	if !fmaAsm() || n == 0 {
		return 0
	}
	abc := [3]float32{a, b, c}
	affine2AVX2(&z[0], &x[0], &y[0], n, &abc)
	return n
}

func addScaledAsm(y, x []float32, a float32) int {
	n := len(y) &^ 7
	if !fmaAsm() || n == 0 {
		return 0
	}
	addScaledAVX2(&y[0], &x[0], n, a)
	return n
}

func divAsm(z, x, y []float32) int {
	n := len(x) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	divAVX2(&z[0], &x[0], &y[0], n)
	return n
}

func divConstAsm(y, x []float32, d float32) int {
	n := len(x) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	divConstAVX2(&y[0], &x[0], n, d)
	return n
}
