package cputime

import (
	"runtime"
	"testing"
)

// TestProcessGrows: work done between two readings shows as CPU time, where the
// platform gives it.
func TestProcessGrows(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no CPU time on this platform")
	}
	start := Process()
	x := 0
	for i := 0; Process() == start && i < 1e9; i++ {
		x += i
	}
	if Process() <= start {
		t.Errorf("CPU time stayed at %v after a loop of work (%d)", start, x)
	}
}
