//go:build openblas

package openblas

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// TestTanhfMatchesLibm checks cmath.Tanhf against the C library's tanhf bit for bit,
// NaN payloads included: every 2039th float32 bit pattern, and every float32 in
// [0.25, 4), where the TanH layer spends its time and both of tanhf's formulas run.
// (All 2^32 inputs agreed when it was written; that takes minutes.)
func TestTanhfMatchesLibm(t *testing.T) {
	var inputs []uint32
	for b := uint64(0); b < 1<<32; b += 2039 {
		inputs = append(inputs, uint32(b))
	}
	for b := math.Float32bits(0.25); b < math.Float32bits(4); b++ {
		inputs = append(inputs, b, b|1<<31)
	}
	failed := 0
	for _, b := range inputs {
		x := math.Float32frombits(b)
		got, want := cmath.Tanhf(x), Tanhf(x)
		if math.Float32bits(got) != math.Float32bits(want) {
			if failed++; failed <= 20 {
				t.Errorf("Tanhf(%v) (%#08x) = %v (%#08x), C library gives %v (%#08x)",
					x, b, got, math.Float32bits(got), want, math.Float32bits(want))
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d inputs differ", failed, len(inputs))
	}
	t.Logf("%d inputs", len(inputs))
}

// TestTanhfGolden writes ../cmath/testdata/tanhf.txt with -update (and otherwise checks
// that it is what the C library computes): special values, every 2^20th bit pattern,
// and a sample of the inputs in [0.25, 4) where float32(math.Tanh) is not the C
// library's tanhf (about half of them: tanhf is not correctly rounded).
func TestTanhfGolden(t *testing.T) {
	const path = "../cmath/testdata/tanhf.txt"
	var sb strings.Builder
	sb.WriteString("# tanhf: x and the result of glibc 2.36's tanhf on x86_64 (Debian 12,\n")
	sb.WriteString("# /usr/lib/x86_64-linux-gnu/libm.so.6), as float32 bit patterns in hex. Regenerate:\n")
	sb.WriteString("# go test -tags openblas ./internal/math/openblas -run TestTanhfGolden -update\n")
	line := func(b uint32) {
		fmt.Fprintf(&sb, "%08x %08x\n", b, math.Float32bits(Tanhf(math.Float32frombits(b))))
	}
	sb.WriteString("\n# special values\n")
	for _, b := range []uint32{0, 1 << 31, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fa00001, 0x00000001,
		0x80000001, 0x24000000, 0x23ffffff, 0x3f800000, 0x3f7fffff, 0x41b00000, 0x41afffff, 0x7f7fffff} {
		line(b)
	}
	sb.WriteString("\n# every 2^20th bit pattern\n")
	for b := uint64(0); b < 1<<32; b += 1 << 20 {
		line(uint32(b))
	}
	sb.WriteString("\n# one in 2000 of the x in [0.25, 4) where float32(math.Tanh(x)) is not tanhf(x)\n")
	n := 0
	for b := math.Float32bits(0.25); b < math.Float32bits(4); b++ {
		x := math.Float32frombits(b)
		if float32(math.Tanh(float64(x))) != Tanhf(x) {
			if n%2000 == 0 {
				line(b)
			}
			n++
		}
	}
	testutil.CheckGolden(t, path, sb.String(), *update, "the C library")
}
