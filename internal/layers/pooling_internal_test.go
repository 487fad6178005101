package layers

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/vec"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The reference passes below are Caffe's loops as they read (pooling_layer.cpp),
// one window at a time with its bounds clipped, a branch per value: the fast paths
// of poolGeom must give the same bits, and the benchmarks time them as the baseline.

func refMaxForward(g *poolGeom, x, y []float32, idx []int32) {
	for oy := 0; oy < g.outH; oy++ {
		hs, he, _ := g.rows(oy)
		for ox := 0; ox < g.outW; ox++ {
			ws, we, _ := g.cols(ox)
			best, arg := float32(-math.MaxFloat32), -1
			for h := hs; h < he; h++ {
				for w := ws; w < we; w++ {
					if v := x[h*g.w+w]; v > best {
						best, arg = v, h*g.w+w
					}
				}
			}
			y[oy*g.outW+ox], idx[oy*g.outW+ox] = best, int32(arg)
		}
	}
}

func refAveForward(g *poolGeom, x, y []float32) {
	for oy := 0; oy < g.outH; oy++ {
		hs, he, ph := g.rows(oy)
		for ox := 0; ox < g.outW; ox++ {
			ws, we, pw := g.cols(ox)
			var sum float32
			for h := hs; h < he; h++ {
				for w := ws; w < we; w++ {
					sum += x[h*g.w+w]
				}
			}
			y[oy*g.outW+ox] = sum / float32(ph*pw)
		}
	}
}

func refAveBackward(g *poolGeom, dy, dx []float32) {
	clear(dx)
	for oy := 0; oy < g.outH; oy++ {
		hs, he, ph := g.rows(oy)
		for ox := 0; ox < g.outW; ox++ {
			ws, we, pw := g.cols(ox)
			d := dy[oy*g.outW+ox] / float32(ph*pw)
			for h := hs; h < he; h++ {
				for w := ws; w < we; w++ {
					dx[h*g.w+w] += d
				}
			}
		}
	}
}

// newPoolGeom is the geometry Reshape computes for an h×w plane.
func newPoolGeom(h, w, kh, kw, sh, sw, ph, pw int) *poolGeom {
	g := &poolGeom{h: h, w: w, kh: kh, kw: kw, strideH: sh, strideW: sw, padH: ph, padW: pw}
	g.outH = pooledSize(h, kh, ph, sh, caffepb.PoolingParameter_CEIL)
	g.outW = pooledSize(w, kw, pw, sw, caffepb.PoolingParameter_CEIL)
	g.setInterior()
	return g
}

// nastyPlane fills a plane with values that test the scan's rules: many ties
// (few distinct values), zeros of both signs, NaN, ±∞ and ±FLT_MAX.
func nastyPlane(r *rand.Rand, n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)),
		float32(math.Inf(-1)), math.MaxFloat32, -math.MaxFloat32, 1, -1}
	x := make([]float32, n)
	for i := range x {
		switch r.IntN(4) {
		case 0:
			x[i] = special[r.IntN(len(special))]
		case 1:
			x[i] = float32(r.IntN(3)) - 1
		default:
			x[i] = float32(r.NormFloat64())
		}
	}
	return x
}

// sameBits returns the first index where a and b differ in their bits, or −1. Any
// two NaNs count as the same: which NaN a sum of two NaNs (or of +∞ and −∞ with a
// NaN) gives depends on the order of the operands, which the compiler may swap
// (it does under -race), in the reference loops as much as in the code tested.
func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}

// poolGeomCases are plane geometries: h, w, kh, kw, sh, sw, ph, pw.
var poolGeomCases = [][8]int{
	{24, 24, 2, 2, 2, 2, 0, 0}, {8, 8, 2, 2, 2, 2, 0, 0}, {32, 32, 3, 3, 2, 2, 0, 0},
	{16, 16, 3, 3, 2, 2, 0, 0}, {8, 8, 3, 3, 2, 2, 0, 0}, {13, 13, 3, 3, 2, 2, 0, 0},
	{55, 55, 3, 3, 2, 2, 0, 0}, {9, 11, 2, 2, 1, 1, 0, 0}, {9, 11, 3, 3, 1, 1, 1, 1},
	{10, 7, 3, 3, 2, 2, 1, 1}, {10, 7, 2, 2, 2, 2, 1, 1}, {12, 9, 4, 3, 3, 2, 2, 1},
	{7, 7, 5, 5, 1, 1, 2, 2}, {6, 6, 1, 1, 3, 2, 0, 0}, {5, 8, 2, 3, 1, 3, 0, 0},
	{3, 3, 3, 3, 1, 1, 0, 0}, {4, 4, 4, 4, 1, 1, 3, 3}, {2, 9, 2, 2, 2, 2, 1, 0},
	{9, 2, 2, 2, 2, 2, 0, 1}, {2, 2, 2, 2, 2, 2, 1, 1}, {5, 40, 3, 3, 1, 1, 1, 1}, {7, 37, 2, 3, 2, 2, 1, 1},
	{4, 600, 3, 3, 2, 2, 1, 1},
}

