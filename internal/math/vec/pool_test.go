package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// refMaxWindows is MaxWindows as Caffe's loop reads: each window scanned from
// −FLT_MAX and index −1, a value taken where greater.
func refMaxWindows(x []float32, w, kh, kw, sw, i0, xStep int, y []float32, idx []int32, rows, n, yStep int) {
	for r := range rows {
		for o := range n {
			best, arg := float32(-math.MaxFloat32), int32(-1)
			start := i0 + r*xStep + o*sw
			for h := range kh {
				for c := range kw {
					if v := x[start+h*w+c]; v > best {
						best, arg = v, int32(start+h*w+c)
					}
				}
			}
			y[r*yStep+o], idx[r*yStep+o] = best, arg
		}
	}
}

// TestMaxWindows holds the assembly to the reference scan, on values with many ties,
// NaNs, infinities and signed zeros, for blocks of up to three rows of 1 to 19
// windows, strides 1 and 2, with and without room after the block (where the last
// group of a row is read through masks), and leaves the outputs around the block
// alone.
func TestMaxWindows(t *testing.T) {
	if !useAsm {
		t.Skip("no assembly on this CPU")
	}
	r := rand.New(rand.NewPCG(14, 15))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.MaxFloat32, -math.MaxFloat32, 1, -1}
	for _, sw := range []int{1, 2} {
		for kh := 1; kh <= 4; kh++ {
			for kw := 1; kw <= 4; kw++ {
				for n := 1; n < 20; n++ {
					for rows := 1; rows <= 3; rows++ {
						for _, room := range []int{0, 1, 64} {
							w := (n-1)*sw + kw + r.IntN(3)
							xStep := w * (1 + r.IntN(2))
							i0 := r.IntN(3)
							size := i0 + (rows-1)*xStep + (n-1)*sw + (kh-1)*w + kw + room
							x := make([]float32, size)
							for i := range x {
								switch r.IntN(4) {
								case 0:
									x[i] = special[r.IntN(len(special))]
								case 1:
									x[i] = float32(r.IntN(3) - 1)
								default:
									x[i] = float32(r.NormFloat64())
								}
							}
							yStep := n + r.IntN(3)
							out := (rows-1)*yStep + n + 8
							y, idx := make([]float32, out), make([]int32, out)
							wantY, wantIdx := make([]float32, out), make([]int32, out)
							for i := range y {
								y[i], wantY[i], idx[i], wantIdx[i] = 7, 7, 7, 7
							}
							name := fmt.Sprintf("sw %d k %dx%d n %d rows %d room %d", sw, kh, kw, n, rows, room)
							if !MaxWindows(x, w, kh, kw, sw, i0, xStep, y, idx, rows, n, yStep) {
								t.Fatalf("%s: not done", name)
							}
							refMaxWindows(x, w, kh, kw, sw, i0, xStep, wantY, wantIdx, rows, n, yStep)
							if i := sameBits(wantY, y); i >= 0 || fmt.Sprint(idx) != fmt.Sprint(wantIdx) {
								t.Fatalf("%s: %v %v, want %v %v", name, y, idx, wantY, wantIdx)
							}
						}
					}
				}
			}
		}
	}
}
