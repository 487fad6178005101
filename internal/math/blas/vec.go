package blas

import (
	"fmt"
	"math"

	"github.com/gocaffe/gocaffe/internal/math/cmath"
)

// The vector operations are Caffe's caffe_axpy, caffe_cpu_axpby, caffe_scal,
// caffe_cpu_scale, caffe_cpu_dot, caffe_cpu_strided_dot and caffe_cpu_asum, which
// call cblas_saxpy, sscal, scopy, sdot and sasum; like Gemv they compute what
// OpenBLAS 0.3.21's Haswell kernels compute on two threads, bit for bit (see
// sgemv.go); Asum is the Zen kernels' sasum (see AsumAt), the only one of these
// routines where OpenBLAS's Zen and Haswell kernels differ. Powx is Caffe's
// caffe_powx, the C library's powf per element.

// level1Threshold is the length above which interface/axpy.c cuts a saxpy between
// the threads.
const level1Threshold = 10000

// Axpy computes y += alpha·x as cblas_saxpy: nothing when alpha is 0; otherwise, in
// each thread's share of x (two halves, the first rounded up, above 10000 elements)
// y = alpha·x + y rounded once (a fused multiply-add) in blocks of 32, and in two
// roundings (alpha·x, then the sum) for the share's last length mod 32 elements.
func Axpy(alpha float32, x, y []float32) {
	y = y[:len(x)]
	if len(x) == 0 || alpha == 0 {
		return
	}
	if len(x) <= level1Threshold {
		saxpyKernel(alpha, x, y)
		return
	}
	for from, done := 0, 0; from < len(x); done++ {
		w := level1Width(len(x)-from, obThreads, done)
		saxpyKernel(alpha, x[from:from+w], y[from:from+w])
		from += w
	}
}

// AxpyPart computes part of an n-element Axpy: y += alpha·x for the elements
// [lo, lo+len(x)) of the whole, x and y being those elements, with the roundings
// Axpy gives them (which elements OpenBLAS fuses depends on where they lie in the
// whole vector and how its threads share it). Loops that split a saxpy over the
// cores, or that take it piece by piece, use it to compute as Caffe's caffe_axpy does.
func AxpyPart(n, lo int, alpha float32, x, y []float32) {
	y = y[:len(x)]
	if len(x) == 0 || alpha == 0 {
		return
	}
	hi := lo + len(x)
	part := func(from, to int) {
		fusedEnd := from + (to-from)&^31
		if a, b := max(from, lo), min(fusedEnd, hi); a < b {
			xs, ys := x[a-lo:b-lo], y[a-lo:b-lo]
			n32 := len(xs) &^ 31
			saxpyFused(alpha, xs[:n32], ys[:n32])
			for i := n32; i < len(xs); i++ {
				ys[i] = fmaf(alpha, xs[i], ys[i])
			}
		}
		for i := max(fusedEnd, lo); i < min(to, hi); i++ {
			y[i-lo] = float32(alpha*x[i-lo]) + y[i-lo]
		}
	}
	if n <= level1Threshold {
		part(0, n)
		return
	}
	for from, done := 0, 0; from < n; done++ {
		w := level1Width(n-from, obThreads, done)
		part(from, from+w)
		from += w
	}
}

// level1Width is the share blas_level1_thread gives the next of the threads-done
// threads still to start when rest elements are left: an even share, rounded up.
func level1Width(rest, threads, done int) int {
	return min((rest+threads-done-1)/(threads-done), rest)
}

// saxpyKernel is saxpy_k of the Haswell kernels: fused in blocks of 32, not after.
func saxpyKernel(alpha float32, x, y []float32) {
	n32 := len(x) &^ 31
	saxpyFused(alpha, x[:n32], y[:n32])
	y = y[n32:len(x)]
	for i, v := range x[n32:] {
		y[i] = float32(alpha*v) + y[i]
	}
}

// saxpyFusedGo is saxpyFused in Go.
func saxpyFusedGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = fmaf(alpha, v, y[i])
	}
}

// Axpby computes y = alpha·x + beta·y the way Caffe does without MKL (its
// mkl_alternate.h): Scal(beta, y), then Axpy(alpha, x, y).
func Axpby(alpha float32, x []float32, beta float32, y []float32) {
	y = y[:len(x)]
	Scal(beta, y)
	Axpy(alpha, x, y)
}

