package cmath

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// glibcCase is one input of testdata/*.txt and glibc's result for it, as bits.
type glibcCase struct {
	group   string // the comment line above the case: why it was chosen
	in, out uint32
}

// readCases reads a testdata file of "input result" lines (readHexLines).
func readCases(t *testing.T, name string) []glibcCase {
	t.Helper()
	var cases []glibcCase
	for _, l := range readHexLines(t, name, 2) {
		cases = append(cases, glibcCase{l.group, uint32(l.fields[0]), uint32(l.fields[1])})
	}
	return cases
}

// hexLine is one line of a testdata file: its hex numbers, and the group comment
// above it.
type hexLine struct {
	group  string
	fields []uint64
}

// readHexLines reads a testdata file: fields hex numbers per line, comment lines
// (which name the group of the lines below them) starting with #.
func readHexLines(t *testing.T, name string, fields int) []hexLine {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []hexLine
	group := ""
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		switch {
		case s == "":
		case strings.HasPrefix(s, "#"):
			group = strings.TrimSpace(strings.TrimPrefix(s, "#"))
		default:
			words := strings.Fields(s)
			l := hexLine{group, make([]uint64, len(words))}
			for i, w := range words {
				v, err := strconv.ParseUint(w, 16, 64)
				if err != nil || len(words) != fields {
					t.Fatalf("%s:%d: %q is not %d hex numbers", name, line, s, fields)
				}
				l.fields[i] = v
			}
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 {
		t.Fatalf("%s has no cases", name)
	}
	return lines
}

// same reports whether got is the result want stands for: the same bits, or any
// NaN for a NaN.
func same(got float32, want uint32) bool {
	w := math.Float32frombits(want)
	if w != w {
		return got != got
	}
	return math.Float32bits(got) == want
}

// TestGlibc compares Expf and Logf with the results of the real glibc kept in
// testdata, and checks that the data holds inputs on which the float64 functions of
// package math, rounded, disagree with glibc: the cases this package exists for.
func TestGlibc(t *testing.T) {
	for _, tc := range []struct {
		file string
		f    func(float32) float32
		std  func(float64) float64
	}{
		{"expf.txt", Expf, math.Exp},
		{"logf.txt", Logf, math.Log},
	} {
		t.Run(tc.file, func(t *testing.T) {
			cases := readCases(t, tc.file)
			failed, stdDiffers := 0, 0
			for _, c := range cases {
				x := math.Float32frombits(c.in)
				if got := tc.f(x); !same(got, c.out) {
					if failed++; failed <= 20 {
						t.Errorf("%v (%#08x) = %v (%#08x), glibc gives %v (%#08x) [%s]",
							x, c.in, got, math.Float32bits(got), math.Float32frombits(c.out), c.out, c.group)
					}
				}
				if !same(float32(tc.std(float64(x))), c.out) {
					stdDiffers++
				}
			}
			if failed > 0 {
				t.Errorf("%d of %d cases differ from glibc", failed, len(cases))
			}
			if stdDiffers == 0 {
				t.Errorf("no case in %s tells glibc from the rounded float64 function", tc.file)
			}
			t.Logf("%d cases, %d of them where the rounded float64 function differs from glibc", len(cases), stdDiffers)
		})
	}
}

// TestSpecial spells out the edge cases (all also in testdata) for the reader.
func TestSpecial(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	tests := []struct {
		name    string
		f       func(float32) float32
		x, want float32
	}{
		{"exp(+0)", Expf, 0, 1},
		{"exp(-0)", Expf, float32(math.Copysign(0, -1)), 1},
		{"exp(+Inf)", Expf, inf, inf},
		{"exp(-Inf)", Expf, -inf, 0},
		{"exp(NaN)", Expf, nan, nan},
		{"exp(1)", Expf, 1, math.E},
		{"exp of the overflow threshold", Expf, 0x1.62e42ep6, 0x1.ffff08p127},
		{"exp just above the overflow threshold", Expf, 0x1.62e430p6, inf},
		{"exp(88), first special-path input", Expf, 88, 0x1.f1056ep126},
		{"exp just above the smallest-denormal cut", Expf, -0x1.9d1d9cp6, 0x1p-149},
		{"exp at the smallest-denormal cut", Expf, -0x1.9d1d9ep6, 0x1p-149},
		{"exp below the smallest-denormal cut", Expf, -0x1.9fe366p6, 0x1p-149},
		{"exp at the underflow threshold", Expf, -0x1.9fe368p6, 0x1p-149},
		{"exp just below the underflow threshold", Expf, -0x1.9fe36ap6, 0},
		{"exp(-max)", Expf, -math.MaxFloat32, 0},
		{"exp of the smallest denormal", Expf, 0x1p-149, 1},

		{"log(1)", Logf, 1, 0},
		{"log(+0)", Logf, 0, -inf},
		{"log(-0)", Logf, float32(math.Copysign(0, -1)), -inf},
		{"log(+Inf)", Logf, inf, inf},
		{"log(-Inf)", Logf, -inf, nan},
		{"log(-1)", Logf, -1, nan},
		{"log(-smallest denormal)", Logf, -0x1p-149, nan},
		{"log(NaN)", Logf, nan, nan},
		{"log(float32(e)), e rounded down", Logf, math.E, 0x1.fffffep-1},
		{"log(2)", Logf, 2, math.Ln2},
		{"log of the smallest denormal", Logf, 0x1p-149, -0x1.9d1da0p6},
		{"log of the largest float32", Logf, math.MaxFloat32, 0x1.62e430p6},
	}
	for _, tt := range tests {
		if got := tt.f(tt.x); !same(got, math.Float32bits(tt.want)) {
			t.Errorf("%s: f(%v) = %v (%#08x), want %v (%#08x)", tt.name, tt.x, got, math.Float32bits(got), tt.want, math.Float32bits(tt.want))
		}
	}
}

// expInputs and logInputs are the arguments the benchmarks cycle through: softmax's exp sees x −
// max(x) ≤ 0, the losses' log sees probabilities in (0, 1].
var expInputs, logInputs = func() (e, l [1024]float32) {
	for i := range e {
		e[i] = -20 * float32(i) / float32(len(e))
		l[i] = float32(i+1) / float32(len(l))
	}
	return
}()

var sink float32

// benchmarkUnary sums f over the inputs, cycling through them.
func benchmarkUnary(b *testing.B, f func(float32) float32, inputs []float32) {
	var s float32
	for i := 0; b.Loop(); i++ {
		s += f(inputs[i%len(inputs)])
	}
	sink = s
}

func BenchmarkExpf(b *testing.B) { benchmarkUnary(b, Expf, expInputs[:]) }

func BenchmarkExpfViaFloat64(b *testing.B) {
	benchmarkUnary(b, func(x float32) float32 { return float32(math.Exp(float64(x))) }, expInputs[:])
}

func BenchmarkLogf(b *testing.B) { benchmarkUnary(b, Logf, logInputs[:]) }

func BenchmarkLogfViaFloat64(b *testing.B) {
	benchmarkUnary(b, func(x float32) float32 { return float32(math.Log(float64(x))) }, logInputs[:])
}
