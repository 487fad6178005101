package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSelectAsmMatchesGo runs the loops of select.go with and without the assembly,
// on lengths around the step, with ties, NaNs and zeros of both signs among the
// values, and wants the same bits and indices.
func TestSelectAsmMatchesGo(t *testing.T) {
	if !useAsm {
		t.Skip("no assembly on this CPU")
	}
	r := rand.New(rand.NewPCG(12, 13))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 31, 33, 100, 1000} {
		// Few distinct values, so that ties are common.
		few := func() []float32 {
			x := inputs(r, n)
			for i := range x {
				if r.IntN(2) == 0 {
					x[i] = float32(r.IntN(3) - 1)
				}
			}
			return x
		}
		a, b, c := few(), few(), few()
		arg0 := make([]int32, n)
		for i := range arg0 {
			arg0[i] = int32(r.IntN(3))
		}
		keep := make([]bool, n)
		for i := range keep {
			keep[i] = r.IntN(2) == 0
		}
		scale := float32(r.NormFloat64())
		for _, tc := range []struct {
			name string
			run  func(y []float32, arg []int32)
		}{
			{"MaxArg2", func(y []float32, arg []int32) { MaxArg2(y, arg, a, b) }},
			{"MaxArg2InPlace", func(y []float32, arg []int32) { copy(y, a); MaxArg2(y, arg, y, b) }},
			{"MaxArgNext", func(y []float32, arg []int32) { copy(y, a); copy(arg, arg0); MaxArgNext(y, arg, c, 2) }},
			{"SelectArg", func(y []float32, arg []int32) { SelectArg(y, a, arg0, 1) }},
			{"MaskScale", func(y []float32, arg []int32) { MaskScale(y, a, keep, scale) }},
			{"MaskScaleInPlace", func(y []float32, arg []int32) { copy(y, a); MaskScale(y, y, keep, scale) }},
		} {
			want, got := make([]float32, n), make([]float32, n)
			wantArg, gotArg := make([]int32, n), make([]int32, n)
			useAsm = false
			tc.run(want, wantArg)
			useAsm = true
			tc.run(got, gotArg)
			if i := sameBits(want, got); i >= 0 {
				t.Fatalf("%s n=%d: element %d is %v (%#x) in assembly, %v (%#x) in Go", tc.name, n, i,
					got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
			for i := range wantArg {
				if wantArg[i] != gotArg[i] {
					t.Fatalf("%s n=%d: index %d is %d in assembly, %d in Go", tc.name, n, i, gotArg[i], wantArg[i])
				}
			}
		}
	}
}

// TestMaxArg pins Caffe's rules: a tie or a NaN goes to b at the start, and a later
// bottom wins only when greater.
func TestMaxArg(t *testing.T) {
	nan := float32(math.NaN())
	a := []float32{1, 2, 2, nan, 3, 0, 0, 5}
	b := []float32{2, 1, 2, 3, nan, 0, float32(math.Copysign(0, -1)), 5}
	for _, asm := range []bool{false, useAsm} {
		old := useAsm
		useAsm = asm
		y, arg := make([]float32, 8), make([]int32, 8)
		MaxArg2(y, arg, a, b)
		wantArg := []int32{1, 0, 1, 1, 1, 1, 1, 1}
		for i := range arg {
			if arg[i] != wantArg[i] || sameBits(y[i:i+1], []float32{pick(wantArg[i] == 0, a[i], b[i])}) >= 0 {
				t.Errorf("asm %v: MaxArg2(%v, %v) = %v (%d), want bottom %d", asm, a[i], b[i], y[i], arg[i], wantArg[i])
			}
		}
		x := []float32{2, 3, 2, nan, 4, 1, 0, 5}
		MaxArgNext(y, arg, x, 2)
		wantArg = []int32{1, 2, 1, 1, 1, 2, 1, 1}
		for i := range arg {
			if arg[i] != wantArg[i] {
				t.Errorf("asm %v: MaxArgNext at %d: winner %d, want %d", asm, i, arg[i], wantArg[i])
			}
		}
		useAsm = old
	}
}
