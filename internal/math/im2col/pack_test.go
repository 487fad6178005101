package im2col

import (
	"math/rand/v2"
	"testing"
)

// TestPackerMatchesIm2col packs blocks of the column matrix straight from the image
// and compares them with Im2col's matrix packed by hand, for geometries with
// padding, strides, dilations, rows that end inside a sliver and ragged blocks.
func TestPackerMatchesIm2col(t *testing.T) {
	defer func(old bool) { usePackAVX512 = old }(usePackAVX512)
	for _, asm := range []bool{false, usePackAVX512} {
		usePackAVX512 = asm
		testPacker(t)
	}
}

func testPacker(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		c, h, w, kh, kw, ph, pw, sh, sw, dh, dw int
	}{
		{3, 32, 32, 5, 5, 2, 2, 1, 1, 1, 1},  // cifar conv1
		{32, 16, 16, 5, 5, 2, 2, 1, 1, 1, 1}, // cifar conv2
		{32, 8, 8, 5, 5, 2, 2, 1, 1, 1, 1},   // cifar conv3: two output rows a sliver
		{1, 28, 28, 5, 5, 0, 0, 1, 1, 1, 1},  // LeNet conv1: 24 columns a row
		{20, 12, 12, 5, 5, 0, 0, 1, 1, 1, 1}, // LeNet conv2
		{4, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1},    // rows of 7
		{3, 11, 13, 3, 2, 0, 1, 2, 3, 1, 1},  // strides
		{2, 9, 10, 3, 3, 2, 3, 1, 1, 2, 2},   // dilation, wide padding
		{5, 3, 40, 1, 7, 0, 3, 1, 1, 1, 1},   // one long row
	} {
		g, err := New(tc.c, []int{tc.h, tc.w}, []int{tc.kh, tc.kw}, []int{tc.ph, tc.pw},
			[]int{tc.sh, tc.sw}, []int{tc.dh, tc.dw})
		if err != nil {
			t.Fatal(err)
		}
		im := make([]float32, g.ImSize())
		for i := range im {
			im[i] = r.Float32() + 1 // never 0, so a missing value shows
		}
		rows, cols := g.ColRows(), g.ColCols()
		col := make([]float32, rows*cols)
		Im2col(g, im, col)
		const width = 16
		pk := NewPacker(g, width)
		pk.SetImage(im)
		for trial := range 20 {
			p0, j0 := r.IntN(rows), r.IntN(cols)
			kk, nn := 1+r.IntN(rows-p0), 1+r.IntN(cols-j0)
			if trial == 0 {
				p0, j0, kk, nn = 0, 0, rows, cols
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
