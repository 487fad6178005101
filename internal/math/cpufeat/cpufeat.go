// Package cpufeat is the one place gocaffe reads which instruction sets the CPU, and
// the operating system that must save the wider registers, offer. The packages of
// internal/math that have assembly pick their paths from these values instead of
// each asking golang.org/x/sys/cpu on its own, so that they agree on what the
// machine has and one file says which assembly needs what.
//
// The values are read once, at start-up, and never change. The packages' own
// switches (useAsm and the like), which tests turn off to check the assembly against
// the Go loops, start from them.
package cpufeat

import "golang.org/x/sys/cpu"

// The x86-64 instruction sets the assembly uses; all false on other CPUs.
var (
	AVX     = cpu.X86.HasAVX     // im2col's row loops
	AVX2    = cpu.X86.HasAVX2    // vec's element-wise loops
	FMA     = cpu.X86.HasFMA     // vec's fused loops, with AVX2
	AVX512F = cpu.X86.HasAVX512F // blas's wide micro-kernel, im2col's packer
	BMI2    = cpu.X86.HasBMI2    // im2col's packer, with AVX512F
)

// AVX2FMA is the baseline of blas's micro-kernels and vector kernels and of cmath's
// vectorised powf: AVX, AVX2 and FMA3 together.
var AVX2FMA = AVX && AVX2 && FMA

// ASIMD is arm64's Advanced SIMD, which gocaffe has no assembly for; it is here for
// reports of the machine.
var ASIMD = cpu.ARM64.HasASIMD
