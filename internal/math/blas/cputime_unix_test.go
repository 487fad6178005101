//go:build unix

package blas

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used, all threads together. The
// benchmarks report GFLOP per CPU-second beside GFLOP per second: on a machine
// shared with other work it is the steadier measure of a kernel's efficiency.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
