package cmath

import (
	"math"
	"testing"
)

// TestTanhfGlibc compares Tanhf with the results of the real glibc kept in
// testdata/tanhf.txt, bit for bit, and checks that the data holds inputs on which
// float32(math.Tanh) disagrees with glibc.
func TestTanhfGlibc(t *testing.T) {
	cases := readCases(t, "tanhf.txt")
	failed, stdDiffers := 0, 0
	for _, c := range cases {
		x := math.Float32frombits(c.in)
		if got := Tanhf(x); math.Float32bits(got) != c.out {
			if failed++; failed <= 20 {
				t.Errorf("Tanhf(%v) (%#08x) = %v (%#08x), glibc gives %v (%#08x) [%s]",
					x, c.in, got, math.Float32bits(got), math.Float32frombits(c.out), c.out, c.group)
			}
		}
		if !same(float32(math.Tanh(float64(x))), c.out) {
			stdDiffers++
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d cases differ from glibc", failed, len(cases))
	}
	if stdDiffers == 0 {
		t.Error("no case in tanhf.txt tells glibc from the rounded float64 tanh")
	}
	t.Logf("%d cases, %d of them where the rounded float64 tanh differs from glibc", len(cases), stdDiffers)
}

func BenchmarkTanhf(b *testing.B) {
	var s float32
	for i := 0; b.Loop(); i++ {
		s += Tanhf(expInputs[i%len(expInputs)])
	}
	sink = s
}
