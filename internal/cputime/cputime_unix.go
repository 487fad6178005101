//go:build unix

// Package cputime reads the CPU time the process has used. `gocaffe time` and the
// benchmarks report it beside the wall time: on a machine shared with other work it
// is the steadier measure of what a pass costs.
package cputime

import (
	"syscall"
	"time"
)

// Process returns the CPU time the process has used, all threads together, or 0
// where it cannot be read.
func Process() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
