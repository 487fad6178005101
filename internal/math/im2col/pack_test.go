package im2col

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPackerMatchesIm2col packs blocks of the column matrix straight from the image
// and compares them with the Go loops' matrix packed by hand, for geometries with
// padding, strides (stridedCases), dilations, rows that end inside a sliver and
// ragged blocks; for unit column strides (unitCases) through the packer's tables,
// tables on the stack, and the runs.
func TestPackerMatchesIm2col(t *testing.T) {
	perm := permMaxStride
	defer func(old bool) { usePackAVX512, permMaxStride = old, perm }(usePackAVX512)
	for _, asm := range []bool{false, usePackAVX512} {
		usePackAVX512 = asm
		testPacker(t)
	}
	if usePackAVX512 {
		permMaxStride = 0 // every stride by gathers
		testPacker(t)
		permMaxStride = perm
		defer func(n, m int) { maxTableEnts, tabStackEnts = n, m }(maxTableEnts, tabStackEnts)
		maxTableEnts = 0 // unit strides by tables on the stack
		testPacker(t)
		tabStackEnts = 0 // and by the runs, without tables
		testPacker(t)
	}
}

func testPacker(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range append([]packCase{
		{3, 32, 32, 5, 5, 2, 2, 1, 1, 1, 1},  // cifar conv1
		{32, 16, 16, 5, 5, 2, 2, 1, 1, 1, 1}, // cifar conv2
		{32, 8, 8, 5, 5, 2, 2, 1, 1, 1, 1},   // cifar conv3: two output rows a sliver
		{1, 28, 28, 5, 5, 0, 0, 1, 1, 1, 1},  // LeNet conv1: 24 columns a row
		{20, 12, 12, 5, 5, 0, 0, 1, 1, 1, 1}, // LeNet conv2
		{4, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1},    // rows of 7
		{3, 11, 13, 3, 2, 0, 1, 2, 3, 1, 1},  // strides
		{2, 9, 10, 3, 3, 2, 3, 1, 1, 2, 2},   // dilation, wide padding
		{5, 3, 40, 1, 7, 0, 3, 1, 1, 1, 1},   // one long row
	}, append(unitCases, stridedCases...)...) {
		g := tc.geometry(t)
		im := make([]float32, g.ImSize())
		for i := range im {
			im[i] = r.Float32() + 1 // never 0, so a missing value shows
		}
		rows, cols := g.ColRows(), g.ColCols()
		col := make([]float32, rows*cols)
		im2col2D(g, im, col) // the Go loops, not the assembly under test
		const width = 16
		pk := NewPacker(g, width)
		pk.SetImage(im)
		for trial := range 20 {
			p0, j0 := r.IntN(rows), r.IntN(cols)
			kk, nn := 1+r.IntN(rows-p0), 1+r.IntN(cols-j0)
			if trial == 0 {
				p0, j0, kk, nn = 0, 0, rows, cols
			}
			if trial%4 == 2 {
				// Slivers on the matrix's own, as the fast product packs them, or
				// from multiples of 8, as OpenBLAS's cut.
				j0 &^= 15
				if trial%8 == 6 && j0+8 < cols {
					j0 += 8
				}
				nn = cols - j0
				if trial%3 == 0 {
					nn = min(nn, 8*(1+r.IntN(8)))
				}
			}
			first := 0
			if trial%3 == 1 && p0 > 0 {
				// A block of a group's rows, counted from the group's first row.
				first, p0 = p0, 0
				kk = min(kk, rows-first)
			}
			pk.SetRows(first)
			slivers := (nn + width - 1) / width
			got := make([]float32, slivers*width*kk)
			for i := range got {
				got[i] = -1 // garbage PackB must overwrite
			}
			pk.PackB(got, p0, kk, j0, nn)
			for s := range slivers {
				for p := range kk {
					for j := range width {
						want := float32(0)
						if c := s*width + j; c < nn {
							want = col[(first+p0+p)*cols+j0+c]
						}
						if v := got[(s*kk+p)*width+j]; v != want {
							t.Fatalf("%+v rows %d+%d+%d, columns %d+%d: sliver %d row %d lane %d = %v, want %v",
								tc, first, p0, kk, j0, nn, s, p, j, v, want)
						}
					}
				}
			}
		}
	}
}

