//go:build unix

package layers_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used, all threads together. The
// layer benchmarks report it per pass beside the wall time: on a machine shared with
// other work it is the steadier measure of a one-worker pass.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
