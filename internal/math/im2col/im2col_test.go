package im2col

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveIm2col is the definition, one column element at a time: the column row r is
// (channel, kernel offset) and the column index the output position, both decoded
// into per-axis indices.
func naiveIm2col(g *Geometry, im []float32) []float32 {
	col := make([]float32, g.ColRows()*g.ColCols())
	forEach(g, func(r, o, pixel int) {
		if pixel >= 0 {
			col[r*g.ColCols()+o] = im[pixel]
		}
	})
	return col
}

// naiveCol2im adds every column element onto its pixel.
func naiveCol2im(g *Geometry, col []float32) []float32 {
	im := make([]float32, g.ImSize())
	forEach(g, func(r, o, pixel int) {
		if pixel >= 0 {
			im[pixel] += col[r*g.ColCols()+o]
		}
	})
	return im
}

// forEach calls f for every column row r and output position o, in row-major order,
// with the flat image index the element reads, or -1 in the padding.
func forEach(g *Geometry, f func(r, o, pixel int)) {
	n := len(g.In)
	kvol := prod(g.Kernel)
	for r := 0; r < g.ColRows(); r++ {
		c := r / kvol
		for o := 0; o < g.ColCols(); o++ {
			// Decode the kernel offset and the output position, last axis fastest.
			k, out := r%kvol, o
			pos := make([]int, n)
			inside := true
			for a := n - 1; a >= 0; a-- {
				ka, oa := k%g.Kernel[a], out%g.Out[a]
				k /= g.Kernel[a]
				out /= g.Out[a]
				pos[a] = oa*g.Stride[a] - g.Pad[a] + ka*g.Dilation[a]
				if pos[a] < 0 || pos[a] >= g.In[a] {
					inside = false
				}
			}
			if !inside {
				f(r, o, -1)
				continue
			}
			pixel := c
			for a := 0; a < n; a++ {
				pixel = pixel*g.In[a] + pos[a]
			}
			f(r, o, pixel)
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

type geomCase struct {
	channels                          int
	in, kernel, pad, stride, dilation []int
}

func (c geomCase) String() string {
	return fmt.Sprintf("c%d_in%v_k%v_p%v_s%v_d%v", c.channels, c.in, c.kernel, c.pad, c.stride, c.dilation)
}

var geomCases = []geomCase{
	// 2-D: plain, padded, strided, dilated, rectangular, kernel as big as the padded input.
	{3, []int{6, 5}, []int{3, 3}, []int{0, 0}, []int{1, 1}, []int{1, 1}},
	{2, []int{6, 6}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}},
	{2, []int{7, 8}, []int{3, 3}, []int{2, 2}, []int{2, 2}, []int{1, 1}},
	{2, []int{8, 8}, []int{3, 3}, []int{0, 0}, []int{3, 3}, []int{1, 1}},
	{3, []int{7, 7}, []int{3, 3}, []int{2, 2}, []int{1, 1}, []int{2, 2}},
	{2, []int{9, 7}, []int{3, 2}, []int{1, 0}, []int{2, 1}, []int{1, 3}},
	{1, []int{4, 5}, []int{5, 6}, []int{1, 1}, []int{1, 1}, []int{1, 1}},
	{4, []int{5, 5}, []int{1, 1}, []int{0, 0}, []int{1, 1}, []int{1, 1}},
	{2, []int{5, 5}, []int{2, 2}, []int{3, 3}, []int{4, 3}, []int{2, 1}},
	{1, []int{5, 1}, []int{3, 3}, []int{1, 2}, []int{1, 3}, []int{1, 1}}, // taps wholly in the padding
	{1, []int{1, 5}, []int{3, 3}, []int{2, 1}, []int{3, 1}, []int{1, 1}},
	// Unit strides with runs of 16 and ragged ones (the packer's assembly writes col).
	{32, []int{16, 16}, []int{5, 5}, []int{2, 2}, []int{1, 1}, []int{1, 1}},
	{3, []int{32, 20}, []int{5, 5}, []int{2, 2}, []int{1, 1}, []int{1, 1}},
	{2, []int{28, 28}, []int{5, 5}, []int{0, 0}, []int{1, 1}, []int{1, 1}},
	{5, []int{7, 7}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}},
	// 1-D, 3-D, 4-D.
	{3, []int{9}, []int{3}, []int{1}, []int{2}, []int{1}},
	{2, []int{5, 6, 4}, []int{3, 3, 2}, []int{1, 0, 1}, []int{2, 1, 1}, []int{1, 2, 1}},
	{2, []int{4, 5, 6}, []int{3, 2, 3}, []int{1, 1, 2}, []int{1, 2, 3}, []int{1, 1, 2}},
	{1, []int{3, 4, 3, 5}, []int{2, 2, 2, 3}, []int{0, 1, 1, 1}, []int{1, 2, 1, 2}, []int{1, 1, 2, 1}},
}

func TestIm2colMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range geomCases {
		t.Run(tc.String(), func(t *testing.T) {
			g, err := New(tc.channels, tc.in, tc.kernel, tc.pad, tc.stride, tc.dilation)
			if err != nil {
				t.Fatal(err)
			}
			im := randSlice(r, g.ImSize())
			want := naiveIm2col(g, im)
			for _, impl := range []struct {
				name string
				f    func(*Geometry, []float32, []float32)
			}{{"Im2col", Im2col}, {"Im2colND", Im2colND}} {
				// Start from garbage: every element must be written.
				col := make([]float32, len(want))
				for i := range col {
					col[i] = float32(math.NaN())
				}
				impl.f(g, im, col)
				for i := range want {
					if col[i] != want[i] && !(math.IsNaN(float64(col[i])) && math.IsNaN(float64(want[i]))) {
						t.Fatalf("%s: col[%d] = %g, want %g", impl.name, i, col[i], want[i])
					}
				}
			}
		})
	}
}

