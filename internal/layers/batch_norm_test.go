package layers_test

import (
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of BatchNorm (test_batch_norm_layer.cpp).

// bnBottom is Caffe's: (5, 2, 3, 4) standard normal draws.
func bnBottom() *blob.Blob { return gaussian(rng.New(1701), 0, 1, 5, 2, 3, 4) }

// bnStats returns the per-channel mean and biased variance of x (N, C, spatial…) in
// float64.
func bnStats(x *blob.Blob) (mean, variance []float64) {
	n, c := x.Dim(0), x.Dim(1)
	sp := x.CountFrom(2)
	mean, variance = make([]float64, c), make([]float64, c)
	for ch := 0; ch < c; ch++ {
		var s, ss float64
		for i := 0; i < n; i++ {
			for _, v := range x.Data[(i*c+ch)*sp : (i*c+ch+1)*sp] {
				s += float64(v)
				ss += float64(v) * float64(v)
			}
		}
		m := float64(n * sp)
		mean[ch] = s / m
		variance[ch] = ss/m - mean[ch]*mean[ch]
	}
	return mean, variance
}

// bnReference is (x − mean_c)/sqrt(var_c + eps) in float64.
func bnReference(x *blob.Blob, mean, variance []float64, eps float64) []float64 {
	c, sp := x.Dim(1), x.CountFrom(2)
	y := make([]float64, x.Count())
	for i, v := range x.Data {
		ch := (i / sp) % c
		y[i] = (float64(v) - mean[ch]) / math.Sqrt(variance[ch]+eps)
	}
	return y
}

// Caffe's TestForward and TestForwardInplace: in TRAIN every channel comes out with
// zero mean and unit variance; and the values against float64, on 4-, 3- and 2-axis
// bottoms.
func TestBatchNormForward(t *testing.T) { inBothNumerics(t, testBatchNormForward) }

func testBatchNormForward(t *testing.T) {
	r := rng.New(3)
	for _, tc := range []struct {
		name, param string
		x           *blob.Blob
		eps         float64
	}{
		{"default", ``, bnBottom(), 1e-5},
		{"eps", `batch_norm_param { eps: 0.1 }`, bnBottom(), 0.1},
		{"3d", ``, gaussian(r, 2, 3, 4, 3, 5), 1e-5},
		{"2d", ``, gaussian(r, -1, 2, 6, 4), 1e-5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := tc.x
			l := setUp(t, `type: "BatchNorm" `+tc.param, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
			if p := l.Params(); len(p) != 3 || !equalShape(p[0].Shape(), []int{x.Dim(1)}) || !equalShape(p[2].Shape(), []int{1}) {
				t.Fatalf("blobs %v, want (C), (C), (1)", p)
			}
			forward(t, l)
			mean, variance := bnStats(x)
			visionCompare(t, "top", l.Top[0].Data, bnReference(x, mean, variance, tc.eps), 1e-5)
			if tc.eps < 1e-3 {
				m, v := bnStats(l.Top[0])
				for ch := range m {
					if math.Abs(m[ch]) > 1e-3 || math.Abs(v[ch]+m[ch]*m[ch]-1) > 1e-3 {
						t.Fatalf("channel %d: mean %g, E[y²] %g", ch, m[ch], v[ch]+m[ch]*m[ch])
					}
				}
			}
		})
	}
	t.Run("in_place", func(t *testing.T) {
		checkInPlace(t, `type: "BatchNorm"`, caffepb.Phase_TRAIN, []*blob.Blob{bnBottom()}, gaussian(rng.New(4), 0, 1, 5, 2, 3, 4))
		checkInPlace(t, `type: "BatchNorm"`, caffepb.Phase_TEST, []*blob.Blob{bnBottom()}, gaussian(rng.New(4), 0, 1, 5, 2, 3, 4))
	})
}

// The running statistics after two TRAIN forwards, and a TEST layer given them:
//
//	s ← f·s + 1,  mean ← f·mean + μ,  var ← f·var + m/(m−1)·σ²
//	TEST: y = (x − mean/s)/sqrt(var/s + eps)
func TestBatchNormRunningStatistics(t *testing.T) { inBothNumerics(t, testBatchNormRunningStatistics) }

func testBatchNormRunningStatistics(t *testing.T) {
	const f = 0.9
	x1, x2 := bnBottom(), gaussian(rng.New(5), 1, 2, 5, 2, 3, 4)
	l := setUp(t, `type: "BatchNorm" batch_norm_param { moving_average_fraction: 0.9 }`, caffepb.Phase_TRAIN, []*blob.Blob{x1}, 1)
	forward(t, l)
	copy(x1.Data, x2.Data)
	mean1, var1 := bnStats(bnBottom())
	mean2, var2 := bnStats(x2)
	forward(t, l)
	m := 5.0 * 3 * 4
	p := l.Params()
	if !testutil.Close(float64(p[2].Data[0]), f*1+1, 0, 1e-6) {
		t.Fatalf("normaliser %g, want %g", p[2].Data[0], f+1)
	}
	for ch := 0; ch < 2; ch++ {
		wantMean := f*mean1[ch] + mean2[ch]
		wantVar := f*m/(m-1)*var1[ch] + m/(m-1)*var2[ch]
		if !testutil.Close(float64(p[0].Data[ch]), wantMean, 1e-6, 1e-5) || !testutil.Close(float64(p[1].Data[ch]), wantVar, 1e-6, 1e-5) {
			t.Fatalf("channel %d: running mean %g var %g, want %g %g", ch, p[0].Data[ch], p[1].Data[ch], wantMean, wantVar)
		}
	}

	// A TEST layer (global statistics by default) with those blobs.
	x3 := gaussian(rng.New(6), 0, 1, 5, 2, 3, 4)
	test := setUp(t, `type: "BatchNorm"`, caffepb.Phase_TEST, []*blob.Blob{x3}, 1)
	for i, b := range test.Params() {
		copy(b.Data, p[i].Data)
	}
	forward(t, test)
	s := float64(p[2].Data[0])
	gm, gv := make([]float64, 2), make([]float64, 2)
	for ch := range gm {
		gm[ch], gv[ch] = float64(p[0].Data[ch])/s, float64(p[1].Data[ch])/s
	}
	visionCompare(t, "TEST top", test.Top[0].Data, bnReference(x3, gm, gv, 1e-5), 1e-5)
	for i, b := range test.Params() {
		if b.Data[0] != p[i].Data[0] {
			t.Fatalf("TEST forward changed blob %d", i)
		}
	}

	// use_global_stats: false in TEST uses the batch; a zero normaliser means zero
	// statistics: y = x/sqrt(eps).
	batch := setUp(t, `type: "BatchNorm" batch_norm_param { use_global_stats: false }`, caffepb.Phase_TEST, []*blob.Blob{x3}, 1)
	forward(t, batch)
	bm, bv := bnStats(x3)
	visionCompare(t, "TEST batch top", batch.Top[0].Data, bnReference(x3, bm, bv, 1e-5), 1e-5)
	zero := setUp(t, `type: "BatchNorm" batch_norm_param { use_global_stats: true eps: 0.25 }`, caffepb.Phase_TRAIN, []*blob.Blob{x3}, 1)
	forward(t, zero)
	for i, v := range x3.Data {
		if !testutil.Close(float64(zero.Top[0].Data[i]), float64(v)/0.5, 1e-7, 1e-6) {
			t.Fatalf("top[%d] = %g, want %g", i, zero.Top[0].Data[i], v/0.5)
		}
	}
}

// Caffe's TestGradient: step 1e-2, threshold 1e-4, exhaustive; also on other shapes
// and eps, and with global statistics (the bottom only: the statistics get no
// gradient, as in Caffe).
func TestBatchNormGradient(t *testing.T) { inBothNumerics(t, testBatchNormGradient) }

func testBatchNormGradient(t *testing.T) {
	r := rng.New(8)
	for _, tc := range []struct {
		name, param string
		x           *blob.Blob
		global      bool
	}{
		{"default", ``, bnBottom(), false},
		{"eps", `batch_norm_param { eps: 0.01 }`, bnBottom(), false},
		{"3d", ``, gaussian(r, 1, 2, 4, 3, 2), false},
		{"2d", ``, gaussian(r, 0, 1, 5, 3), false},
		{"global", `batch_norm_param { use_global_stats: true }`, bnBottom(), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := setUp(t, `type: "BatchNorm" `+tc.param, caffepb.Phase_TRAIN, []*blob.Blob{tc.x}, 1)
			if tc.global {
				c := tc.x.Dim(1)
				p := l.Params()
				for ch := 0; ch < c; ch++ {
					p[0].Data[ch], p[1].Data[ch] = 0.3*float32(ch)-0.2, 1.5+float32(ch)
				}
				p[2].Data[0] = 2
				l.Layer = noParams{l.Layer}
			}
			checkGradient(t, l, gradcheck.New(1e-2, 1e-4), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

// The statistics are masked from the solver: lr_mult 0 when no param is given, and a
// non-zero lr_mult is refused (Caffe's rule).
func TestBatchNormParamSpecs(t *testing.T) {
	build := func(param string) (*network.Net, error) {
		text := `name: "bn"
layer { name: "x" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
layer { name: "bn" type: "BatchNorm" bottom: "x" top: "y" ` + param + ` }`
		p, err := protofile.ParseNetText("bn.prototxt", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return network.New(p, network.Options{Quiet: true})
	}
	for _, param := range []string{``, `param { lr_mult: 0 }`, `param { lr_mult: 0 } param { lr_mult: 0 } param { lr_mult: 0 decay_mult: 0 }`} {
		n, err := build(param)
		if err != nil {
			t.Fatalf("%q: %v", param, err)
		}
		if lr := n.LrMult(); len(lr) != 3 || lr[0] != 0 || lr[1] != 0 || lr[2] != 0 {
			t.Fatalf("%q: lr_mult %v, want three 0", param, lr)
		}
		n.Close()
	}
	_, err := build(`param { lr_mult: 1 }`)
	wantError(t, err, "lr_mult", "batch normalization statistics")
	_, err = build(`param { lr_mult: 0 } param { decay_mult: 0 }`)
	wantError(t, err, "param 1", "lr_mult")
}

func TestBatchNormErrors(t *testing.T) {
	wantError(t, setUpError(`type: "BatchNorm"`, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(5)}, 1), "2 axes")
	l := setUp(t, `type: "BatchNorm"`, caffepb.Phase_TRAIN, []*blob.Blob{bnBottom()}, 1)
	l.Bottom[0].Reshape(5, 3, 3, 4)
	wantError(t, l.Reshape(l.Bottom, l.Top), "2 channels")
}

// BenchmarkBatchNorm: ResNet-50's BatchNorm at batch 1 after res2's and res5's
// convolutions (in place, as ResNet runs it) and a batch of 8; TRAIN with the batch's
// statistics, and with the global ones (out of place).
func BenchmarkBatchNorm(b *testing.B) {
	var cases []layerBench
	for _, s := range []struct {
		name  string
		shape []int
	}{{"res2_1x256x56x56", []int{1, 256, 56, 56}}, {"res5_1x2048x7x7", []int{1, 2048, 7, 7}}, {"b8_8x64x28x28", []int{8, 64, 28, 28}}} {
		cases = append(cases,
			layerBench{name: s.name + "/batch", text: `type: "BatchNorm"`, phase: caffepb.Phase_TRAIN,
				bottoms: [][]int{s.shape}, tops: 1, inPlace: true},
			layerBench{name: s.name + "/global", text: `type: "BatchNorm" batch_norm_param { use_global_stats: true }`,
				phase: caffepb.Phase_TRAIN, bottoms: [][]int{s.shape}, tops: 1, params: uniformParams})
	}
	benchLayers(b, cases)
}

// In both numerics a channel's statistics are one goroutine's: the same bits with
// any number of workers.
func TestBatchNormWorkers(t *testing.T) { inBothNumerics(t, testBatchNormWorkers) }

func testBatchNormWorkers(t *testing.T) {
	x := gaussian(rng.New(9), 1, 2, 2, 64, 31, 33)
	sameWithWorkers(t, `type: "BatchNorm"`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	sameWithWorkers(t, `type: "BatchNorm" batch_norm_param { use_global_stats: true }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
}

func TestBatchNormCaffeFixtures(t *testing.T) { caffeFixtures(t, "BatchNorm") }
