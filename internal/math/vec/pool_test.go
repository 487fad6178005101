package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// specialValues are the values the pooling tests mix into their inputs: signed
// zeros, NaN, infinities, the float32 extremes, and ties.
var specialValues = []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
	math.MaxFloat32, -math.MaxFloat32, 1, -1}

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
									x[i] = specialValues[r.IntN(len(specialValues))]
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

// refPoolRows is AveRows and MaxRows as Caffe's loops read, each window clipped to
// the columns [0, W): the AVE sum from +0 in scan order over div, and the MAX scan
// from −FLT_MAX and index −1.
func refPoolRows(x []float32, b *PoolRows, ave, div, maxY []float32, idx []int32) {
	w := b.W
	for q := range b.Planes {
		xq := x[q*b.XPlane:]
		for r := range b.Rows {
			for o := range b.OutW {
				var sum float32
				best, arg := float32(-math.MaxFloat32), int32(-1)
				h0 := b.Hs + r*b.Sh
				for h := h0; h < h0+b.Kh; h++ {
					for c := o*b.Sw - b.PadW; c < o*b.Sw-b.PadW+b.Kw; c++ {
						if c < 0 || c >= w {
							continue
						}
						v := xq[h*w+c]
						sum += v
						if v > best {
							best, arg = v, int32(h*w+c)
						}
					}
				}
				i := q*b.YPlane + r*b.OutW + o
				ave[i] = sum / div[r*b.OutW+o]
				maxY[i], idx[i] = best, arg
			}
		}
	}
}

// TestPoolRows holds AveRows and MaxRows to the reference loops, bit for bit, on
// values with many ties, NaNs, infinities and signed zeros: strides 1 and 2,
// windows of 1 to 4 by 1 to 4, padding, rows of 1 to 40 outputs (one to three
// chunks, full and short), windows past the right edge, one to four planes, rows
// loaded wide (with room after the image) and through masks, and the outputs
// around the blocks left alone.
func TestPoolRows(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	r := rand.New(rand.NewPCG(21, 22))
	var masks []uint64
	for _, sw := range []int{1, 2} {
		for kh := 1; kh <= 4; kh++ {
			for kw := 1; kw <= 4; kw++ {
				for _, outW := range []int{1, 2, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 40} {
					for rows := 1; rows <= 3; rows++ {
						padW := r.IntN(kw)
						// w from a window past the right edge to one wholly inside.
						w := max(1, (outW-1)*sw-padW+kw-r.IntN(kw+1))
						b := &PoolRows{W: w, Hs: r.IntN(2), Kh: kh, Kw: kw, Sw: sw, Sh: 1 + r.IntN(2), PadW: padW,
							Rows: rows, OutW: outW, Planes: 1 + r.IntN(4)}
						h := b.Hs + (rows-1)*b.Sh + kh + r.IntN(2)
						b.XPlane, b.YPlane = h*w, rows*outW+r.IntN(3)
						// With room after the image, the rows load wide (plainly) as
						// far as they can, the values past its columns dropped.
						room := []int{0, 40}[r.IntN(2)]
						x := make([]float32, (b.Planes-1)*b.XPlane+h*w+room)
						for i := range x {
							switch r.IntN(4) {
							case 0:
								x[i] = specialValues[r.IntN(len(specialValues))]
							case 1:
								x[i] = float32(r.IntN(3) - 1)
							default:
								x[i] = float32(r.NormFloat64())
							}
						}
						n := (b.Planes-1)*b.YPlane + rows*outW + 16
						div := make([]float32, rows*outW)
						for i := range div {
							div[i] = float32(1 + r.IntN(9))
						}
						ave, maxY, idx := make([]float32, n), make([]float32, n), make([]int32, n)
						wantAve, wantMax, wantIdx := make([]float32, n), make([]float32, n), make([]int32, n)
						for i := range ave {
							ave[i], maxY[i], idx[i] = 7, 7, 7
							wantAve[i], wantMax[i], wantIdx[i] = 7, 7, 7
						}
						masks = PoolRowMasks(masks, w, kw, sw, padW, outW)
						name := fmt.Sprintf("%+v room %d", *b, room)
						if !AveRows(x, *b, ave, div, masks) || !MaxRows(x, *b, maxY, idx, masks) {
							t.Fatalf("%s: not done", name)
						}
						refPoolRows(x, b, wantAve, div, wantMax, wantIdx)
						if i := sameBits(wantAve, ave); i >= 0 {
							t.Fatalf("%s: AVE %d = %g, want %g", name, i, ave[i], wantAve[i])
						}
						if i := sameBits(wantMax, maxY); i >= 0 || fmt.Sprint(idx) != fmt.Sprint(wantIdx) {
							t.Fatalf("%s: MAX %v %v, want %v %v", name, maxY, idx, wantMax, wantIdx)
						}
					}
				}
			}
		}
	}
}

