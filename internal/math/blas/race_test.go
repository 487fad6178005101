//go:build race

package blas

// raceEnabled reports a build with the race detector, which allocates on its own.
const raceEnabled = true
