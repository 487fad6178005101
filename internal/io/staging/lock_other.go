//go:build !unix

package staging

import "os"

// Lock does nothing where flock(2) does not exist: Clean then removes only staging
// items a day old.
func Lock(f *os.File) error { return nil }

// isLocked cannot tell here.
func isLocked(path string) (locked, known bool) { return false, false }

// processAlive cannot tell here: every process may be alive.
func processAlive(pid int) bool { return true }
