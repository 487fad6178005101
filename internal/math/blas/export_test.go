package blas

// What the conformance tests (package blas_test, conformance_test.go) need of the
// package's insides: they run the suite of package blastest, which imports blas.

// Products are the two products of the numerics, which the driver's tests run alike:
// Fast and Ordered share the packing, the kernels and the driver.
var Products = []struct {
	Name string
	G    Gemmer
}{{"fast", Fast{}}, {"ordered", Ordered{}}}

// BlockEdges are sizes one below, at and one above every block size of the driver;
// the small and thin ones also take the rank-1, direct, direct-B and swapped paths.
var BlockEdges = [][3]int{
	{mr - 1, nr - 1, 1}, {mr, nr, 2}, {mr + 1, nr + 1, 3},
	{2*mr + 1, 3*nr - 1, obQ - 1}, {mr, nr, obQ}, {mr + 1, nr + 1, obQ + 1},
	{mc - 1, 2*nr + 1, 17}, {mc, nr, 9}, {mc + 1, nr - 1, 2*obQ + 1},
	{2*mc + 1, 3, 5}, {7, nc - 1, 3}, {5, nc, 2}, {13, nc + 1, 4}, {3, 2*nc + 17, 2},
	{1, 1, 600}, {1, 37, 300}, {37, 1, 300},
	{10, 300, fastKBlockNarrow + 3}, {12, 97, 40}, {8, 130, 17}, {2 * mr, 64, fastKBlock + 1},
}

// Kernels are the micro-kernels the machine can run, by name: each sets the package
// to use it alone and returns what puts the choice back.
func Kernels() map[string]func() (restore func()) {
	set := func(asm, avx512 bool) func() func() {
		return func() func() {
			oldAsm, oldAVX512 := useAsm, useAVX512
			useAsm, useAVX512 = asm, avx512
			return func() { useAsm, useAVX512 = oldAsm, oldAVX512 }
		}
	}
	k := map[string]func() func(){"generic": set(false, false)}
	if hasAVX2FMA {
		k["avx2"] = set(true, false)
	}
	if hasAVX512 {
		k["avx512"] = set(true, true)
	}
	return k
}

// DefaultKernel is the name, in Kernels, of the micro-kernel the package chose.
func DefaultKernel() string {
	switch {
	case useAsm && useAVX512 && hasAVX512:
		return "avx512"
	case useAsm:
		return "avx2"
	}
	return "generic"
}
