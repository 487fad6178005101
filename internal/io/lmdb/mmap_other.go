//go:build !unix

package lmdb

import "os"

// mapFile reads the file into memory where memory mapping is not available through
// the syscall package.
func mapFile(f *os.File, size int) (data []byte, release func() error, err error) {
	return readFile(f, size)
}