// packCase is a 2-D geometry: channels, input, kernel, padding, strides, dilations.
type packCase struct {
	c, h, w, kh, kw, ph, pw, sh, sw, dh, dw int
}

func (tc packCase) geometry(t testing.TB) *Geometry {
	g, err := New(tc.c, []int{tc.h, tc.w}, []int{tc.kh, tc.kw}, []int{tc.ph, tc.pw},
		[]int{tc.sh, tc.sw}, []int{tc.dh, tc.dw})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// unitCases are unit-column-stride geometries for the table routine: narrow images,
// 1×1 kernels with padding, kernels wider than the image, slivers over many rows.
var unitCases = []packCase{
	{48, 27, 27, 5, 5, 2, 2, 1, 1, 1, 1},  // AlexNet conv2, a group
	{16, 13, 13, 3, 3, 1, 1, 1, 1, 1, 1},  // AlexNet conv3–5: three rows a sliver
	{8, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1},   // ResNet res4 3×3
	{3, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1},     // ResNet res5: three output rows a sliver
	{2, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1},     // narrow: five runs a sliver
	{2, 6, 1, 3, 1, 1, 0, 1, 1, 1, 1},     // one column: sixteen runs a sliver
	{3, 6, 5, 1, 1, 1, 1, 1, 1, 1, 1},     // 1×1 with padding
	{2, 4, 3, 3, 7, 1, 3, 1, 1, 1, 1},     // kernel wider than the image
	{2, 3, 5, 5, 9, 2, 4, 1, 1, 1, 1},     // kernel larger than the image both ways
	{1, 9, 20, 2, 4, 0, 0, 1, 1, 1, 1},    // no padding, even kernel
	{2, 10, 17, 3, 3, 2, 1, 2, 1, 1, 1},   // row stride 2
	{1, 40, 40, 11, 11, 5, 5, 1, 1, 1, 1}, // 121 kernel offsets
	{3, 32, 32, 5, 5, 2, 2, 1, 1, 1, 1},   // rows 4 KiB apart: im2colFast by blocks of rows
	{5, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1},   // 2 KiB apart
}

// stridedCases are the strided geometries the gathering assembly packs.
var stridedCases = []packCase{
	{3, 227, 227, 11, 11, 0, 0, 4, 4, 1, 1}, // AlexNet conv1: 55 columns a row
	{3, 224, 224, 7, 7, 3, 3, 2, 2, 1, 1},   // ResNet conv1: padding, 112 a row
	{4, 9, 9, 3, 3, 1, 1, 2, 2, 1, 1},       // stride 2, 3×3, pad 1 on small odd images
	{3, 5, 7, 3, 3, 1, 1, 2, 2, 1, 1},
	{2, 15, 13, 3, 3, 1, 1, 2, 2, 1, 1},
	{2, 20, 20, 2, 2, 0, 0, 3, 3, 1, 1}, // kernel smaller than the stride: columns skipped
	{3, 17, 23, 1, 2, 1, 2, 3, 3, 1, 1},
	{2, 8, 100, 3, 3, 1, 1, 2, 2, 1, 1},   // wide: a sliver within one output row
	{2, 5, 130, 3, 5, 0, 2, 1, 4, 1, 1},   // row stride 1, column stride 4
	{2, 12, 9, 3, 3, 1, 0, 3, 1, 1, 1},    // row stride 3, column stride 1: the gather too
	{3, 9, 5, 3, 3, 1, 1, 3, 3, 1, 1},     // narrow: two columns a row, eight rows a sliver
	{1, 40, 3, 3, 3, 0, 0, 2, 2, 1, 1},    // one column a row: sixteen runs a sliver
	{2, 11, 11, 5, 5, 4, 4, 2, 3, 1, 1},   // padding wider than the stride
	{1, 30, 70, 11, 11, 5, 5, 4, 4, 1, 1}, // AlexNet-like with padding
}

// TestIm2colFastMatchesGo: the assembly's column matrix (im2colFast) is the Go
// loops' (im2col2D) bit for bit, for strided geometries, writing every element.
func TestIm2colFastMatchesGo(t *testing.T) {
	if !usePackAVX512 {
		t.Skip("no assembly packer here")
	}
	defer func(perm, n, m int) { permMaxStride, maxTableEnts, tabStackEnts = perm, n, m }(permMaxStride, maxTableEnts, tabStackEnts)
	for _, perm := range []int{permMaxStride, 0} { // loads and permutes, then gathers
		permMaxStride = perm
		testIm2colFast(t)
	}
	maxTableEnts = 0 // unit strides by tables on the stack
	testIm2colFast(t)
	tabStackEnts = 0 // and by the runs, without tables
	testIm2colFast(t)
}

func testIm2colFast(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, tc := range append(unitCases, stridedCases...) {
		g := tc.geometry(t)
		im := randSlice(r, g.ImSize())
		n := g.ColRows() * g.ColCols()
		want := make([]float32, n)
		im2col2D(g, im, want)
		got := make([]float32, n+16)
		for i := range got {
			got[i] = float32(math.NaN())
		}
		if !im2colFast(g, im, got[:n]) {
			t.Fatalf("%+v: im2colFast did not run", tc)
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: col[%d] = %g, the Go loops give %g", tc, i, got[i], want[i])
			}
		}
		for i := n; i < len(got); i++ {
			if got[i] == got[i] {
				t.Fatalf("%+v: im2colFast wrote past the matrix at %d", tc, i)
			}
		}
	}
}

