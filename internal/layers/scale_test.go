package layers_test

import (
	"fmt"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Scale (test_scale_layer.cpp) and, through broadcastCases, of Bias
// (test_bias_layer.cpp), which broadcasts the same way.

// broadcastBlobs are the blobs of Caffe's Scale and Bias tests: the (2, 3, 4, 5)
// bottom, an element-wise second bottom, the broadcast bottoms (2, 3), (3, 4) and
// (4, 5), and a scalar; uniform draws in [1, 10].
type broadcastBlobs struct {
	bottom, eltwise, b0, b1, b2, scalar *blob.Blob
}

func newBroadcastBlobs() broadcastBlobs {
	r := rng.New(1701)
	u := func(shape ...int) *blob.Blob { return uniform(r, 1, 10, shape...) }
	return broadcastBlobs{u(2, 3, 4, 5), u(2, 3, 4, 5), u(2, 3), u(3, 4), u(4, 5), u()}
}

// broadcastCase is one way of applying a blob to the (2, 3, 4, 5) bottom: as a
// second bottom (second != nil) or learned (its shape from axis and num_axes).
type broadcastCase struct {
	name   string
	param  string // inside scale_param / bias_param
	second func(b broadcastBlobs) *blob.Blob
	axis   int // where the applied blob's axes start in the bottom
}

var broadcastCases = []broadcastCase{
	{"eltwise", `axis: 0`, func(b broadcastBlobs) *blob.Blob { return b.eltwise }, 0},
	{"broadcast_begin", `axis: 0`, func(b broadcastBlobs) *blob.Blob { return b.b0 }, 0},
	{"broadcast_middle", `axis: 1`, func(b broadcastBlobs) *blob.Blob { return b.b1 }, 1},
	{"broadcast_end", `axis: 2`, func(b broadcastBlobs) *blob.Blob { return b.b2 }, 2},
	{"broadcast_end_negative", `axis: -2`, func(b broadcastBlobs) *blob.Blob { return b.b2 }, 2},
	{"scalar", ``, func(b broadcastBlobs) *blob.Blob { return b.scalar }, 0},
	{"scalar_axis2", `axis: 2`, func(b broadcastBlobs) *blob.Blob { return b.scalar }, 0},
	{"param_eltwise", `axis: 0 num_axes: -1 filler { type: "gaussian" }`, nil, 0},
	{"param_middle", `axis: 1 num_axes: 2 filler { type: "gaussian" }`, nil, 1},
	{"param_channels", `filler { type: "gaussian" }`, nil, 1},
	{"param_scalar", `num_axes: 0 filler { type: "gaussian" }`, nil, 0},
	{"param_last", `axis: -1 filler { type: "gaussian" }`, nil, 3},
}

// bottoms returns the case's bottoms on fresh blobs.
func (c broadcastCase) bottoms() []*blob.Blob {
	bs := newBroadcastBlobs()
	if c.second == nil {
		return []*blob.Blob{bs.bottom}
	}
	return []*blob.Blob{bs.bottom, c.second(bs)}
}

// broadcastIndex is the index into the applied blob b of bottom element i.
func broadcastIndex(bottom, b *blob.Blob, axis, i int) int {
	if b.NumAxes() == 0 {
		return 0
	}
	inner := bottom.CountFrom(axis + b.NumAxes())
	return (i / inner) % b.Count()
}

// Caffe's TestForwardEltwise, TestForwardBroadcastBegin/Middle/End, TestForwardScale,
// TestForwardScaleAxis2, TestForwardEltwiseWithParam,
// TestForwardBroadcastMiddleWithParam(AndBias): top = bottom·scale (+ bias).
func TestScaleForward(t *testing.T) { inBothNumerics(t, testScaleForward) }

func testScaleForward(t *testing.T) {
	for _, c := range broadcastCases {
		for _, biasTerm := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/bias_%v", c.name, biasTerm), func(t *testing.T) {
				bs := c.bottoms()
				text := `type: "Scale" scale_param { ` + c.param
				if biasTerm {
					text += ` bias_term: true bias_filler { type: "gaussian" }`
				}
				l := setUp(t, text+` }`, caffepb.Phase_TRAIN, bs, 1)
				if !equalShape(l.Top[0].Shape(), bs[0].Shape()) {
					t.Fatalf("top shape %v", l.Top[0].Shape())
				}
				scale := l.Params()
				var s, b *blob.Blob
				if len(bs) > 1 {
					s = bs[1]
				} else {
					s = scale[0]
				}
				if biasTerm {
					b = scale[len(scale)-1]
					if !equalShape(b.Shape(), s.Shape()) {
						t.Fatalf("bias shape %v, scale's %v", b.Shape(), s.Shape())
					}
				}
				forward(t, l)
				want := make([]float64, bs[0].Count())
				for i, v := range bs[0].Data {
					j := broadcastIndex(bs[0], s, c.axis, i)
					want[i] = float64(v) * float64(s.Data[j])
					if biasTerm {
						want[i] += float64(b.Data[j])
					}
				}
				visionCompare(t, "top", l.Top[0].Data, want, 1e-6)
			})
		}
	}
}