// TestPoolGeomMatchesReference: the interior fast paths (2×2, 3×3 unrolled, any
// other window) and the clipped borders give the reference loops' bits exactly,
// ±0 and ties included (and NaN where they give NaN).
func TestPoolGeomMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for _, c := range poolGeomCases {
		g := newPoolGeom(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
		name := fmt.Sprintf("%dx%d k%dx%d s%dx%d p%dx%d", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
		for trial := 0; trial < 20; trial++ {
			x := nastyPlane(r, g.h*g.w)
			out := g.outH * g.outW
			y, wantY := make([]float32, out), make([]float32, out)
			idx, wantIdx := make([]int32, out), make([]int32, out)
			g.maxForward(x, y, idx)
			refMaxForward(g, x, wantY, wantIdx)
			if i := sameBits(y, wantY); i >= 0 || fmt.Sprint(idx) != fmt.Sprint(wantIdx) {
				t.Fatalf("%s MAX: output %v (index %v), the reference gives %v (%v)", name, y, idx, wantY, wantIdx)
			}
			g.aveForward(x, y)
			refAveForward(g, x, wantY)
			if i := sameBits(y, wantY); i >= 0 {
				t.Fatalf("%s AVE: output %d = %g, the reference gives %g", name, i, y[i], wantY[i])
			}
			dy := nastyPlane(r, out)
			dx, wantDx := make([]float32, g.h*g.w), make([]float32, g.h*g.w)
			g.aveBackward(dy, dx)
			refAveBackward(g, dy, wantDx)
			if i := sameBits(dx, wantDx); i >= 0 {
				t.Fatalf("%s AVE backward: dx %d = %g, the reference gives %g", name, i, dx[i], wantDx[i])
			}
		}
	}
}

// TestPoolInterior: the interior is exactly the outputs whose windows need no
// clipping.
func TestPoolInterior(t *testing.T) {
	for n := 1; n < 12; n++ {
		for k := 1; k <= n+2; k++ {
			for s := 1; s < 4; s++ {
				for p := 0; p < k; p++ {
					out := pooledSize(n, k, p, s, caffepb.PoolingParameter_CEIL)
					lo, hi := interior(n, k, s, p, out)
					for o := 0; o < out; o++ {
						inside := o*s-p >= 0 && o*s-p+k <= n
						if inside != (o >= lo && o < hi) {
							t.Fatalf("n %d k %d s %d p %d: interior [%d, %d), but output %d inside = %v", n, k, s, p, lo, hi, o, inside)
						}
					}
				}
			}
		}
	}
}

// BenchmarkPoolPlane times the passes over 256 planes, the reference loops against
// poolGeom's, on the pooling shapes of LeNet and cifar10_quick. The planes are many
// and random so that the branch predictor cannot learn them, as on real batches.
func BenchmarkPoolPlane(b *testing.B) {
	const planes = 256
	for _, c := range []struct {
		name string
		g    *poolGeom
	}{
		{"lenet_pool1_24x24_k2s2", newPoolGeom(24, 24, 2, 2, 2, 2, 0, 0)},
		{"lenet_pool2_8x8_k2s2", newPoolGeom(8, 8, 2, 2, 2, 2, 0, 0)},
		{"cifar_pool1_32x32_k3s2", newPoolGeom(32, 32, 3, 3, 2, 2, 0, 0)},
		{"cifar_pool2_16x16_k3s2", newPoolGeom(16, 16, 3, 3, 2, 2, 0, 0)},
		{"cifar_pool3_8x8_k3s2", newPoolGeom(8, 8, 3, 3, 2, 2, 0, 0)},
	} {
		g := c.g
		r := rand.New(rand.NewPCG(1, 1))
		in, out := g.h*g.w, g.outH*g.outW
		x, dx := make([]float32, planes*in), make([]float32, planes*in)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		y, idx, dy := make([]float32, planes*out), make([]int32, planes*out), x[:planes*out]
		for _, p := range []struct {
			name string
			f    func(p int)
		}{
			{"max/ref", func(p int) { refMaxForward(g, x[p*in:], y[p*out:], idx[p*out:]) }},
			{"max/fast", func(p int) { g.maxForward(x[p*in:], y[p*out:], idx[p*out:]) }},
			{"ave/ref", func(p int) { refAveForward(g, x[p*in:], y[p*out:]) }},
			{"ave/fast", func(p int) { g.aveForward(x[p*in:], y[p*out:]) }},
			{"aveback/ref", func(p int) { refAveBackward(g, dy[p*out:], dx[p*in:(p+1)*in]) }},
			{"aveback/fast", func(p int) { g.aveBackward(dy[p*out:], dx[p*in:(p+1)*in]) }},
		} {
			b.Run(c.name+"/"+p.name, func(b *testing.B) {
				for b.Loop() {
					for i := range planes {
						p.f(i)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*planes*out), "ns/output")
			})
		}
		// All the planes in one call, as the layer runs them where the row kernels
		// take the geometry (else a plane at a time, as fast).
		for _, p := range []struct {
			name string
			f    func()
		}{
			{"max/planes", func() {
				if !g.maxForwardRows(x, y, idx, planes) {
					for i := range planes {
						g.maxForward(x[i*in:], y[i*out:], idx[i*out:])
					}
				}
			}},
			{"ave/planes", func() {
				if !g.aveForwardRows(x, y, planes) {
					for i := range planes {
						g.aveForward(x[i*in:], y[i*out:])
					}
				}
			}},
			{"aveback/planes", func() {
				if !g.aveBackwardRows(dy[:planes*out], dx, planes) {
					for i := range planes {
						g.aveBackward(dy[i*out:], dx[i*in:(i+1)*in])
					}
				}
			}},
		} {
			b.Run(c.name+"/"+p.name, func(b *testing.B) {
				for b.Loop() {
					p.f()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*planes*out), "ns/output")
			})
		}
	}
}

