package cmath

import (
	"math"
	"testing"
)

// powCase is one line of testdata/powf.txt: x, y and glibc's powf(x, y), as bits.
type powCase struct {
	group     string // the comment line above the case: why it was chosen
	x, y, out uint32
}

// readPowCases reads testdata/powf.txt: "x y result" per line (readHexLines).
func readPowCases(t *testing.T) []powCase {
	t.Helper()
	var cases []powCase
	for _, l := range readHexLines(t, "powf.txt", 3) {
		cases = append(cases, powCase{l.group, uint32(l.fields[0]), uint32(l.fields[1]), uint32(l.fields[2])})
	}
	return cases
}

// TestPowfGlibc compares Powf with the results of the real glibc kept in testdata, and
// checks that the data holds pairs on which float32(math.Pow(float64(x), float64(y))),
// what gocaffe used before, disagrees with glibc: the cases Powf exists for.
func TestPowfGlibc(t *testing.T) {
	cases := readPowCases(t)
	failed, stdDiffers := 0, 0
	for _, c := range cases {
		x, y := math.Float32frombits(c.x), math.Float32frombits(c.y)
		if got := Powf(x, y); !same(got, c.out) {
			if failed++; failed <= 20 {
				t.Errorf("Powf(%v, %v) (%#08x, %#08x) = %v (%#08x), glibc gives %v (%#08x) [%s]",
					x, y, c.x, c.y, got, math.Float32bits(got), math.Float32frombits(c.out), c.out, c.group)
			}
		}
		if !same(float32(math.Pow(float64(x), float64(y))), c.out) {
			stdDiffers++
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d cases differ from glibc", failed, len(cases))
	}
	if stdDiffers == 0 {
		t.Error("no case in powf.txt tells glibc from the rounded float64 pow")
	}
	t.Logf("%d cases, %d of them where the rounded float64 pow differs from glibc", len(cases), stdDiffers)
}

// TestPowfSpecial spells out C's special cases (all also in testdata) for the reader.
func TestPowfSpecial(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	tests := []struct {
		name       string
		x, y, want float32
	}{
		{"x**0 is 1, even for a NaN x", nan, 0, 1},
		{"x**-0 is 1", -inf, negZero, 1},
		{"1**y is 1, even for a NaN y", 1, nan, 1},
		{"1**Inf", 1, inf, 1},
		{"NaN**y", nan, 2, nan},
		{"x**NaN", 2, nan, nan},
		{"-1**Inf", -1, inf, 1},
		{"-1**-Inf", -1, -inf, 1},
		{"0.5**Inf", 0.5, inf, 0},
		{"0.5**-Inf", 0.5, -inf, inf},
		{"2**Inf", 2, inf, inf},
		{"2**-Inf", 2, -inf, 0},
		{"+0**3", 0, 3, 0},
		{"-0**3 keeps the sign", negZero, 3, negZero},
		{"-0**2", negZero, 2, 0},
		{"-0**0.5", negZero, 0.5, 0},
		{"+0**-1", 0, -1, inf},
		{"-0**-1", negZero, -1, -inf},
		{"-0**-2", negZero, -2, inf},
		{"Inf**-1", inf, -1, 0},
		{"-Inf**3", -inf, 3, -inf},
		{"-Inf**-3", -inf, -3, negZero},
		{"-Inf**0.5", -inf, 0.5, inf},
		{"negative x, non-integer y", -2, 0.5, nan},
		{"negative x, odd y", -2, 3, -8},
		{"negative x, even y", -2, 2, 4},
		{"negative x, y beyond 2^24 (even)", -1, 0x1p25, 1},
		{"overflow", 2, 128, inf},
		{"overflow, negative", -2, 129, -inf},
		{"largest finite", 2, 127, 0x1p127},
		{"smallest denormal", 2, -149, 0x1p-149},
		{"underflow", 2, -150, 0},
		{"underflow, negative", -2, -151, negZero},
		{"denormal x", 0x1p-149, 0.5, 0x1.6a09e6p-75},
		{"inv policy: (1 + 1e-4·10000)^-0.75", 2, -0.75, 0x1.306fe0p-1},
	}
	for _, tt := range tests {
		if got := Powf(tt.x, tt.y); !same(got, math.Float32bits(tt.want)) {
			t.Errorf("%s: Powf(%v, %v) = %v (%#08x), want %v (%#08x)",
				tt.name, tt.x, tt.y, got, math.Float32bits(got), tt.want, math.Float32bits(tt.want))
		}
	}
}

// powInputs are the arguments BenchmarkPowf cycles through: the inv policy's
// 1 + gamma·iter and the poly policy's 1 − iter/max_iter, with their powers.
var powInputs = func() (p [1024][2]float32) {
	for i := range p {
		if i%2 == 0 {
			p[i] = [2]float32{1 + 1e-4*float32(i*997), -0.75}
		} else {
			p[i] = [2]float32{1 - float32(i)/float32(len(p)), 0.9}
		}
	}
	return
}()

func BenchmarkPowf(b *testing.B) {
	var s float32
	for i := 0; b.Loop(); i++ {
		in := &powInputs[i%len(powInputs)]
		s += Powf(in[0], in[1])
	}
	sink = s
}

func BenchmarkPowfViaFloat64(b *testing.B) {
	var s float32
	for i := 0; b.Loop(); i++ {
		in := &powInputs[i%len(powInputs)]
		s += float32(math.Pow(float64(in[0]), float64(in[1])))
	}
	sink = s
}