// The learned scale is 1 unless a filler is given: the identity.
func TestScaleDefaultFiller(t *testing.T) {
	x := newBroadcastBlobs().bottom
	l := setUp(t, `type: "Scale"`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	if p := l.Params(); len(p) != 1 || !equalShape(p[0].Shape(), []int{3}) || p[0].Data[0] != 1 || p[0].Data[2] != 1 {
		t.Fatalf("params %v, want one (3) blob of ones", p)
	}
	forward(t, l)
	for i, v := range x.Data {
		if l.Top[0].Data[i] != v {
			t.Fatalf("top[%d] = %g, want %g", i, l.Top[0].Data[i], v)
		}
	}
}

// Caffe's gradient tests: TestGradientEltwise (element-wise), TestGradientEltwiseWithParam,
// TestGradientBroadcastBegin/Middle/End, TestGradientBroadcastMiddleWithParam,
// TestGradientScale, TestGradientScaleAndBias, TestGradientScaleAxis2 (exhaustive);
// all step 1e-2, threshold 1e-3; here every case with and without a bias.
func TestScaleGradient(t *testing.T) { inBothNumerics(t, testScaleGradient) }

func testScaleGradient(t *testing.T) {
	i := 0
	for _, c := range broadcastCases {
		for _, biasTerm := range []bool{false, true} {
			i++
			t.Run(fmt.Sprintf("%s/bias_%v", c.name, biasTerm), func(t *testing.T) {
				shortSweep(t, i-1, 4)
				text := `type: "Scale" scale_param { ` + c.param
				if biasTerm {
					text += ` bias_term: true bias_filler { type: "gaussian" }`
				}
				l := setUp(t, text+` }`, caffepb.Phase_TRAIN, c.bottoms(), 1)
				mode := checkExhaustive
				if c.name == "eltwise" && !biasTerm {
					mode = checkEltwise
				}
				checkGradient(t, l, gradcheck.New(1e-2, 1e-3), mode, gradcheck.AllBottoms)
			})
		}
	}
}

// Caffe's TestForwardEltwiseInPlace, TestBackwardEltwiseInPlace,
// TestForwardBroadcastMiddleInPlace and TestBackwardBroadcastMiddleInPlace, and in
// place with a learned scale and a bias.
func TestScaleInPlace(t *testing.T) { inBothNumerics(t, testScaleInPlace) }

func testScaleInPlace(t *testing.T) {
	for _, c := range broadcastCases {
		for _, biasTerm := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/bias_%v", c.name, biasTerm), func(t *testing.T) {
				text := `type: "Scale" scale_param { ` + c.param
				if biasTerm {
					text += ` bias_term: true bias_filler { type: "gaussian" }`
				}
				checkInPlace(t, text+` }`, caffepb.Phase_TRAIN, c.bottoms(), gaussian(rng.New(7), 0, 1, 2, 3, 4, 5))
			})
		}
	}
}

// The scale's gradient accumulates into a learned blob and overwrites a bottom's.
func TestScaleGradientAccumulates(t *testing.T) { inBothNumerics(t, testScaleGradientAccumulates) }

func testScaleGradientAccumulates(t *testing.T) {
	bs := newBroadcastBlobs()
	dy := gaussian(rng.New(2), 0, 1, 2, 3, 4, 5)
	learned := setUp(t, `type: "Scale" scale_param { bias_term: true }`, caffepb.Phase_TRAIN, []*blob.Blob{bs.bottom}, 1)
	forward(t, learned)
	backwardWith(learned, dy.Data)
	once := [][]float32{append([]float32(nil), learned.Params()[0].Diff...), append([]float32(nil), learned.Params()[1].Diff...)}
	backwardWith(learned, dy.Data)
	for p, d := range once {
		for i, v := range d {
			if learned.Params()[p].Diff[i] != 2*v {
				t.Fatalf("param %d diff[%d] = %g after two backwards, want %g", p, i, learned.Params()[p].Diff[i], 2*v)
			}
		}
	}
	second := setUp(t, `type: "Scale" scale_param { axis: 0 }`, caffepb.Phase_TRAIN, []*blob.Blob{bs.bottom, bs.b0}, 1)
	forward(t, second)
	backwardWith(second, dy.Data)
	first := append([]float32(nil), bs.b0.Diff...)
	backwardWith(second, dy.Data)
	for i, v := range first {
		if bs.b0.Diff[i] != v {
			t.Fatalf("second bottom's diff[%d] = %g after two backwards, want %g", i, bs.b0.Diff[i], v)
		}
	}
}

// At batch 1 (outer 1) Caffe's sgemv writes a learned scale's gradient straight
// into it, overwriting what was there, while the bias's still accumulates; both
// numerics do the same.
func TestScaleGradientBatchOne(t *testing.T) { inBothNumerics(t, testScaleGradientBatchOne) }

