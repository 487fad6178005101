package layers_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of SPP (test_spp_layer.cpp).

// sppBottom is Caffe's: (2, 3, 9, 8) standard normal draws.
func sppBottom() *blob.Blob { return gaussian(rng.New(1701), 0, 1, 2, 3, 9, 8) }

// Caffe's TestSetup, TestEqualOutputDims and TestEqualOutputDims2: C·Σ_l 4^l values
// per image. Caffe's tests read the top as (N, C', 1, 1) through its legacy view; the
// top has two axes.
func TestSPPShapes(t *testing.T) {
	for _, tc := range []struct {
		height int
		bottom []int
		want   []int
	}{
		{3, []int{2, 3, 9, 8}, []int{2, 63}},
		{5, []int{4, 3, 1024, 765}, []int{4, 1023}},
		{3, []int{10, 3, 7, 7}, []int{10, 63}},
		{2, []int{2, 2, 5, 5}, []int{2, 10}},
		// One level is a single pooling, its top unflattened, as in Caffe.
		{1, []int{2, 3, 9, 8}, []int{2, 3, 1, 1}},
	} {
		t.Run(fmt.Sprint(tc.height, tc.bottom), func(t *testing.T) {
			l := setUp(t, fmt.Sprintf(`type: "SPP" spp_param { pyramid_height: %d }`, tc.height), caffepb.Phase_TRAIN,
				[]*blob.Blob{blob.New(tc.bottom...)}, 1)
			if !equalShape(l.Top[0].Shape(), tc.want) {
				t.Fatalf("top shape %v, want %v", l.Top[0].Shape(), tc.want)
			}
		})
	}
}

// sppReference pools level by level straight from the definition of Caffe's
// geometry: b = 2^l bins, kernel ⌈H/b⌉ = stride, pad (k·b − H + 1)/2; a window
// covers [i·k − pad, i·k − pad + k) clipped to the image, AVE divides by the window
// clipped to the padded image.
func sppReference(x *blob.Blob, height int, ave bool) []float64 {
	n, c, h, w := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	var out []float64
	for img := 0; img < n; img++ {
		for lev := 0; lev < height; lev++ {
			bins := 1 << lev
			kh, kw := (h+bins-1)/bins, (w+bins-1)/bins
			ph, pw := (kh*bins-h+1)/2, (kw*bins-w+1)/2
			for ch := 0; ch < c; ch++ {
				for by := 0; by < bins; by++ {
					for bx := 0; bx < bins; bx++ {
						hs, ws := by*kh-ph, bx*kw-pw
						he, we := min(hs+kh, h+ph), min(ws+kw, w+pw)
						size := float64((he - hs) * (we - ws))
						hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, h), min(we, w)
						best, sum := math.Inf(-1), 0.0
						for yy := hs; yy < he; yy++ {
							for xx := ws; xx < we; xx++ {
								v := float64(x.Data[x.Offset(img, ch, yy, xx)])
								best = math.Max(best, v)
								sum += v
							}
						}
						if ave {
							out = append(out, sum/size)
						} else {
							out = append(out, best)
						}
					}
				}
			}
		}
	}
	return out
}

func TestSPPForward(t *testing.T) {
	for _, tc := range []struct {
		height int
		pool   string
		bottom []int
	}{
		{3, "MAX", []int{2, 3, 9, 8}},
		{3, "AVE", []int{2, 3, 9, 8}},
		{2, "MAX", []int{2, 2, 5, 5}},
		{3, "AVE", []int{1, 2, 6, 6}},
		{4, "AVE", []int{1, 2, 16, 16}},
		{2, "AVE", []int{1, 1, 7, 10}},
	} {
		t.Run(fmt.Sprint(tc.pool, tc.height, tc.bottom), func(t *testing.T) {
			x := gaussian(rng.New(1701), 0, 1, tc.bottom...)
			l := setUp(t, fmt.Sprintf(`type: "SPP" spp_param { pyramid_height: %d pool: %s }`, tc.height, tc.pool), caffepb.Phase_TRAIN,
				[]*blob.Blob{x}, 1)
			forward(t, l)
			visionCompare(t, "top", l.Top[0].Data, sppReference(x, tc.height, tc.pool == "AVE"), 1e-6)
		})
	}
}

// A new image size rebuilds the pyramid.
func TestSPPReshape(t *testing.T) {
	x := sppBottom()
	l := setUp(t, `type: "SPP" spp_param { pyramid_height: 3 pool: AVE }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	forward(t, l)
	x.Reshape(1, 3, 12, 13)
	r := rng.New(4)
	for i := range x.Data {
		x.Data[i] = r.Gaussian(0, 1)
	}
	if err := l.Reshape(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	forward(t, l)
	visionCompare(t, "top", l.Top[0].Data, sppReference(x, 3, true), 1e-6)
}

// Caffe's TestGradient (pyramid_height 3, MAX on its (2, 3, 9, 8) bottom: step
// 1e-4, threshold 1e-2, exhaustive), and AVE, two levels and one on a smaller bottom.
func TestSPPGradient(t *testing.T) {
	for _, tc := range []struct {
		param  string
		bottom func() *blob.Blob
	}{
		{`pyramid_height: 3`, sppBottom},
		{`pyramid_height: 3 pool: AVE`, func() *blob.Blob { return gaussian(rng.New(1701), 0, 1, 1, 2, 9, 7) }},
		{`pyramid_height: 2 pool: MAX`, func() *blob.Blob { return gaussian(rng.New(1701), 0, 1, 2, 2, 5, 6) }},
		{`pyramid_height: 1 pool: AVE`, func() *blob.Blob { return gaussian(rng.New(1701), 0, 1, 2, 2, 5, 6) }},
	} {
		t.Run(tc.param, func(t *testing.T) {
			l := setUp(t, `type: "SPP" spp_param { `+tc.param+` }`, caffepb.Phase_TRAIN, []*blob.Blob{tc.bottom()}, 1)
			checkGradient(t, l, gradcheck.New(1e-4, 1e-2), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

func TestSPPErrors(t *testing.T) {
	wantError(t, setUpError(`type: "SPP"`, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(2, 3, 9, 8)}, 1), "spp_param.pyramid_height")
	wantError(t, setUpError(`type: "SPP" spp_param { pyramid_height: 2 }`, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(2, 3, 9)}, 1), "4 axes")
	wantError(t, setUpError(`type: "SPP" spp_param { pyramid_height: 2 }`, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(2, 3, 0, 8)}, 1), "zero")
	// Level 2 of a 5×5 image: kernel 2, pad 2, which Pooling refuses, as Caffe's does.
	wantError(t, setUpError(`type: "SPP" spp_param { pyramid_height: 3 }`, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(1, 1, 5, 5)}, 1),
		"spp_param", "level 2", "pad")
}

func TestSPPCaffeFixtures(t *testing.T) { caffeFixtures(t, "SPP") }