func TestCol2imMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range geomCases {
		t.Run(tc.String(), func(t *testing.T) {
			g, err := New(tc.channels, tc.in, tc.kernel, tc.pad, tc.stride, tc.dilation)
			if err != nil {
				t.Fatal(err)
			}
			col := randSlice(r, g.ColRows()*g.ColCols())
			want := naiveCol2im(g, col)
			for _, impl := range []struct {
				name string
				f    func(*Geometry, []float32, []float32)
			}{{"Col2im", Col2im}, {"Col2imND", Col2imND}} {
				im := make([]float32, len(want))
				for i := range im {
					im[i] = 1e9 // overwritten, not added to
				}
				impl.f(g, col, im)
				// The additions happen in the same order as the naive loop (Caffe's),
				// so the sums agree exactly.
				for i := range want {
					if im[i] != want[i] {
						t.Fatalf("%s: im[%d] = %g, want %g", impl.name, i, im[i], want[i])
					}
				}
			}
		})
	}
}

// TestAdjoint checks ⟨Im2col(x), y⟩ = ⟨x, Col2im(y)⟩: Col2im is the transpose that
// the convolution's backward pass needs.
func TestAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, tc := range geomCases {
		g, err := New(tc.channels, tc.in, tc.kernel, tc.pad, tc.stride, tc.dilation)
		if err != nil {
			t.Fatal(err)
		}
		x := randSlice(r, g.ImSize())
		y := randSlice(r, g.ColRows()*g.ColCols())
		cx := make([]float32, len(y))
		ty := make([]float32, len(x))
		Im2col(g, x, cx)
		Col2im(g, y, ty)
		var lhs, rhs float64
		for i := range y {
			lhs += float64(cx[i]) * float64(y[i])
		}
		for i := range x {
			rhs += float64(x[i]) * float64(ty[i])
		}
		if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
			t.Errorf("%v: <Im2col x, y> = %g, <x, Col2im y> = %g", tc, lhs, rhs)
		}
	}
}

