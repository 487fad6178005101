package testutil

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"testing"
	"unsafe"
)

// The golden outputs of the real OpenBLAS (internal/math/blas/testdata/openblas.txt)
// are written by internal/math/openblas's tests and checked by internal/math/blas's:
// both build their inputs and hash their outputs with these.

// GoldenVec returns n floats from seed: splitmix64's bits as signs, exponents
// 2⁻¹⁰…2¹⁰ and mantissas, with no generator whose algorithm could change.
func GoldenVec(seed uint64, n int) []float32 {
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

// Aligned32 returns n floats starting off floats past a 32-byte boundary: OpenBLAS's
// sasum sums in an order that depends on it.
func Aligned32(n, off int) []float32 {
	buf := make([]float32, n+off+8)
	skip := int((32-uintptr(unsafe.Pointer(&buf[0]))%32)%32) / 4
	return buf[skip+off : skip+off+n]
}

// GoldenHash returns the FNV-1a hash of v's bits, little-endian.
func GoldenHash(v []float32) uint64 {
	h := fnv.New64a()
	var b [4]byte
	for _, f := range v {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(f))
		h.Write(b[:])
	}
	return h.Sum64()
}

// CheckGolden compares a golden file with what the test computed: with update set it
// writes got to path instead (and its folder, if missing). source names what the
// file's values come from, for the error ("the C library", "OpenBLAS").
func CheckGolden(t testing.TB, path, got string, update bool, source string) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(old) != got {
		t.Fatalf("%s is not what %s computes; rerun with -update", path, source)
	}
}
