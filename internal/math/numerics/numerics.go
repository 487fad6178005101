// Package numerics says how gocaffe computes: as fast as it can, or as Caffe's
// reference build does, to the last bit.
//
// A training run is chaotic: a float32 sum rounded the other way decides which of two
// near-equal values wins a max-pooling window, and the difference grows from there.
// So reproducing a Caffe run means summing every product, every reduction and every
// solver step in the order Caffe's reference build (BVLC Caffe, OpenBLAS 0.3.21's
// Haswell kernels on two threads, glibc 2.36) sums them — which costs speed. A user
// who did not ask for Caffe's last bit should not pay for it, so there are two modes:
//
//   - Fast (the default): any summation order, batching, fusion and algorithm that is
//     faster, within the layer fixtures' tolerance of Caffe. Still deterministic: the
//     same command on the same machine with the same number of threads gives the
//     same bits, so an interrupted run resumes exactly.
//   - Caffe: the reference build's numbers, bit for bit.
//
// The mode is a process-wide setting, like the number of threads: the command line
// sets it once, before a net is built; the matrix product and the layers whose loops
// depend on it read it on every call.
package numerics

import (
	"fmt"
	"sync/atomic"
)

// Mode is one of the two numerics.
type Mode uint32

const (
	// Fast sums in whatever order is fastest, deterministically.
	Fast Mode = iota
	// Caffe computes the reference Caffe build's numbers bit for bit.
	Caffe
)

// Modes lists the modes by name, in the order the help gives them.
var Modes = []Mode{Fast, Caffe}

// String returns the mode's name as the --numerics flag spells it.
func (m Mode) String() string {
	switch m {
	case Fast:
		return "fast"
	case Caffe:
		return "caffe"
	}
	return fmt.Sprintf("Mode(%d)", uint32(m))
}

// Parse returns the mode named s ("fast" or "caffe").
func Parse(s string) (Mode, error) {
	for _, m := range Modes {
		if s == m.String() {
			return m, nil
		}
	}
	return Fast, fmt.Errorf("unknown numerics %q (want fast or caffe)", s)
}

var current atomic.Uint32

// Set makes m the mode of everything computed from now on and returns the previous
// one (tests restore it).
func Set(m Mode) (previous Mode) { return Mode(current.Swap(uint32(m))) }

// Get returns the current mode.
func Get() Mode { return Mode(current.Load()) }

// IsCaffe reports whether the current mode is Caffe.
func IsCaffe() bool { return Get() == Caffe }
