//go:build unix

package protofile

import (
	"os"
	"syscall"
)

// mapFile maps the n bytes of f read-only into memory; release unmaps them. Where
// mapping fails (a pipe, a file system without mmap) it falls back to reading.
func mapFile(f *os.File, n int) (data []byte, release func(), err error) {
	data, err = syscall.Mmap(int(f.Fd()), 0, n, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return readAll(f, n)
	}
	return data, func() { syscall.Munmap(data) }, nil
}
