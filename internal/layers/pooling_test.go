package layers_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// repeatPlanes returns a (num, channels, h, w) blob with every plane set to plane.
func repeatPlanes(num, channels, h, w int, plane []float32) *blob.Blob {
	b := blob.New(num, channels, h, w)
	for i := 0; i < num*channels; i++ {
		copy(b.Data[i*h*w:], plane)
	}
	return b
}

// magic6 is MATLAB's magic(6), the input of Caffe's rectangular pooling tests.
var magic6 = []float32{
	35, 1, 6, 26, 19, 24,
	3, 32, 7, 21, 23, 25,
	31, 9, 2, 22, 27, 20,
	8, 28, 33, 17, 10, 15,
	30, 5, 34, 12, 14, 16,
	4, 36, 29, 13, 18, 11,
}

// Caffe's TestForwardMax and TestForwardMaxTopMask: hand-computed maxima and argmax
// masks, every plane of a 2×2 batch the same.
func TestPoolingForwardMax(t *testing.T) { inBothNumerics(t, testPoolingForwardMax) }

func testPoolingForwardMax(t *testing.T) {
	for _, tc := range []struct {
		name       string
		params     string
		h, w       int
		in         []float32
		outH, outW int
		want, mask []float32
	}{
		{
			"square", "kernel_size: 2", 3, 5,
			[]float32{1, 2, 5, 2, 3, 9, 4, 1, 4, 8, 1, 2, 5, 2, 3},
			2, 4,
			[]float32{9, 5, 5, 8, 9, 5, 5, 8},
			[]float32{5, 2, 2, 9, 5, 12, 12, 9},
		},
		{
			"rect_high", "kernel_h: 3 kernel_w: 2", 6, 6, magic6, 4, 5,
			[]float32{35, 32, 26, 27, 27, 32, 33, 33, 27, 27, 31, 34, 34, 27, 27, 36, 36, 34, 18, 18},
			[]float32{0, 7, 3, 16, 16, 7, 20, 20, 16, 16, 12, 26, 26, 16, 16, 31, 31, 26, 34, 34},
		},
		{
			"rect_wide", "kernel_h: 2 kernel_w: 3", 6, 6, magic6, 5, 4,
			[]float32{35, 32, 26, 26, 32, 32, 27, 27, 33, 33, 33, 27, 34, 34, 34, 17, 36, 36, 34, 18},
			[]float32{0, 7, 3, 3, 7, 7, 16, 16, 20, 20, 20, 16, 26, 26, 26, 21, 31, 31, 26, 34},
		},
	} {
		for _, withMask := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/mask=%v", tc.name, withMask), func(t *testing.T) {
				nTop := 1
				if withMask {
					nTop = 2
				}
				x := repeatPlanes(2, 2, tc.h, tc.w, tc.in)
				l := setUp(t, `type: "Pooling" pooling_param { pool: MAX `+tc.params+` }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, nTop)
				for _, top := range l.Top {
					if got, want := top.ShapeString(), blob.ShapeString([]int{2, 2, tc.outH, tc.outW}); got != want {
						t.Fatalf("top shape %s, want %s", got, want)
					}
				}
				if err := l.Forward(l.Bottom, l.Top); err != nil {
					t.Fatal(err)
				}
				out := tc.outH * tc.outW
				for i, v := range l.Top[0].Data {
					if v != tc.want[i%out] {
						t.Fatalf("top[%d] = %g, want %g", i, v, tc.want[i%out])
					}
				}
				if withMask {
					for i, v := range l.Top[1].Data {
						if v != tc.mask[i%out] {
							t.Fatalf("mask[%d] = %g, want %g", i, v, tc.mask[i%out])
						}
					}
				}
			})
		}
	}
}

// Caffe's TestForwardMaxPadded: the padding never wins, even over small values.
func TestPoolingForwardMaxPadded(t *testing.T) {
	x := repeatPlanes(1, 1, 3, 3, []float32{1, 2, 4, 2, 3, 2, 4, 2, 1})
	l := setUp(t, `type: "Pooling" pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 2 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	if got := l.Top[0].ShapeString(); got != "1 1 3 3 (9)" {
		t.Fatalf("top shape %s", got)
	}
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	want := []float32{1, 4, 4, 4, 4, 4, 4, 4, 1}
	for i, v := range l.Top[0].Data {
		if v != want[i] {
			t.Fatalf("top[%d] = %g, want %g", i, v, want[i])
		}
	}
}

// Caffe's TestForwardAve: with pad 1 the padding counts in the divisor, so a plane of
// 2s averages to 8/9 in the corners and 4/3 on the edges.
func TestPoolingForwardAve(t *testing.T) { inBothNumerics(t, testPoolingForwardAve) }

func testPoolingForwardAve(t *testing.T) {
	x := repeatPlanes(1, 1, 3, 3, []float32{2, 2, 2, 2, 2, 2, 2, 2, 2})
	l := setUp(t, `type: "Pooling" pooling_param { pool: AVE kernel_size: 3 stride: 1 pad: 1 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	want := []float64{8.0 / 9, 4.0 / 3, 8.0 / 9, 4.0 / 3, 2, 4.0 / 3, 8.0 / 9, 4.0 / 3, 8.0 / 9}
	visionCompare(t, "top", l.Top[0].Data, want, 1e-5)
}

// TestPoolingAveDivisor: a window that overhangs the padded image is divided by its
// size within the padded image, not by the kernel area nor by the pixels it covers.
func TestPoolingAveDivisor(t *testing.T) { inBothNumerics(t, testPoolingAveDivisor) }

func testPoolingAveDivisor(t *testing.T) {
	// H = W = 4, k 3, s 2, pad 1: windows start at −1, 1, 3; the last ends at 6 > H+p = 5.
	x := repeatPlanes(1, 1, 4, 4, []float32{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1})
	l := setUp(t, `type: "Pooling" pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	if got := l.Top[0].ShapeString(); got != "1 1 3 3 (9)" {
		t.Fatalf("top shape %s", got)
	}
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	// Rows: window −1..1 covers 2 pixels of 3 (divisor 3); 1..3 covers 3 of 3;
	// 3..5 covers 1 pixel, divisor min(6, 5) − 3 = 2.
	cover, div := []float64{2, 3, 1}, []float64{3, 3, 2}
	var want []float64
	for i := range 3 {
		for j := range 3 {
			want = append(want, cover[i]*cover[j]/(div[i]*div[j]))
		}
	}
	visionCompare(t, "top", l.Top[0].Data, want, 1e-6)
}

// TestPoolingOutputSize: ceil by default, floor on request, and the last window is
// dropped when it would start in the padding.
func TestPoolingOutputSize(t *testing.T) {
	for _, tc := range []struct {
		h, k, pad, stride int
		round             string
		want              int
	}{
		{6, 3, 0, 2, "CEIL", 3},
		{6, 3, 0, 2, "FLOOR", 2},
		{8, 3, 0, 2, "CEIL", 4}, // rounds up: the last window hangs over the edge
		{8, 3, 0, 2, "FLOOR", 3},
		{32, 3, 0, 2, "CEIL", 16}, // cifar10_quick: 32 → 16 → 8 → 4
		{16, 3, 0, 2, "CEIL", 8},
		{8, 3, 0, 2, "CEIL", 4},
		{24, 2, 0, 2, "CEIL", 12}, // LeNet
		{6, 3, 1, 2, "CEIL", 4},
		{5, 2, 1, 2, "CEIL", 3}, // ⌈5/2⌉ + 1 = 4, but window 3 would start at 6 − 1 = 5 = H: dropped
		{5, 2, 1, 2, "FLOOR", 3},
		{3, 3, 2, 2, "CEIL", 3},
		{7, 3, 0, 2, "CEIL", 3},
		{5, 1, 0, 3, "CEIL", 3},
	} {
		text := fmt.Sprintf(`type: "Pooling" pooling_param { pool: AVE kernel_size: %d pad: %d stride: %d round_mode: %s }`, tc.k, tc.pad, tc.stride, tc.round)
		l := setUp(t, text, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(1, 2, tc.h, tc.h)}, 1)
		if got := l.Top[0].Shape(); got[2] != tc.want || got[3] != tc.want {
			t.Errorf("%s on %d×%d: top %v, want %d×%d", text, tc.h, tc.h, got, tc.want, tc.want)
		}
	}
	// Caffe's TestSetup, TestSetupPadded, TestSetupGlobalPooling on 2×3×6×5.
	for _, tc := range []struct{ params, want string }{
		{"kernel_size: 3 stride: 2", "2 3 3 2 (36)"},
		{"kernel_size: 3 stride: 2 pad: 1 pool: AVE", "2 3 4 3 (72)"},
		{"global_pooling: true pool: AVE", "2 3 1 1 (6)"},
		{"global_pooling: true pool: MAX", "2 3 1 1 (6)"},
	} {
		l := setUp(t, `type: "Pooling" pooling_param { `+tc.params+` }`, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(2, 3, 6, 5)}, 1)
		if got := l.Top[0].ShapeString(); got != tc.want {
			t.Errorf("%s: top %s, want %s", tc.params, got, tc.want)
		}
	}
}

// TestPoolingGlobal: global pooling is the mean or max of the whole plane.
func TestPoolingGlobal(t *testing.T) { inBothNumerics(t, testPoolingGlobal) }

func testPoolingGlobal(t *testing.T) {
	r := rng.New(1701)
	x := gaussian(r, 0, 1, 2, 3, 5, 4)
	for _, method := range []string{"AVE", "MAX"} {
		l := setUp(t, `type: "Pooling" pooling_param { global_pooling: true pool: `+method+` }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
		if err := l.Forward(l.Bottom, l.Top); err != nil {
			t.Fatal(err)
		}
		var want []float64
		for p := 0; p < 6; p++ {
			sum, best := 0.0, math.Inf(-1)
			for _, v := range x.Data[p*20 : (p+1)*20] {
				sum += float64(v)
				best = math.Max(best, float64(v))
			}
			if method == "AVE" {
				want = append(want, sum/20)
			} else {
				want = append(want, best)
			}
		}
		visionCompare(t, method, l.Top[0].Data, want, 1e-6)
	}
}

// TestPoolingMaxTies: the first maximum in scan order wins, and gets the gradient.
func TestPoolingMaxTies(t *testing.T) {
	x := repeatPlanes(1, 1, 2, 4, []float32{1, 3, 3, 0, 3, 2, 0, 3})
	l := setUp(t, `type: "Pooling" pooling_param { pool: MAX kernel_size: 2 stride: 2 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 2)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	if m := l.Top[1].Data; m[0] != 1 || m[1] != 2 {
		t.Fatalf("mask %v, want [1 2]", m)
	}
	l.Top[0].Diff[0], l.Top[0].Diff[1] = 10, 20
	l.Backward(l.Top, []bool{true}, l.Bottom)
	want := []float32{0, 10, 20, 0, 0, 0, 0, 0}
	for i, v := range l.Bottom[0].Diff {
		if v != want[i] {
			t.Fatalf("bottom diff %v, want %v", l.Bottom[0].Diff, want)
		}
	}
}

// Caffe's gradient tests of pooling: MAX and the mask top with step 1e-4, threshold
// 1e-2; AVE with 1e-2, 1e-2; exhaustive, over 3–4 × 3–4 kernels, with and without
// padding, plus the round-up, floor, global and stride cases.
func TestPoolingGradient(t *testing.T) { inBothNumerics(t, testPoolingGradient) }

func testPoolingGradient(t *testing.T) {
	type gcase struct {
		name, params string
		shape        []int
		nTop         int
		step         float32
	}
	var cases []gcase
	for kh := 3; kh <= 4; kh++ {
		for kw := 3; kw <= 4; kw++ {
			k := fmt.Sprintf("kernel_h: %d kernel_w: %d stride: 2", kh, kw)
			cases = append(cases,
				gcase{fmt.Sprintf("max_k%dx%d_pad1", kh, kw), "pool: MAX pad: 1 " + k, []int{2, 3, 6, 5}, 1, 1e-4},
				gcase{fmt.Sprintf("max_mask_k%dx%d", kh, kw), "pool: MAX " + k, []int{2, 3, 6, 5}, 2, 1e-4},
				gcase{fmt.Sprintf("ave_k%dx%d", kh, kw), "pool: AVE " + k, []int{2, 3, 6, 5}, 1, 1e-2},
				gcase{fmt.Sprintf("ave_k%dx%d_pad2", kh, kw), "pool: AVE pad: 2 " + k, []int{2, 3, 6, 5}, 1, 1e-2},
			)
		}
	}
	cases = append(cases,
		gcase{"max_roundup_h8", "pool: MAX kernel_size: 3 stride: 2", []int{2, 2, 8, 7}, 1, 1e-4},
		gcase{"ave_roundup_h8", "pool: AVE kernel_size: 3 stride: 2", []int{2, 2, 8, 7}, 1, 1e-2},
		gcase{"max_pad1_clip", "pool: MAX kernel_size: 2 stride: 2 pad: 1", []int{2, 2, 5, 5}, 1, 1e-4},
		gcase{"ave_pad1_clip", "pool: AVE kernel_size: 2 stride: 2 pad: 1", []int{2, 2, 5, 5}, 1, 1e-2},
		gcase{"max_floor", "pool: MAX kernel_size: 3 stride: 2 round_mode: FLOOR", []int{2, 2, 8, 7}, 1, 1e-4},
		gcase{"ave_floor_pad1", "pool: AVE kernel_size: 3 stride: 2 pad: 1 round_mode: FLOOR", []int{2, 2, 6, 7}, 1, 1e-2},
		gcase{"max_global", "pool: MAX global_pooling: true", []int{2, 3, 4, 5}, 1, 1e-4},
		gcase{"ave_global", "pool: AVE global_pooling: true", []int{2, 3, 4, 5}, 1, 1e-2},
		gcase{"max_rect_stride", "pool: MAX kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2 pad_h: 1 pad_w: 0", []int{2, 2, 5, 6}, 1, 1e-4},
		gcase{"ave_rect_stride", "pool: AVE kernel_h: 2 kernel_w: 3 stride_h: 1 stride_w: 2 pad_h: 1 pad_w: 2", []int{2, 2, 5, 6}, 1, 1e-2},
		gcase{"ave_overlap_s1", "pool: AVE kernel_size: 3 stride: 1", []int{1, 2, 5, 5}, 1, 1e-2},
	)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			shortSweep(t, i, 4)
			r := rng.New(1701)
			l := setUp(t, `type: "Pooling" pooling_param { `+tc.params+` }`, caffepb.Phase_TRAIN,
				[]*blob.Blob{gaussian(r, 0, 1, tc.shape...)}, tc.nTop)
			checkGradient(t, l, gradcheck.New(tc.step, 1e-2), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

// TestPoolingStochasticTrain: every output is one of the values of its window (Caffe's
// TestStochastic), and the gradient goes to that value. The check reseeds the
// layer's source before every forward pass, so the sampled index stays put.
func TestPoolingStochasticTrain(t *testing.T) {
	r := rng.New(1701)
	x := uniform(r, 0.1, 1, 2, 3, 6, 5)
	l := setUp(t, `type: "Pooling" pooling_param { pool: STOCHASTIC kernel_size: 3 stride: 2 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	if got := l.Top[0].ShapeString(); got != "2 3 3 2 (36)" {
		t.Fatalf("top shape %s", got)
	}
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	top := l.Top[0]
	for p := 0; p < 6; p++ {
		for oy := 0; oy < 3; oy++ {
			for ox := 0; ox < 2; ox++ {
				v := top.Data[(p*3+oy)*2+ox]
				found := false
				for h := oy * 2; h < min(oy*2+3, 6); h++ {
					for w := ox * 2; w < min(ox*2+3, 5); w++ {
						found = found || x.Data[(p*6+h)*5+w] == v
					}
				}
				if !found {
					t.Fatalf("plane %d output (%d,%d) = %g is not in its window", p, oy, ox, v)
				}
			}
		}
	}
	checkGradient(t, l, gradcheck.New(1e-4, 1e-2), checkSingle, gradcheck.AllBottoms)
}

// TestPoolingStochasticFrequencies: over many draws each value of a window is taken
// with probability x_i / Σx.
func TestPoolingStochasticFrequencies(t *testing.T) {
	window := []float32{0.1, 0.2, 0.3, 0.4, 0.0, 1.0}
	const planes, rounds = 2000, 10
	x := repeatPlanes(1, planes, 2, 3, window)
	l := setUp(t, `type: "Pooling" pooling_param { pool: STOCHASTIC kernel_h: 2 kernel_w: 3 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	counts := make(map[float32]int)
	for range rounds {
		if err := l.Forward(l.Bottom, l.Top); err != nil {
			t.Fatal(err)
		}
		for _, v := range l.Top[0].Data {
			counts[v]++
		}
	}
	var total float64
	for _, v := range window {
		total += float64(v)
	}
	n := float64(planes * rounds)
	for _, v := range window {
		p := float64(v) / total
		got := float64(counts[v])
		// Five standard deviations of a binomial count.
		if tol := 5 * math.Sqrt(n*p*(1-p)); math.Abs(got-n*p) > tol || (p == 0 && got != 0) {
			t.Errorf("value %g taken %g times of %g, want %g ± %.0f", v, got, n, n*p, tol)
		}
	}
}

// TestPoolingStochasticTest: in TEST the output is the probability-weighted mean
// Σx²/Σx, whose gradient is exact.
func TestPoolingStochasticTest(t *testing.T) {
	r := rng.New(1701)
	x := uniform(r, 0.1, 1, 2, 3, 6, 5)
	l := setUp(t, `type: "Pooling" pooling_param { pool: STOCHASTIC kernel_size: 3 stride: 2 }`, caffepb.Phase_TEST, []*blob.Blob{x}, 1)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	var want []float64
	for p := 0; p < 6; p++ {
		for oy := 0; oy < 3; oy++ {
			for ox := 0; ox < 2; ox++ {
				var s, q float64
				for h := oy * 2; h < min(oy*2+3, 6); h++ {
					for w := ox * 2; w < min(ox*2+3, 5); w++ {
						v := float64(x.Data[(p*6+h)*5+w])
						s += v
						q += v * v
					}
				}
				want = append(want, q/s)
			}
		}
	}
	visionCompare(t, "top", l.Top[0].Data, want, 1e-5)
	checkGradient(t, l, gradcheck.New(1e-4, 1e-2), checkExhaustive, gradcheck.AllBottoms)
}

// TestPoolingErrors: bad parameters are errors that say what is wrong.
func TestPoolingErrors(t *testing.T) {
	for _, tc := range []struct {
		params, want string
		shape        []int
	}{
		{"pool: MAX", "kernel_size", nil},
		{"pool: MAX kernel_size: 2 kernel_h: 2 kernel_w: 2", "kernel_size", nil},
		{"pool: MAX kernel_h: 2", "kernel_h", nil},
		{"pool: MAX kernel_size: 0", "kernel size", nil},
		{"pool: MAX global_pooling: true kernel_size: 2", "global_pooling", nil},
		{"pool: AVE global_pooling: true pad: 1", "global_pooling", nil},
		{"pool: MAX kernel_size: 2 pad: 2", "pad", nil},
		{"pool: STOCHASTIC kernel_size: 3 pad: 1", "pad", nil},
		{"pool: MAX kernel_size: 2 pad: 1 pad_h: 1 pad_w: 1", "pad", nil},
		{"pool: MAX kernel_size: 2 stride_h: 2", "stride", nil},
		{"pool: MAX kernel_size: 2 stride: 0", "stride", nil},
		{"pool: MAX kernel_size: 2", "4 axes", []int{2, 3, 6}},
		{"pool: MAX kernel_size: 7 round_mode: FLOOR", "empty", nil},
	} {
		shape := tc.shape
		if shape == nil {
			shape = []int{2, 3, 6, 6}
		}
		err := visionSetUpErr(`type: "Pooling" pooling_param { `+tc.params+` }`, blob.New(shape...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("pooling_param { %s } on %v: error %v, want one mentioning %q", tc.params, shape, err, tc.want)
		}
	}
	// Only MAX has a second (mask) top.
	p, _ := newLayer(t, `type: "Pooling" pooling_param { pool: AVE kernel_size: 2 }`, caffepb.Phase_TRAIN)
	if err := p.(layers.Counter).BlobCounts().Check(1, 2); err == nil {
		t.Error("AVE pooling accepted a mask top")
	}
}

// BenchmarkPooling times the pooling layers of LeNet, cifar10_quick, SqueezeNet 1.1
// (batch 8: pool1 and the global average of pool10) and ResNet-50 (batch 1).
func BenchmarkPooling(b *testing.B) {
	var cases []layerBench
	for _, s := range []struct {
		name   string
		bottom []int
		param  string
	}{
		{"lenet_pool1_b64", []int{64, 20, 24, 24}, `pool: MAX kernel_size: 2 stride: 2`},
		{"cifar_pool1_b100", []int{100, 32, 32, 32}, `pool: MAX kernel_size: 3 stride: 2`},
		{"cifar_pool2_b100", []int{100, 32, 16, 16}, `pool: AVE kernel_size: 3 stride: 2`},
		{"cifar_pool3_b100", []int{100, 64, 8, 8}, `pool: AVE kernel_size: 3 stride: 2`},
		{"squeeze_pool1_b8", []int{8, 64, 111, 111}, `pool: MAX kernel_size: 3 stride: 2`},
		{"squeeze_pool10_b8", []int{8, 1000, 13, 13}, `pool: AVE global_pooling: true`},
		{"resnet_pool1_b1", []int{1, 64, 112, 112}, `pool: MAX kernel_size: 3 stride: 2`},
	} {
		cases = append(cases, layerBench{name: s.name, text: `type: "Pooling" pooling_param { ` + s.param + ` }`,
			phase: caffepb.Phase_TRAIN, bottoms: [][]int{s.bottom}, tops: 1})
	}
	benchLayers(b, cases)
}

// TestVisionReshapeNoAlloc: reshaping to the same shapes, as happens before every
// forward pass, allocates nothing.
func TestVisionReshapeNoAlloc(t *testing.T) {
	r := rng.New(1701)
	for _, text := range []string{
		`type: "Pooling" pooling_param { pool: MAX kernel_size: 3 stride: 2 }`,
		`type: "Pooling" pooling_param { pool: STOCHASTIC kernel_size: 3 stride: 2 }`,
		`type: "Pooling" pooling_param { pool: AVE global_pooling: true }`,
		`type: "LRN" lrn_param { local_size: 3 }`,
		`type: "LRN" lrn_param { local_size: 3 norm_region: WITHIN_CHANNEL }`,
		`type: "Deconvolution" convolution_param { num_output: 2 kernel_size: 3 stride: 2 }`,
	} {
		l := setUp(t, text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 3, 4, 7, 6)}, 1)
		if allocs := testing.AllocsPerRun(10, func() { l.Reshape(l.Bottom, l.Top) }); allocs != 0 {
			t.Errorf("%s: Reshape to the same shape allocates %v times", text, allocs)
		}
	}
}

// TestPoolingEmptyWindows: with a stride larger than the kernel, rounding up can make
// the last window start past the image. Caffe's MAX gives −FLT_MAX there and AVE 0;
// no gradient flows from it.
func TestPoolingEmptyWindows(t *testing.T) { inBothNumerics(t, testPoolingEmptyWindows) }

func testPoolingEmptyWindows(t *testing.T) {
	x := repeatPlanes(1, 1, 1, 5, []float32{1, 2, 3, 4, 5})
	for _, tc := range []struct {
		method string
		want   []float32
	}{
		{"MAX", []float32{1, 4, -math.MaxFloat32}},
		{"AVE", []float32{1, 4, 0}},
		{"STOCHASTIC", []float32{1, 4, 0}},
	} {
		l := setUp(t, `type: "Pooling" pooling_param { pool: `+tc.method+` kernel_h: 1 kernel_w: 1 stride: 3 }`,
			caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
		if err := l.Forward(l.Bottom, l.Top); err != nil {
			t.Fatal(err)
		}
		for i, v := range l.Top[0].Data {
			if v != tc.want[i] {
				t.Fatalf("%s: top %v, want %v", tc.method, l.Top[0].Data, tc.want)
			}
		}
		for i := range l.Top[0].Diff {
			l.Top[0].Diff[i] = 1
		}
		l.Backward(l.Top, []bool{true}, l.Bottom)
		want := []float32{1, 0, 0, 1, 0}
		for i, v := range l.Bottom[0].Diff {
			if v != want[i] {
				t.Fatalf("%s: bottom diff %v, want %v", tc.method, l.Bottom[0].Diff, want)
			}
		}
	}
}

// caffePool is Caffe's Forward_cpu and Backward_cpu of MAX and AVE pooling, loop for
// loop, on one plane: the reference our row-at-a-time passes must match bit for bit.
func caffePool(max bool, x, dy []float32, h, w, kh, kw, sh, sw, ph, pw, outH, outW int) (y, mask, dx []float32) {
	y, mask, dx = make([]float32, outH*outW), make([]float32, outH*outW), make([]float32, h*w)
	for oy := 0; oy < outH; oy++ {
		for ox := 0; ox < outW; ox++ {
			hs, ws := oy*sh-ph, ox*sw-pw
			o := oy*outW + ox
			if max {
				he, we := min(hs+kh, h), min(ws+kw, w)
				hs, ws = max2(hs, 0), max2(ws, 0)
				y[o], mask[o] = -math.MaxFloat32, -1
				for i := hs; i < he; i++ {
					for j := ws; j < we; j++ {
						if x[i*w+j] > y[o] {
							y[o], mask[o] = x[i*w+j], float32(i*w+j)
						}
					}
				}
				if mask[o] >= 0 {
					dx[int(mask[o])] += dy[o]
				}
				continue
			}
			he, we := min(hs+kh, h+ph), min(ws+kw, w+pw)
			size := (he - hs) * (we - ws)
			hs, ws, he, we = max2(hs, 0), max2(ws, 0), min(he, h), min(we, w)
			for i := hs; i < he; i++ {
				for j := ws; j < we; j++ {
					y[o] += x[i*w+j]
				}
			}
			y[o] /= float32(size)
			for i := hs; i < he; i++ {
				for j := ws; j < we; j++ {
					dx[i*w+j] += dy[o] / float32(size)
				}
			}
		}
	}
	return y, mask, dx
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// TestPoolingMatchesCaffeLoops: the layer against Caffe's loops as they read, bit
// for bit in both numerics (a global AVE, which the fast numerics sums otherwise,
// is not among these windows).
func TestPoolingMatchesCaffeLoops(t *testing.T) { inBothNumerics(t, testPoolingMatchesCaffeLoops) }

func testPoolingMatchesCaffeLoops(t *testing.T) {
	r := rng.New(1701)
	for _, method := range []string{"MAX", "AVE"} {
		for _, g := range [][7]int{ // h, w, kh, kw, stride_h, stride_w, pad
			{6, 5, 3, 3, 2, 2, 0}, {6, 5, 3, 3, 2, 2, 1}, {7, 7, 3, 2, 1, 2, 1}, {8, 8, 2, 2, 2, 2, 0},
			{5, 5, 2, 2, 2, 2, 1}, {9, 6, 4, 3, 3, 2, 2}, {5, 7, 1, 1, 3, 2, 0}, {4, 4, 4, 4, 1, 1, 3},
			{12, 12, 5, 5, 1, 1, 2}, {3, 10, 3, 3, 1, 4, 1},
		} {
			h, w, kh, kw, sh, sw, pad := g[0], g[1], g[2], g[3], g[4], g[5], g[6]
			text := fmt.Sprintf(`type: "Pooling" pooling_param { pool: %s kernel_h: %d kernel_w: %d stride_h: %d stride_w: %d pad: %d }`,
				method, kh, kw, sh, sw, pad)
			x := gaussian(r, 0, 1, 2, 2, h, w)
			nTop := 1
			if method == "MAX" {
				nTop = 2
			}
			l := setUp(t, text, caffepb.Phase_TRAIN, []*blob.Blob{x}, nTop)
			if err := l.Forward(l.Bottom, l.Top); err != nil {
				t.Fatal(err)
			}
			for i := range l.Top[0].Diff {
				l.Top[0].Diff[i] = r.Gaussian(0, 1)
			}
			l.Backward(l.Top, []bool{true}, l.Bottom)
			outH, outW := l.Top[0].Dim(2), l.Top[0].Dim(3)
			in, out := h*w, outH*outW
			same := func(a, b float32) bool { return a == b }
			for p := 0; p < 4; p++ {
				y, mask, dx := caffePool(method == "MAX", x.Data[p*in:(p+1)*in], l.Top[0].Diff[p*out:(p+1)*out],
					h, w, kh, kw, sh, sw, pad, pad, outH, outW)
				for i := range y {
					if !same(y[i], l.Top[0].Data[p*out+i]) || method == "MAX" && mask[i] != l.Top[1].Data[p*out+i] {
						t.Fatalf("%s plane %d: output %d = %g (mask %v), Caffe's loops give %g (mask %g)",
							text, p, i, l.Top[0].Data[p*out+i], l.Top[len(l.Top)-1].Data[p*out+i], y[i], mask[i])
					}
				}
				for i := range dx {
					if !same(dx[i], x.Diff[p*in+i]) {
						t.Fatalf("%s plane %d: bottom diff %d = %g, Caffe's loops give %g", text, p, i, x.Diff[p*in+i], dx[i])
					}
				}
			}
		}
	}
}

func TestPoolingCaffeFixtures(t *testing.T) { caffeFixtures(t, "Pooling") }
