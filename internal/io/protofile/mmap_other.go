//go:build !unix

package protofile

import "os"

// mapFile reads the n bytes of f; this system has no mmap in package syscall.
func mapFile(f *os.File, n int) (data []byte, release func(), err error) {
	return readAll(f, n)
}
