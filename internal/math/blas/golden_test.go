package blas

import (
	"bufio"
	"encoding/binary"
	"hash/fnv"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// testdata/openblas.txt holds what OpenBLAS 0.3.21 computes (Haswell kernels, two
// threads) for a few hundred calls of Gemv and the vector operations, as hashes of
// the output bits; internal/math/openblas writes it. TestOpenBLASGolden recomputes
// every call here, where there may be no OpenBLAS, with the assembly kernels and
// with the Go ones.

// goldenVec returns n floats from seed: splitmix64's bits as signs, exponents
// 2⁻¹⁰…2¹⁰ and mantissas, with no generator whose algorithm could change. (The
// openblas package's tests have a copy.)
func goldenVec(seed uint64, n int) []float32 {
	v := make([]float32, n)
	s := seed * 0x2545f4914f6cdd1d
	for i := range v {
		s += 0x9e3779b97f4a7c15
		z := s
		z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
		z = (z ^ z>>27) * 0x94d049bb133111eb
		z ^= z >> 31
		exp := uint32(127-10) + uint32(z%21)
		mant := uint32(z>>8) & (1<<23 - 1)
		sign := uint32(z>>40) & 1
		v[i] = math.Float32frombits(sign<<31 | exp<<23 | mant)
	}
	return v
}

// aligned32 returns n floats starting off floats past a 32-byte boundary: Asum's
// order depends on it.
func aligned32(n, off int) []float32 {
	buf := make([]float32, n+off+8)
	skip := int((32-uintptr(unsafe.Pointer(&buf[0]))%32)%32) / 4
	return buf[skip+off : skip+off+n]
}

func goldenHash(v []float32) uint64 {
	h := fnv.New64a()
	var b [4]byte
	for _, f := range v {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(f))
		h.Write(b[:])
	}
	return h.Sum64()
}

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
		a, x, y := goldenVec(4*seed, m*n), goldenVec(4*seed+1, lx), goldenVec(4*seed+2, ly)
		if g["ones"] == "1" {
			GemvOnes(trans, m, n, alpha, a, beta, y)
			return y
		}
		Gemv(trans, m, n, alpha, a, x, beta, y)
		return y
	case "axpy", "axpby":
		x, y := goldenVec(4*seed, n), goldenVec(4*seed+1, n)
		if g["op"] == "axpby" {
			Axpby(alpha, x, beta, y)
		} else {
			Axpy(alpha, x, y)
		}
		return y
	case "scal":
		x := goldenVec(4*seed, n)
		Scal(alpha, x)
		return x
	case "dot":
		x, y := goldenVec(4*seed, n), goldenVec(4*seed+1, n)
		return []float32{Dot(x, y)}
	case "asum":
		x := aligned32(n, g.int(t, "off"))
		copy(x, goldenVec(4*seed, n))
		return []float32{Asum(x)}
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
				if got := goldenHash(out); got != want {
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