// Scale computes y = alpha·x as Caffe's caffe_cpu_scale: cblas_scopy, then
// cblas_sscal on y (Scal), so alpha 1 gives a copy and alpha 0 zeros, whatever x
// holds. x and y may be the same slice.
func Scale(alpha float32, x, y []float32) {
	y = y[:len(x)]
	copy(y, x)
	Scal(alpha, y)
}

// Powx computes y[i] = x[i]^b as Caffe's caffe_powx without MKL (vsPowx of
// mkl_alternate.hpp): std::pow on two floats, which is glibc's powf (cmath.Powf),
// for every b, 2 and 0.5 included — powf(x, 2) is not always x·x rounded, nor
// powf(x, 0.5) the square root. x and y may be the same slice.
func Powx(x []float32, b float32, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = cmath.Powf(v, b)
	}
}

// Scal computes x *= alpha as cblas_sscal: nothing when alpha is 1, zeros (whatever x
// held, NaN included) when alpha is 0 (or NaN, which OpenBLAS's comparison with 0
// lets through), otherwise one rounded product per element.
func Scal(alpha float32, x []float32) {
	if alpha == 1 {
		return
	}
	scalKernel(alpha, x)
}

// scalKernel is sscal_k: zeros for alpha 0 or NaN, products otherwise. Gemv scales
// y with it directly, 1 included.
func scalKernel(alpha float32, x []float32) {
	if alpha == 0 || alpha != alpha {
		clear(x)
		return
	}
	for i := range x {
		x[i] *= alpha
	}
}

// Dot returns Σ x[i]·y[i] as cblas_sdot: the elements up to the last multiple of 32
// in four eight-lane chains of fused multiply-adds (element 32b+8k+l into chain k,
// lane l), each chain's upper half added to its lower, the chains added as
// (c0+c1)+(c2+c3) and the lanes pairwise; the rest as rounded float32 products
// summed in float64; the two parts added in float64 and rounded to float32.
func Dot(x, y []float32) float32 {
	y = y[:len(x)]
	n32 := len(x) &^ 31
	var head float64
	if n32 > 0 {
		head = float64(sdotKernel(x[:n32], y[:n32]))
	}
	var tail float64
	for i := n32; i < len(x); i++ {
		tail += float64(float32(x[i] * y[i]))
	}
	return float32(head + tail)
}

// DotStrided returns Σ x[i·incx]·y[i·incy] for i < n as cblas_sdot with the given
// (positive) increments: Caffe's caffe_cpu_strided_dot. With both increments 1 it is
// Dot; otherwise OpenBLAS's Haswell sdot_k takes the products in pairs, adds each
// pair in float32 and the pair's sum to a float64 total (an odd last product alone),
// and rounds the total to float32.
func DotStrided(n int, x []float32, incx int, y []float32, incy int) float32 {
	if n <= 0 {
		return 0
	}
	if incx < 1 || incy < 1 || len(x) < (n-1)*incx+1 || len(y) < (n-1)*incy+1 {
		panic(fmt.Sprintf("blas: DotStrided of %d elements with increments %d and %d on %d and %d elements",
			n, incx, incy, len(x), len(y)))
	}
	if incx == 1 && incy == 1 {
		return Dot(x[:n], y[:n])
	}
	var dot float64
	ix, iy := 0, 0
	i := 0
	for ; i+2 <= n; i += 2 {
		m1 := float32(y[iy] * x[ix]) // rounded: not fused into the sum
		m2 := float32(y[iy+incy] * x[ix+incx])
		dot += float64(m1 + m2)
		ix += 2 * incx
		iy += 2 * incy
	}
	if i < n {
		dot += float64(y[iy] * x[ix])
	}
	return float32(dot)
}

