//go:build !amd64 || purego

package im2col

// packSliverFast has no assembly here.
func (pk *Packer) packSliverFast(d []float32, p0, kk int, runs []run) bool { return false }

// usePackAVX512 is false without the assembly (tests set it to run both paths).
var usePackAVX512 = false

// packsInAsm is false without the assembly.
func packsInAsm(g *Geometry) bool { return false }

// im2colFast has no assembly here.
func im2colFast(g *Geometry, im, col []float32) bool { return false }

// permMaxStride chooses between the strided assembly's two ways; there is none here.
var permMaxStride = 0

// sliverTables has no assembly to serve here.
type sliverTables struct{}

func newSliverTables(g *Geometry) *sliverTables { return nil }

// packSliverTable has no assembly here.
func (pk *Packer) packSliverTable(d []float32, p0, kk, first, cols int) bool { return false }

// maxTableEnts and tabStackEnts bound the assembly's tables; there are none here.
var maxTableEnts, tabStackEnts = 0, 0