// poolSpan is Caffe's window o along an axis (size n, kernel k, stride s, pad p):
// its positions [start, end) in the image and its pool size.
func poolSpan(o, n, k, s, p int) (start, end, size int) {
	start = o*s - p
	end = min(start+k, n+p)
	size = end - start
	start = min(max(start, 0), n)
	end = max(min(end, n), start)
	return start, end, size
}

// TestAveBackRows holds AveBackRows to Caffe's backward loop, bit for bit (dx from
// +0, each window's dy / pool size added to its inputs, window by window), on
// values with signed zeros, NaNs and infinities: strides 1 to 3, kernels 1 to 6,
// padding, planes of 1 to 70 columns, one to three planes.
func TestAveBackRows(t *testing.T) {
	if !useAVX512 {
		t.Skip("no AVX-512 on this CPU")
	}
	r := rand.New(rand.NewPCG(31, 32))
	var table []int32
	done := 0
	for trial := 0; trial < 3000; trial++ {
		sw, sh := 1+r.IntN(3), 1+r.IntN(3)
		kw, kh := 1+r.IntN(6), 1+r.IntN(4)
		padW, padH := r.IntN(kw), r.IntN(kh)
		w, h := max(kw-2*padW, 1)+r.IntN(70), max(kh-2*padH, 1)+r.IntN(9)
		out := func(n, k, s, p int) int {
			o := (n+2*p-k+s-1)/s + 1
			if p > 0 && (o-1)*s >= n+p {
				o--
			}
			return o
		}
		outW, outH := out(w, kw, sw, padW), out(h, kh, sh, padH)
		if outW <= 0 || outH <= 0 {
			continue
		}
		var taps int
		var ok bool
		table, taps, ok = PoolBackTable(table, w, kw, sw, padW, outW)
		if !ok {
			continue
		}
		planes := 1 + r.IntN(3)
		b := PoolBack{W: w, OutW: outW, OutH: outH, Planes: planes, XPlane: h * w, YPlane: outH*outW + r.IntN(3)}
		rows := make([]int32, 2*outH)
		div := make([]float32, outH*outW)
		for oy := range outH {
			hs, he, ph := poolSpan(oy, h, kh, sh, padH)
			rows[2*oy], rows[2*oy+1] = int32(hs), int32(he)
			for ox := range outW {
				_, _, pw := poolSpan(ox, w, kw, sw, padW)
				div[oy*outW+ox] = float32(ph * pw)
			}
		}
		dy := make([]float32, (planes-1)*b.YPlane+outH*outW)
		for i := range dy {
			if r.IntN(5) == 0 {
				dy[i] = specialValues[r.IntN(len(specialValues))]
			} else {
				dy[i] = float32(r.NormFloat64())
			}
		}
		dx, want := make([]float32, planes*h*w+5), make([]float32, planes*h*w+5)
		for i := range dx {
			dx[i], want[i] = 7, 7
		}
		for q := range planes {
			wq := want[q*h*w : (q+1)*h*w]
			clear(wq)
			for oy := range outH {
				for ox := range outW {
					ws, we, _ := poolSpan(ox, w, kw, sw, padW)
					d := dy[q*b.YPlane+oy*outW+ox] / div[oy*outW+ox]
					for hh := rows[2*oy]; hh < rows[2*oy+1]; hh++ {
						for c := ws; c < we; c++ {
							wq[int(hh)*w+c] += d
						}
					}
				}
			}
		}
		name := fmt.Sprintf("%+v k %dx%d s %dx%d pad %dx%d", b, kh, kw, sh, sw, padH, padW)
		if !AveBackRows(dy, div, dx[:planes*h*w], b, table, taps, PoolBackRows(nil, rows, h)) {
			t.Fatalf("%s: not done", name)
		}
		if i := sameBits(want, dx); i >= 0 {
			t.Fatalf("%s: dx %d = %g, want %g", name, i, dx[i], want[i])
		}
		done++
	}
	if done < 1000 {
		t.Fatalf("only %d geometries taken", done)
	}
}
