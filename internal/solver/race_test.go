//go:build race

package solver

// raceEnabled reports a build with the race detector, which allocates on its own.
const raceEnabled = true
