package blas

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

// testdata/openblas.txt holds what OpenBLAS 0.3.21 computes (Zen kernels, two
// threads) for a few hundred calls of Gemv and the vector operations, as hashes of
// the output bits; internal/math/openblas writes it. TestOpenBLASGolden recomputes
// every call here, where there may be no OpenBLAS, with the assembly kernels and
// with the Go ones.

// goldenLine is one parsed line: its fields by name.
type goldenLine map[string]string

func (g goldenLine) int(t *testing.T, k string) int {
	v, err := strconv.Atoi(g[k])
	if err != nil {
		t.Fatalf("%s=%q: %v", k, g[k], err)
	}
	return v
}

func (g goldenLine) float(t *testing.T, k string) float32 {
	v, err := strconv.ParseFloat(g[k], 32)
	if err != nil {
		t.Fatalf("%s=%q: %v", k, g[k], err)
	}
	return float32(v)
}

// run computes the line's call with blas.
func (g goldenLine) run(t *testing.T) []float32 {
	seed := uint64(g.int(t, "seed"))
	m, n := g.int(t, "m"), g.int(t, "n")
	alpha, beta := g.float(t, "alpha"), g.float(t, "beta")
	switch g["op"] {
	case "gemv":
		trans := g["trans"] == "1"
		lx, ly := n, m
		if trans {
			lx, ly = m, n
		}
		a, x, y := testutil.GoldenVec(4*seed, m*n), testutil.GoldenVec(4*seed+1, lx), testutil.GoldenVec(4*seed+2, ly)
		if g["ones"] == "1" {
			GemvOnes(trans, m, n, alpha, a, beta, y)
			return y
		}
		Gemv(trans, m, n, alpha, a, x, beta, y)
		return y
	case "axpy", "axpby":
		x, y := testutil.GoldenVec(4*seed, n), testutil.GoldenVec(4*seed+1, n)
		if g["op"] == "axpby" {
			Axpby(alpha, x, beta, y)
		} else {
			Axpy(alpha, x, y)
		}
		return y
	case "scal":
		x := testutil.GoldenVec(4*seed, n)
		Scal(alpha, x)
		return x
	case "dot":
		x, y := testutil.GoldenVec(4*seed, n), testutil.GoldenVec(4*seed+1, n)
		return []float32{Dot(x, y)}
	case "dots":
		incx, incy := g.int(t, "incx"), g.int(t, "incy")
		x, y := testutil.GoldenVec(4*seed, (n-1)*incx+1), testutil.GoldenVec(4*seed+1, (n-1)*incy+1)
		return []float32{DotStrided(n, x, incx, y, incy)}
	case "asum":
		off := g.int(t, "off")
		x := testutil.Aligned32(n, off)
		copy(x, testutil.GoldenVec(4*seed, n))
		return []float32{AsumAt(x, off)}
	}
	t.Fatalf("unknown op %q", g["op"])
	return nil
}

func TestOpenBLASGolden(t *testing.T) {
	f, err := os.Open("testdata/openblas.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	for sc := bufio.NewScanner(f); sc.Scan(); {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	if len(lines) < 100 {
		t.Fatalf("only %d cases in testdata/openblas.txt", len(lines))
	}
	defer func(old bool) { useVecAsm = old }(useVecAsm)
	for _, kernels := range []struct {
		name string
		asm  bool
	}{{"asm", true}, {"go", false}} {
		if kernels.asm && !useVecAsm {
			continue
		}
		t.Run(kernels.name, func(t *testing.T) {
			useVecAsm = kernels.asm
			for _, l := range lines {
				g := goldenLine{}
				for _, kv := range strings.Fields(l) {
					k, v, _ := strings.Cut(kv, "=")
					g[k] = v
				}
				want, err := strconv.ParseUint(g["hash"], 16, 64)
				if err != nil {
					t.Fatalf("%s: %v", l, err)
				}
				out := g.run(t)
				if got := testutil.GoldenHash(out); got != want {
					msg := ""
					if len(out) == 1 {
						msg = " (" + strconv.FormatFloat(float64(out[0]), 'g', -1, 32) + ")"
					}
					t.Errorf("%s: output hash %016x%s, OpenBLAS's %016x", strings.TrimSuffix(l, " hash="+g["hash"]), got, msg, want)
				}
			}
		})
	}
}