// BenchmarkPackB packs the whole column matrix of one image, a block of 256 rows
// at a time into a buffer that stays in the cache, as the product does: by the Go
// loops, and by the assembly (through the slivers' tables for unit column strides,
// or by the runs without them; loads and permutes, or gathers, for strides).
func BenchmarkPackB(b *testing.B) {
	hasAsm := usePackAVX512
	defer func(perm, tab int) { usePackAVX512, permMaxStride, maxTableEnts = hasAsm, perm, tab }(permMaxStride, maxTableEnts)
	tab := maxTableEnts
	for _, s := range benchShapes {
		g, err := New(s.channels, s.in, s.kernel, s.pad, s.stride, s.dilation)
		if err != nil {
			b.Fatal(err)
		}
		im := randSlice(rand.New(rand.NewPCG(1, 1)), g.ImSize())
		rows, cols := g.ColRows(), g.ColCols()
		const kc = 256
		buf := make([]float32, kc*(cols+15)/16*16)
		for _, way := range []struct {
			name string
			asm  bool
			perm int
			tab  int
		}{{"go", false, 8, tab}, {"asm", true, 8, tab}, {"runs", true, 8, 0}, {"gather", true, 0, tab}} {
			if way.asm && !hasAsm || way.name == "runs" && g.Stride[1] != 1 || way.name == "gather" && g.Stride[1] == 1 {
				continue
			}
			b.Run(s.name+"/"+way.name, func(b *testing.B) {
				usePackAVX512, permMaxStride, maxTableEnts = way.asm, way.perm, way.tab
				pk := NewPacker(g, 16)
				pk.SetImage(im)
				for b.Loop() {
					for p0 := 0; p0 < rows; p0 += kc {
						pk.PackB(buf, p0, min(kc, rows-p0), 0, cols)
					}
				}
			})
		}
	}
}
