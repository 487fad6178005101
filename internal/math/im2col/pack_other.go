//go:build !amd64 || purego

package im2col

// packSliverFast has no assembly here.
func (pk *Packer) packSliverFast(d []float32, p0, kk int, runs []run) bool { return false }