// sdotKernelGo is sdotKernel in Go.
func sdotKernelGo(x, y []float32) float32 {
	y = y[:len(x)]
	var acc [4][8]float32
	for i := 0; i+32 <= len(x); i += 32 {
		for k := range acc {
			for l := range acc[k] {
				j := i + 8*k + l
				acc[k][l] = fmaf(x[j], y[j], acc[k][l])
			}
		}
	}
	var u [4]float32
	for j := range u {
		s0 := acc[0][j+4] + acc[0][j]
		s1 := acc[1][j+4] + acc[1][j]
		s2 := acc[2][j+4] + acc[2][j]
		s3 := acc[3][j+4] + acc[3][j]
		u[j] = (s0 + s1) + (s2 + s3)
	}
	return (u[0] + u[1]) + (u[2] + u[3])
}

// Asum returns Σ |x[i]| as cblas_sasum computes it on the reference machine, for x at
// the start of a Caffe blob: see AsumAt.
func Asum(x []float32) float32 { return AsumAt(x, 0) }

// AsumAt returns Σ |x[i]| as cblas_sasum computes it on the reference machine, for x
// starting offset floats into a Caffe blob (Caffe's caffe_cpu_asum of blob + offset).
//
// The machine that made the fixtures runs OpenBLAS's Zen kernels, which are its
// Haswell ones for every routine Caffe calls but this one: the Zen sasum is the SSE
// kernel asum_sse.S, not the AVX2 sasum.c of Haswell. It sums in four four-lane
// accumulators, in an order that depends on x's address modulo 16 bytes: a float or
// two are taken alone until x is 16-byte aligned. Caffe's blobs are malloc'd, so
// their start is 16-byte aligned and x's address modulo 16 is 4·offset modulo 16:
// AsumAt computes as if x were there, wherever it really is.
func AsumAt(x []float32, offset int) float32 {
	n := len(x)
	if n <= 0 {
		return 0
	}
	abs := func(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }
	var acc [4][4]float32
	i := 0
	if n > 3 {
		// Single floats, then a pair, until the address is a multiple of 16.
		mis := offset & 3
		if mis&1 != 0 {
			acc[0][0] = abs(x[0])
			i, n, mis = 1, n-1, mis+1
			if n <= 0 {
				return asumReduce(&acc)
			}
		}
		if mis&2 != 0 {
			acc[1][0], acc[1][1] = abs(x[i]), abs(x[i+1])
			i, n = i+2, n-2
			if n <= 0 {
				return asumReduce(&acc)
			}
		}
		// Blocks of 32 floats, eight quadruples into the accumulators 0 1 2 3 0 1 2 3.
		for ; n >= 32; n -= 32 {
			for q := range 8 {
				a := &acc[q&3]
				for l := range 4 {
					a[l] += abs(x[i+4*q+l])
				}
			}
			i += 32
		}
		// Then 16 (into 0 1 0 1), 8 (0 1) and 4 (2) as n's bits say.
		quads := func(dst ...int) {
			for q, d := range dst {
				for l := range 4 {
					acc[d][l] += abs(x[i+4*q+l])
				}
			}
			i += 4 * len(dst)
		}
		if n&16 != 0 {
			quads(0, 1, 0, 1)
		}
		if n&8 != 0 {
			quads(0, 1)
		}
		if n&4 != 0 {
			quads(2)
		}
	}
	// The last pair into lanes 0 and 1 of accumulator 3, the last float into lane 0 of
	// accumulator 2 (the other lanes gain +0).
	if n&2 != 0 {
		acc[3][0] += abs(x[i])
		acc[3][1] += abs(x[i+1])
		i += 2
	}
	if n&1 != 0 {
		acc[2][0] += abs(x[i])
	}
	return asumReduce(&acc)
}

// asumReduce is the end of asum_sse.S: accumulators (0+1) + (2+3), lane by lane, then
// two horizontal adds, (l0+l1) + (l2+l3).
func asumReduce(acc *[4][4]float32) float32 {
	var s [4]float32
	for l := range s {
		s[l] = (acc[0][l] + acc[1][l]) + (acc[2][l] + acc[3][l])
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

// Sum returns Σ x[i], accumulated in float64.
func Sum(x []float32) float32 {
	var s float64
	for _, v := range x {
		s += float64(v)
	}
	return float32(s)
}

// Fill sets every element of x to v.
func Fill(x []float32, v float32) {
	if v == 0 {
		clear(x)
		return
	}
	for i := range x {
		x[i] = v
	}
}
