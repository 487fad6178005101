//go:build amd64 && !purego

package vec

// The loops of select_amd64.s do the first n − n mod 8 elements and return how many
// they did, as those of vec_amd64.go.

//go:noescape
func maxArg2AVX2(y *float32, arg *int32, a, b *float32, n int)

//go:noescape
func maxArgNextAVX2(y *float32, arg *int32, x *float32, n int, k int32)

//go:noescape
func selectArgAVX2(dx, dy *float32, arg *int32, n int, k int32)

//go:noescape
func maskScaleAVX2(out, in *float32, keep *bool, n int, scale float32)

func maxArg2Asm(y []float32, arg []int32, a, b []float32) int {
	n := len(y) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	maxArg2AVX2(&y[0], &arg[0], &a[0], &b[0], n)
	return n
}

func maxArgNextAsm(y []float32, arg []int32, x []float32, k int32) int {
	n := len(y) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	maxArgNextAVX2(&y[0], &arg[0], &x[0], n, k)
	return n
}

func selectArgAsm(dx, dy []float32, arg []int32, k int32) int {
	n := len(dx) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	selectArgAVX2(&dx[0], &dy[0], &arg[0], n, k)
	return n
}

func maskScaleAsm(out, in []float32, keep []bool, scale float32) int {
	n := len(out) &^ 7
	if !useAsm || n == 0 {
		return 0
	}
	maskScaleAVX2(&out[0], &in[0], &keep[0], n, scale)
	return n
}
