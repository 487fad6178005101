package blas

import (
	"strings"
	"testing"
)

// TestKernel: the kernel's description names the assembly only where it runs.
func TestKernel(t *testing.T) {
	k := Kernel()
	for _, tt := range []struct {
		has  bool
		name string
	}{{hasAVX512, "AVX-512"}, {hasAVX2FMA, "AVX2/FMA"}, {!hasAVX2FMA, "portable Go"}} {
		if got := strings.Contains(k, tt.name); got != tt.has {
			t.Errorf("Kernel() = %q: mentions %s = %v, want %v", k, tt.name, got, tt.has)
		}
	}
}