func TestOutSize(t *testing.T) {
	for _, tc := range []struct{ in, k, p, s, d, want int }{
		{28, 5, 0, 1, 1, 24},
		{32, 5, 2, 1, 1, 32},
		{6, 3, 0, 2, 1, 2},
		{7, 3, 2, 1, 2, 7},
		{8, 3, 0, 3, 1, 2},
		{5, 3, 0, 2, 1, 2},
		{4, 5, 0, 2, 1, 1}, // C++ division truncates toward zero: (−1)/2 + 1 = 1
		{4, 5, 0, 1, 1, 0},
	} {
		if got := OutSize(tc.in, tc.k, tc.p, tc.s, tc.d); got != tc.want {
			t.Errorf("OutSize(in %d, k %d, p %d, s %d, d %d) = %d, want %d", tc.in, tc.k, tc.p, tc.s, tc.d, got, tc.want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	one := []int{1, 1}
	for _, tc := range []struct {
		name                              string
		channels                          int
		in, kernel, pad, stride, dilation []int
	}{
		{"kernel 0", 1, []int{5, 5}, []int{0, 3}, []int{0, 0}, one, one},
		{"stride 0", 1, []int{5, 5}, []int{3, 3}, []int{0, 0}, []int{1, 0}, one},
		{"dilation 0", 1, []int{5, 5}, []int{3, 3}, []int{0, 0}, one, []int{0, 1}},
		{"negative pad", 1, []int{5, 5}, []int{3, 3}, []int{-1, 0}, one, one},
		{"no output", 1, []int{2, 5}, []int{3, 3}, []int{0, 0}, one, one},
		{"axes disagree", 1, []int{5, 5}, []int{3}, []int{0, 0}, one, one},
		{"no channels", 0, []int{5, 5}, []int{3, 3}, []int{0, 0}, one, one},
	} {
		if _, err := New(tc.channels, tc.in, tc.kernel, tc.pad, tc.stride, tc.dilation); err == nil {
			t.Errorf("%s: New accepted it", tc.name)
		}
	}
}

// Benchmarks on the shapes of the example nets' convolutions, one image each, against
// the naive loop as the baseline.
var benchShapes = []struct {
	name string
	geomCase
}{
	{"lenet_conv1", geomCase{1, []int{28, 28}, []int{5, 5}, []int{0, 0}, []int{1, 1}, []int{1, 1}}},
	{"lenet_conv2", geomCase{20, []int{12, 12}, []int{5, 5}, []int{0, 0}, []int{1, 1}, []int{1, 1}}},
	{"cifar_conv1", geomCase{3, []int{32, 32}, []int{5, 5}, []int{2, 2}, []int{1, 1}, []int{1, 1}}},
	{"cifar_conv2", geomCase{32, []int{16, 16}, []int{5, 5}, []int{2, 2}, []int{1, 1}, []int{1, 1}}},
	{"cifar_conv3", geomCase{32, []int{8, 8}, []int{5, 5}, []int{2, 2}, []int{1, 1}, []int{1, 1}}},
	{"alexnet_conv2", geomCase{48, []int{27, 27}, []int{5, 5}, []int{2, 2}, []int{1, 1}, []int{1, 1}}},
	{"alexnet_conv3", geomCase{256, []int{13, 13}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}}},
	{"resnet_res4_3x3", geomCase{256, []int{14, 14}, []int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}}},
	{"stride2_k3", geomCase{16, []int{32, 32}, []int{3, 3}, []int{1, 1}, []int{2, 2}, []int{1, 1}}},
	{"alexnet_conv1", geomCase{3, []int{227, 227}, []int{11, 11}, []int{0, 0}, []int{4, 4}, []int{1, 1}}},
	{"resnet_conv1", geomCase{3, []int{224, 224}, []int{7, 7}, []int{3, 3}, []int{2, 2}, []int{1, 1}}},
}

// benchmarkTransforms times each of the ways to compute one transform from the
// slice it reads (of fromSize values) into the one it writes (of toSize values).
func benchmarkTransforms(b *testing.B, fromSize, toSize func(g *Geometry) int, ways []struct {
	name string
	run  func(g *Geometry, from, to []float32)
}) {
	for _, s := range benchShapes {
		g, err := New(s.channels, s.in, s.kernel, s.pad, s.stride, s.dilation)
		if err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 1))
		from := randSlice(r, fromSize(g))
		to := make([]float32, toSize(g))
		for _, w := range ways {
			b.Run(s.name+"/"+w.name, func(b *testing.B) {
				for b.Loop() {
					w.run(g, from, to)
				}
			})
		}
	}
}

func imSize(g *Geometry) int  { return g.ImSize() }
func colSize(g *Geometry) int { return g.ColRows() * g.ColCols() }