func testScaleGradientBatchOne(t *testing.T) {
	x := gaussian(rng.New(3), 0, 1, 1, 3, 4, 5)
	dy := gaussian(rng.New(4), 0, 1, 1, 3, 4, 5)
	l := setUp(t, `type: "Scale" scale_param { bias_term: true }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	forward(t, l)
	backwardWith(l, dy.Data)
	ds := append([]float32(nil), l.Params()[0].Diff...)
	db := append([]float32(nil), l.Params()[1].Diff...)
	backwardWith(l, dy.Data)
	for i := range ds {
		if got := l.Params()[0].Diff[i]; got != ds[i] {
			t.Fatalf("scale diff[%d] = %g after two backwards, want %g (overwritten)", i, got, ds[i])
		}
		if got := l.Params()[1].Diff[i]; got != 2*db[i] {
			t.Fatalf("bias diff[%d] = %g after two backwards, want %g (accumulated)", i, got, 2*db[i])
		}
	}
}

func TestScaleErrors(t *testing.T) {
	bs := newBroadcastBlobs()
	for _, tc := range []struct {
		name, param string
		second      *blob.Blob
		want        []string
	}{
		{"mismatch", `axis: 0`, bs.b1, []string{"dimension mismatch", "3 4 (12)"}},
		{"past_end", `axis: 3`, bs.b2, []string{"extends past", "4 5 (20)"}},
		{"axis", `axis: 4`, bs.b1, []string{"scale_param.axis"}},
		{"learned_past_end", `axis: 2 num_axes: 3`, nil, []string{"scale_param", "extends past"}},
		{"learned_num_axes", `num_axes: -2`, nil, []string{"scale_param.num_axes"}},
		{"filler", `filler { type: "nope" }`, nil, []string{"scale_param.filler", "nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bottoms := []*blob.Blob{bs.bottom}
			if tc.second != nil {
				bottoms = append(bottoms, tc.second)
			}
			wantError(t, setUpError(`type: "Scale" scale_param { `+tc.param+` }`, caffepb.Phase_TRAIN, bottoms, 1), tc.want...)
		})
	}
}

// BenchmarkScale: ResNet-50's Scale layers at batch 1 (in place, with a bias, as
// ResNet runs them), without a bias, and with the scale as a second bottom. The
// learned scale is −1 (Caffe's scale by 1 is a copy), the bias U(0.5, 1.5): passes
// in place then neither grow nor shrink the values.
func BenchmarkScale(b *testing.B) {
	params := func(r *rng.Source, p []*blob.Blob) {
		uniformParams(r, p)
		for i := range p[0].Data {
			p[0].Data[i] = -1
		}
	}
	var cases []layerBench
	for _, s := range []struct {
		name  string
		shape []int
	}{{"res2_1x256x56x56", []int{1, 256, 56, 56}}, {"res5_1x2048x7x7", []int{1, 2048, 7, 7}}} {
		cases = append(cases,
			layerBench{name: s.name + "/bias", text: `type: "Scale" scale_param { bias_term: true }`, phase: caffepb.Phase_TRAIN,
				bottoms: [][]int{s.shape}, tops: 1, inPlace: true, params: params},
			layerBench{name: s.name + "/nobias", text: `type: "Scale"`, phase: caffepb.Phase_TRAIN,
				bottoms: [][]int{s.shape}, tops: 1, inPlace: true, params: params},
			layerBench{name: s.name + "/bottom1", text: `type: "Scale"`, phase: caffepb.Phase_TRAIN,
				bottoms: [][]int{s.shape, s.shape[1:2]}, tops: 1})
	}
	benchLayers(b, cases)
}

// BenchmarkBias: a learned bias on ResNet-50's res2 shape at batch 1, in place.
func BenchmarkBias(b *testing.B) {
	benchLayers(b, []layerBench{{name: "res2_1x256x56x56", text: `type: "Bias"`, phase: caffepb.Phase_TRAIN,
		bottoms: [][]int{{1, 256, 56, 56}}, tops: 1, inPlace: true, params: uniformParams}})
}

// In both numerics each scale element's gradient is one goroutine's: the same bits
// with any number of workers.
func TestScaleWorkers(t *testing.T) { inBothNumerics(t, testScaleWorkers) }

func testScaleWorkers(t *testing.T) {
	r := rng.New(10)
	x := gaussian(r, 0, 1, 2, 64, 31, 33)
	sameWithWorkers(t, `type: "Scale" scale_param { bias_term: true filler { type: "gaussian" } bias_filler { type: "gaussian" } }`,
		caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	sameWithWorkers(t, `type: "Scale"`, caffepb.Phase_TRAIN, []*blob.Blob{x, gaussian(r, 0, 1, 64)}, 1)
	sameWithWorkers(t, `type: "Bias" bias_param { filler { type: "gaussian" } }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
}

func TestScaleCaffeFixtures(t *testing.T) { caffeFixtures(t, "Scale") }
