//go:build !race

package network

// raceEnabled reports a build with the race detector, which allocates on its own.
const raceEnabled = false