func BenchmarkIm2col(b *testing.B) {
	benchmarkTransforms(b, imSize, colSize, []struct {
		name string
		run  func(g *Geometry, from, to []float32)
	}{
		{"naive", naiveIm2colFlat}, {"old", oldIm2col2D}, {"2d", Im2col}, {"nd", Im2colND},
	})
}

func BenchmarkCol2im(b *testing.B) {
	benchmarkTransforms(b, colSize, imSize, []struct {
		name string
		run  func(g *Geometry, from, to []float32)
	}{
		{"naive", naiveCol2imFlat}, {"old", oldCol2im2D}, {"2d", Col2im}, {"nd", Col2imND},
	})
}

// naiveIm2colFlat and naiveCol2imFlat are the textbook 2-D loops (Caffe's original
// im2col_cpu, one bounds test per element): the baseline of the benchmarks.
func naiveIm2colFlat(g *Geometry, im, col []float32) {
	h, w, oh, ow := g.In[0], g.In[1], g.Out[0], g.Out[1]
	rows := g.ColRows()
	for r := 0; r < rows; r++ {
		kj := r % g.Kernel[1]
		ki := (r / g.Kernel[1]) % g.Kernel[0]
		c := r / g.Kernel[0] / g.Kernel[1]
		for y := 0; y < oh; y++ {
			for x := 0; x < ow; x++ {
				iy := y*g.Stride[0] - g.Pad[0] + ki*g.Dilation[0]
				ix := x*g.Stride[1] - g.Pad[1] + kj*g.Dilation[1]
				v := float32(0)
				if iy >= 0 && iy < h && ix >= 0 && ix < w {
					v = im[(c*h+iy)*w+ix]
				}
				col[(r*oh+y)*ow+x] = v
			}
		}
	}
}

func naiveCol2imFlat(g *Geometry, col, im []float32) {
	h, w, oh, ow := g.In[0], g.In[1], g.Out[0], g.Out[1]
	clear(im)
	rows := g.ColRows()
	for r := 0; r < rows; r++ {
		kj := r % g.Kernel[1]
		ki := (r / g.Kernel[1]) % g.Kernel[0]
		c := r / g.Kernel[0] / g.Kernel[1]
		for y := 0; y < oh; y++ {
			for x := 0; x < ow; x++ {
				iy := y*g.Stride[0] - g.Pad[0] + ki*g.Dilation[0]
				ix := x*g.Stride[1] - g.Pad[1] + kj*g.Dilation[1]
				if iy >= 0 && iy < h && ix >= 0 && ix < w {
					im[(c*h+iy)*w+ix] += col[(r*oh+y)*ow+x]
				}
			}
		}
	}
}

// TestAddRowsPaths: the assembly add (where the CPU has it) and the Go loop give the
// same bits, ±0 included (and NaN for NaN: which NaN a sum of two gives depends on
// an operand order the compiler may swap), for every tail length.
func TestAddRowsPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc00002), math.Float32frombits(0x7f800003)}
	fill := func(s []float32) {
		for i := range s {
			if r.IntN(5) == 0 {
				s[i] = special[r.IntN(len(special))]
			} else {
				s[i] = float32(r.NormFloat64())
			}
		}
	}
	for _, c := range [][4]int{ // ow, lo, hi, rows
		{8, 0, 8, 5}, {12, 2, 12, 3}, {16, 2, 14, 16}, {32, 0, 32, 4}, {5, 1, 4, 7},
		{1, 0, 1, 3}, {9, 0, 9, 2}, {23, 3, 20, 6}, {40, 0, 40, 1}, {7, 0, 7, 1},
	} {
		ow, lo, hi, rows := c[0], c[1], c[2], c[3]
		dstStep := ow + 3
		src := make([]float32, rows*ow)
		fill(src)
		dst := make([]float32, (rows-1)*dstStep+hi-lo)
		fill(dst)
		want := append([]float32(nil), dst...)
		addRowsGo(want, dstStep, src, ow, lo, hi)
		got := append([]float32(nil), dst...)
		addRows(got, dstStep, src, ow, lo, hi)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
				t.Fatalf("ow %d [%d, %d) × %d rows: dst[%d] = %x, the Go loop gives %x",
					ow, lo, hi, rows, i, math.Float32bits(got[i]), math.Float32bits(want[i]))
			}
		}
	}
}

