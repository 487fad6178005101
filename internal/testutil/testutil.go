// Package testutil finds the repository's shared test data and compares float slices
// with the tolerances the tests use against Caffe's outputs.
package testutil

import (
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
)

// Root is the repository's top folder (the one holding go.mod).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Path returns the path of a file under the repository's testdata folder, for example
// Path("fixtures/nets/lenet_mnist/init.caffemodel").
func Path(rel string) string {
	return filepath.Join(Root(), "testdata", filepath.FromSlash(rel))
}

// CopyDir copies a file or folder under testdata into a fresh temporary folder owned by
// the test and returns the copy's path. Databases must be opened from a copy: opening a
// LevelDB rewrites it.
func CopyDir(t testing.TB, rel string) string {
	t.Helper()
	src := Path(rel)
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, r)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copying %s: %v", rel, err)
	}
	return dst
}

// Close reports whether got is within atol + rtol·|want| of want.
func Close(got, want, atol, rtol float64) bool {
	if math.IsNaN(got) || math.IsNaN(want) {
		return math.IsNaN(got) && math.IsNaN(want)
	}
	return math.Abs(got-want) <= atol+rtol*math.Abs(want)
}

// CompareSlices returns an error describing the first and the worst element of got that
// is not within atol + rtol·|want| of want, or nil when all are.
func CompareSlices(got, want []float32, atol, rtol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("length %d, want %d", len(got), len(want))
	}
	bad, worst, worstAt := 0, 0.0, -1
	first := -1
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if Close(g, w, atol, rtol) {
			continue
		}
		if first < 0 {
			first = i
		}
		bad++
		if e := math.Abs(g-w) / (atol + rtol*math.Abs(w)); e > worst || math.IsNaN(e) {
			worst, worstAt = e, i
		}
	}
	if bad == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d elements differ: first at %d (got %g, want %g), worst at %d (got %g, want %g)",
		bad, len(got), first, got[first], want[first], worstAt, got[worstAt], want[worstAt])
}

// HeapNow is the memory the Go heap's objects hold now: the fuzz targets set gocaffe's
// memory limit a margin above it.
func HeapNow() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}
