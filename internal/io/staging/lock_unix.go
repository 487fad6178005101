//go:build unix

package staging

import (
	"errors"
	"os"
	"syscall"
)

// Lock takes an exclusive flock(2) on f, held until f is closed (or the process
// ends, however it ends): Clean leaves staging items with a locked file alone.
func Lock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// isLocked reports whether some process holds a flock on the file at path. known is
// false when the system cannot say.
func isLocked(path string) (locked, known bool) {
	f, err := os.Open(path)
	if err != nil {
		return true, true // cannot look: assume it is in use
	}
	defer f.Close()
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	switch {
	case err == nil:
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false, true
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, true
	case errors.Is(err, syscall.ENOLCK), errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.ENOSYS):
		return false, false
	}
	return true, true
}

// processAlive reports whether a process with the id pid exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
