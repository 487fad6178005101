package blob

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestCountOf: products of dimensions are checked as they are
// formed, so that none wraps around — 2^32 × 2^32 × 16 is 0 in 64 bits, which passed
// every size check and crashed later.
func TestCountOf(t *testing.T) {
	for _, tc := range []struct {
		shape []int
		count int
		err   string
	}{
		{nil, 1, ""},
		{[]int{2, 3, 4}, 24, ""},
		{[]int{0, 1 << 40}, 0, ""}, // Caffe stops counting at a zero
		{[]int{MaxCount}, MaxCount, ""},
		{[]int{1 << 32, 1 << 32, 16}, 0, "295147905179352825856 values, more than a blob can hold"},
		{[]int{26983373, 3498256, 1954213}, 0, "184467440737095516944 values"},
		{[]int{2000000000, 784}, 0, "1568000000000 values"},
		{[]int{MaxCount, 2}, 0, "more than a blob can hold"},
		{[]int{3, -1}, 0, "negative dimension"},
		{make([]int, MaxAxes+1), 0, "33 axes"},
	} {
		got, err := CountOf(tc.shape...)
		switch {
		case tc.err == "" && (err != nil || got != tc.count):
			t.Errorf("CountOf(%v) = %d, %v; want %d", tc.shape, got, err, tc.count)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("CountOf(%v): error %v, want one saying %q", tc.shape, err, tc.err)
		}
	}
	if _, err := CountOf64(1<<32, 1); err == nil {
		t.Error("CountOf64 took a dimension of 2^32")
	}
}

// TestReshapeRefusesAsError: Reshape panics with a *ShapeError, or an *AllocError
// beyond the memory limit, before allocating; Recover makes either an error and lets
// other panics through.
func TestReshapeRefusesAsError(t *testing.T) {
	b := New(2, 2)
	err := Recover(func() { b.Reshape(1<<32, 1<<32, 16) })
	var se *ShapeError
	if !errors.As(err, &se) {
		t.Fatalf("huge shape: %v", err)
	}
	if b.Count() != 4 || len(b.Data) != 4 {
		t.Errorf("a refused Reshape changed the blob: %s", b.ShapeString())
	}

	SetMemoryLimit(64 << 20)
	defer SetMemoryLimit(0)
	err = Recover(func() { b.Reshape(100, 1000, 1000) }) // 800 MB with the gradient
	var ae *AllocError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "--max_memory") {
		t.Fatalf("beyond the limit: %v", err)
	}
	if err := Recover(func() { b.Reshape(10, 10) }); err != nil || b.Count() != 100 {
		t.Fatalf("a small blob: %v", err)
	}
	if err := CheckAlloc(1 << 30); err == nil {
		t.Error("CheckAlloc of 1 GB under a 64 MB limit")
	}
	defer func() {
		if r := recover(); r != "other" {
			t.Errorf("recovered %v, want the other panic to go on", r)
		}
	}()
	Recover(func() { panic("other") })
}

// TestShapesOnly: while ShapesOnly runs, blobs take shapes and counts of any size
// but allocate nothing.
func TestShapesOnly(t *testing.T) {
	var b *Blob
	err := ShapesOnly(func() error {
		b = New(1000, 1000, 1000) // 8 GB with the gradient
		if b.Count() != 1e9 || len(b.Data) != 0 || Floats(1e9) != nil {
			t.Errorf("count %d, %d values", b.Count(), len(b.Data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Reshape(2, 3)
	if len(b.Data) != 6 || len(b.Diff) != 6 {
		t.Errorf("after ShapesOnly: %d values", len(b.Data))
	}
}

// TestDefaultMemoryLimit: without --max_memory the limit is what the system has
// available, and says so.
func TestDefaultMemoryLimit(t *testing.T) {
	SetMemoryLimit(0)
	n, source := MemoryLimit()
	if _, err := os.Stat("/proc/meminfo"); err == nil {
		total, _ := meminfo("MemTotal")
		if n <= 0 || n > total+heapInUse()+1<<30 || !strings.Contains(source, "Mem") && !strings.Contains(source, "control group") && source != "GOMEMLIMIT" {
			t.Errorf("limit %d (%s), MemTotal %d", n, source, total)
		}
	}
}