// TestCol2imWithoutAVX runs the col2im comparison on the Go loop too, where the
// assembly would otherwise always be taken.
func TestCol2imWithoutAVX(t *testing.T) {
	if !useAVX {
		t.Skip("the Go loop is the only one here, tested by TestCol2imMatchesNaive")
	}
	defer func(wide bool) { useAVX, useAVX512 = true, wide }(useAVX512)
	useAVX, useAVX512 = false, false
	TestCol2imMatchesNaive(t)
}

// TestAddStridedPaths: addRow's strided case in assembly (where the CPU has it)
// and the Go loop give the same bits, ±0, infinities and NaNs among the values, for
// every stride up to past the assembly's, every tail length, offsets and ranges.
func TestAddStridedPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 13))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00001), 1e-45, 3e38}
	fill := func(s []float32) {
		for i := range s {
			if r.IntN(5) == 0 {
				s[i] = special[r.IntN(len(special))]
			} else {
				s[i] = float32(r.NormFloat64())
			}
		}
	}
	for stride := 2; stride <= 10; stride++ {
		for n := 1; n <= 40; n++ {
			for trial := range 3 {
				lo := r.IntN(4)
				if trial == 0 {
					lo = 0
				}
				hi := lo + n
				off := r.IntN(stride+3) - 2
				if lo*stride+off < 0 {
					off = -lo * stride
				}
				in := make([]float32, hi+r.IntN(3))
				fill(in)
				dst := make([]float32, (hi-1)*stride+off+1+r.IntN(3))
				fill(dst)
				want := append([]float32(nil), dst...)
				for o := lo; o < hi; o++ {
					want[o*stride+off] += in[o]
				}
				got := append([]float32(nil), dst...)
				addRow(got, in, tap{off, lo, hi}, stride)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
						t.Fatalf("stride %d, outputs [%d, %d), offset %d: dst[%d] = %x, the Go loop gives %x",
							stride, lo, hi, off, i, math.Float32bits(got[i]), math.Float32bits(want[i]))
					}
				}
			}
		}
	}
}

// TestCol2imStridedPaths: Col2im of the strided geometries the packer tests gives
// the same bits with the assembly as with the Go loops alone.
func TestCol2imStridedPaths(t *testing.T) {
	if !useAVX512 {
		t.Skip("the Go loop is the only one here")
	}
	r := rand.New(rand.NewPCG(14, 15))
	for _, tc := range stridedCases {
		g := tc.geometry(t)
		col := randSlice(r, g.ColRows()*g.ColCols())
		got := make([]float32, g.ImSize())
		Col2im(g, col, got)
		useAVX512 = false
		want := make([]float32, g.ImSize())
		Col2im(g, col, want)
		useAVX512 = true
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: im[%d] = %g, the Go loop gives %g", tc, i, got[i], want[i])
			}
		}
	}
}

// TestCopyRowsPaths: the assembly copy and the Go one agree for every tail length,
// and write nothing outside the rows.
func TestCopyRowsPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(10, 10))
	for _, c := range [][4]int{ // n, rows, srcStep, dstStep
		{8, 5, 12, 8}, {1, 3, 4, 2}, {7, 4, 9, 7}, {9, 2, 9, 11}, {16, 8, 20, 16}, {24, 3, 28, 30}, {3, 1, 3, 3},
	} {
		n, rows, srcStep, dstStep := c[0], c[1], c[2], c[3]
		src := randSlice(r, (rows-1)*srcStep+n)
		want := randSlice(r, (rows-1)*dstStep+n+8)
		got := append([]float32(nil), want...)
		copyRowsGo(want, dstStep, src, srcStep, n, rows)
		copyRows(got[:len(got)-8], dstStep, src, srcStep, n, rows)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%d values × %d rows: dst[%d] = %g, the Go copy gives %g", n, rows, i, got[i], want[i])
			}
		}
	}
}

// TestIm2colWithoutAVX runs the im2col comparison on the Go copies too.
func TestIm2colWithoutAVX(t *testing.T) {
	if !useAVX {
		t.Skip("the Go loop is the only one here, tested by TestIm2colMatchesNaive")
	}
	defer func(pack bool) { useAVX, usePackAVX512 = true, pack }(usePackAVX512)
	useAVX, usePackAVX512 = false, false
	TestIm2colMatchesNaive(t)
}
