//go:build !unix

// Package cputime reads the CPU time the process has used. `gocaffe time` and the
// benchmarks report it beside the wall time: on a machine shared with other work it
// is the steadier measure of what a pass costs.
package cputime

import "time"

// Process returns 0: the process's CPU time is not at hand here.
func Process() time.Duration { return 0 }
