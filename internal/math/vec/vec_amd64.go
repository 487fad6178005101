//go:build amd64 && !purego

package vec

import "github.com/gocaffe/gocaffe/internal/math/cpufeat"

// useAsm selects the assembly (vec_amd64.s); tests turn it off to run the Go loops.
var useAsm = cpufeat.AVX2

// The assembly loops handle the first n − n mod 8 elements and return how many they
// did; the Go functions finish the rest.

//go:noescape
func addConstAVX2(x *float32, n int, b float32)

//go:noescape
func scaleAVX2(y, x *float32, n int, a float32)

//go:noescape
func addAVX2(z, x, y *float32, n int)

//go:noescape
func reluAVX2(y, x *float32, n int, slope float32)

//go:noescape
func reluGradAVX2(dx, x, dy *float32, n int, f *[3]float32)

func addConstAsm(x []float32, b float32) int {
	n := len(x) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	addConstAVX2(&x[0], n, b)
	return n
}

func scaleAsm(y, x []float32, a float32) int {
	n := len(x) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	scaleAVX2(&y[0], &x[0], n, a)
	return n
}

func addAsm(z, x, y []float32) int {
	n := len(x) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	addAVX2(&z[0], &x[0], &y[0], n)
	return n
}

func reluAsm(y, x []float32, slope float32) int {
	n := len(x) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	reluAVX2(&y[0], &x[0], n, slope)
	return n
}

func reluGradAsm(dx, x, dy []float32, f *[3]float32) int {
	n := len(x) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	reluGradAVX2(&dx[0], &x[0], &dy[0], n, f)
	return n
}

//go:noescape
func mulAVX2(z, x, y *float32, n int)

//go:noescape
func addQuotientAVX2(acc, a, b, c *float32, n int, sign float32)

//go:noescape
func powScale75AVX2(y, s, x *float32, n int)

func mulAsm(z, x, y []float32) int {
	n := len(x) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	mulAVX2(&z[0], &x[0], &y[0], n)
	return n
}

func addQuotientAsm(acc, a, b, c []float32, sign float32) int {
	n := len(acc) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	addQuotientAVX2(&acc[0], &a[0], &b[0], &c[0], n, sign)
	return n
}

func powScale75Asm(y, s, x []float32) int {
	n := len(s) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	powScale75AVX2(&y[0], &s[0], &x[0], n)
	return n
}
