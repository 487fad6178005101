package blas

import "fmt"

// Kernel describes the micro-kernel gocaffe's own product (fast and ordered) runs
// on this CPU and in this build: the AVX-512 and AVX2/FMA assembly, or the portable
// Go kernel (other architectures, older CPUs, the purego build tag).
func Kernel() string {
	switch {
	case hasAVX512:
		return fmt.Sprintf("AVX-512 %d×%d and AVX2/FMA %d×%d assembly", 2*mr, 2*nr, mr, nr)
	case hasAVX2FMA:
		return fmt.Sprintf("AVX2/FMA %d×%d assembly", mr, nr)
	}
	return fmt.Sprintf("portable Go %d×%d", mr, nr)
}
