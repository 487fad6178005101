package cmath

import (
	"math"
	"testing"
)

// TestPowGlibc compares Pow with the results of the real glibc kept in
// testdata/pow.txt, bit for bit (NaN payloads included), and checks that the data
// holds pairs on which Go's math.Pow disagrees with glibc: the cases Pow exists for.
func TestPowGlibc(t *testing.T) {
	failed, stdDiffers, n := 0, 0, 0
	for _, l := range readHexLines(t, "pow.txt", 3) {
		n++
		x, y, want := math.Float64frombits(l.fields[0]), math.Float64frombits(l.fields[1]), l.fields[2]
		if got := Pow(x, y); math.Float64bits(got) != want {
			if failed++; failed <= 20 {
				t.Errorf("Pow(%v, %v) (%#016x, %#016x) = %v (%#016x), glibc gives %v (%#016x)",
					x, y, l.fields[0], l.fields[1], got, math.Float64bits(got), math.Float64frombits(want), want)
			}
		}
		if math.Float64bits(math.Pow(x, y)) != want {
			stdDiffers++
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d cases differ from glibc", failed, n)
	}
	if stdDiffers == 0 {
		t.Error("no case in pow.txt tells glibc from Go's math.Pow")
	}
	t.Logf("%d cases, %d of them where Go's math.Pow differs from glibc", n, stdDiffers)
}

// TestPowLearningRate shows why the learning-rate policies need Pow: base_lr·gamma^n
// rounded to float32, as Caffe's "exp" policy computes it, differs between Go's
// math.Pow and glibc's pow for these (the values are glibc's).
func TestPowLearningRate(t *testing.T) {
	tests := []struct {
		base, gamma float32
		n           int
		want        float32 // float32(base·pow(gamma, n)) with glibc's pow
	}{
		{0.1, 0.995, 6349, 1.5092211e-15},
		{1e-4, 0.9999, 63288, 1.7817366e-07},
		{0.01, 0.9999, 74519, 5.7940475e-06},
	}
	for _, tt := range tests {
		rate := func(pow func(x, y float64) float64) float32 {
			return float32(float64(tt.base) * pow(float64(tt.gamma), float64(tt.n)))
		}
		if got := rate(Pow); got != tt.want {
			t.Errorf("%v·%v^%d = %v with Pow, glibc gives %v", tt.base, tt.gamma, tt.n, got, tt.want)
		}
		if got := rate(math.Pow); got == tt.want {
			t.Errorf("%v·%v^%d = %v with math.Pow too: not a case that tells them apart", tt.base, tt.gamma, tt.n, got)
		}
	}
}

func BenchmarkPow(b *testing.B) {
	var s float64
	for i := range b.N {
		s += Pow(0.9999, float64(i&0xffff))
	}
	sinkF64 = s
}

var sinkF64 float64