// TestPoolGeomWithoutAsm runs the comparison on the Go loops too, where the
// assembly (vec.MaxWindows) would otherwise take the MAX windows.
func TestPoolGeomWithoutAsm(t *testing.T) {
	defer func(f func([]float32, int, int, int, int, int, int, []float32, []int32, int, int, int) bool) {
		maxWindows = f
	}(maxWindows)
	maxWindows = func([]float32, int, int, int, int, int, int, []float32, []int32, int, int, int) bool { return false }
	withoutRowKernels(func() { TestPoolGeomMatchesReference(t) })
}

// withoutRowKernels runs f with the AVX-512 row kernels (vec.MaxRows, vec.AveRows)
// turned off, as on a CPU without them.
func withoutRowKernels(f func()) {
	m, a, ab := maxRows, aveRows, aveBackRows
	defer func() { maxRows, aveRows, aveBackRows = m, a, ab }()
	maxRows = func([]float32, vec.PoolRows, []float32, []int32, []uint64) bool { return false }
	aveRows = func([]float32, vec.PoolRows, []float32, []float32, []uint64) bool { return false }
	aveBackRows = func([]float32, []float32, []float32, vec.PoolBack, []int32, int, []int32) bool { return false }
	f()
}

// TestPoolGeomWithoutRowKernels runs the comparison with MaxWindows (AVX2) but not
// the AVX-512 row kernels.
func TestPoolGeomWithoutRowKernels(t *testing.T) {
	withoutRowKernels(func() { TestPoolGeomMatchesReference(t) })
}

// TestPoolGeomPlanes: the row kernels over several planes at once (as the layer
// runs them, x to the end of the blob) give each plane the reference loops' bits.
func TestPoolGeomPlanes(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for _, c := range poolGeomCases {
		g := newPoolGeom(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
		name := fmt.Sprintf("%dx%d k%dx%d s%dx%d p%dx%d", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7])
		in, out := g.h*g.w, g.outH*g.outW
		for _, planes := range []int{1, 2, 5} {
			x := nastyPlane(r, planes*in)
			y, wantY := make([]float32, planes*out), make([]float32, planes*out)
			idx, wantIdx := make([]int32, planes*out), make([]int32, planes*out)
			for q := range planes {
				refMaxForward(g, x[q*in:], wantY[q*out:], wantIdx[q*out:])
			}
			if !g.maxForwardRows(x, y, idx, planes) {
				continue // no AVX-512, or a stride it does not take
			}
			if i := sameBits(y, wantY); i >= 0 || fmt.Sprint(idx) != fmt.Sprint(wantIdx) {
				t.Fatalf("%s, %d planes, MAX: output %v (index %v), the reference gives %v (%v)", name, planes, y, idx, wantY, wantIdx)
			}
			for q := range planes {
				refAveForward(g, x[q*in:], wantY[q*out:])
			}
			if !g.aveForwardRows(x, y, planes) {
				t.Fatalf("%s, %d planes: AVE not done where MAX was", name, planes)
			}
			if i := sameBits(y, wantY); i >= 0 {
				t.Fatalf("%s, %d planes, AVE: output %d = %g, the reference gives %g", name, planes, i, y[i], wantY[i])
			}
			dy := nastyPlane(r, planes*out)
			dx, wantDx := make([]float32, planes*in), make([]float32, planes*in)
			for q := range planes {
				refAveBackward(g, dy[q*out:], wantDx[q*in:(q+1)*in])
			}
			if !g.aveBackwardRows(dy, dx, planes) {
				continue // a geometry the kernel does not take
			}
			if i := sameBits(dx, wantDx); i >= 0 {
				t.Fatalf("%s, %d planes, AVE backward: dx %d = %g, the reference gives %g", name, planes, i, dx[i], wantDx[i])
			}
		}
	}
}
