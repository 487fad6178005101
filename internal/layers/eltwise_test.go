package layers_test

import (
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Eltwise (test_eltwise_layer.cpp).

// eltwiseBottoms are Caffe's: three (2, 3, 4, 5) blobs of uniform [0, 1] draws.
func eltwiseBottoms(n int) []*blob.Blob {
	r := rng.New(1701)
	bs := make([]*blob.Blob, n)
	for i := range bs {
		bs[i] = uniform(r, 0, 1, 2, 3, 4, 5)
	}
	return bs
}

// Caffe's TestProd, TestSum, TestSumCoeff and TestMax, with two bottoms as well.
func TestEltwiseForward(t *testing.T) { inBothNumerics(t, testEltwiseForward) }

func testEltwiseForward(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		n           int
		f           func(x []float64) float64
	}{
		{"prod", `operation: PROD`, 3, func(x []float64) float64 { return x[0] * x[1] * x[2] }},
		{"prod2", `operation: PROD`, 2, func(x []float64) float64 { return x[0] * x[1] }},
		{"sum", `operation: SUM`, 3, func(x []float64) float64 { return x[0] + x[1] + x[2] }},
		{"sum_coeff", `operation: SUM coeff: 1 coeff: -0.5 coeff: 2`, 3, func(x []float64) float64 { return x[0] - 0.5*x[1] + 2*x[2] }},
		{"max", `operation: MAX`, 3, func(x []float64) float64 { return math.Max(x[0], math.Max(x[1], x[2])) }},
		{"max4", `operation: MAX`, 4, func(x []float64) float64 { return math.Max(math.Max(x[0], x[3]), math.Max(x[1], x[2])) }},
		// Caffe accepts coefficients with MAX and ignores them.
		{"max_coeff", `operation: MAX coeff: 2 coeff: 3`, 2, func(x []float64) float64 { return math.Max(x[0], x[1]) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bs := eltwiseBottoms(tc.n)
			l := setUp(t, `type: "Eltwise" eltwise_param { `+tc.param+` }`, caffepb.Phase_TRAIN, bs, 1)
			if !equalShape(l.Top[0].Shape(), []int{2, 3, 4, 5}) {
				t.Fatalf("top shape %v", l.Top[0].Shape())
			}
			forward(t, l)
			want := make([]float64, l.Top[0].Count())
			x := make([]float64, tc.n)
			for i := range want {
				for j, b := range bs {
					x[j] = float64(b.Data[i])
				}
				want[i] = tc.f(x)
			}
			visionCompare(t, "top", l.Top[0].Data, want, 1e-6)
		})
	}
}

// MAX's winner: a tie between the first two goes to bottom 1; later bottoms must be
// strictly larger. The gradient goes to the winner only.
func TestEltwiseMaxTies(t *testing.T) { inBothNumerics(t, testEltwiseMaxTies) }

func testEltwiseMaxTies(t *testing.T) {
	a, b, c := blob.New(4), blob.New(4), blob.New(4)
	copy(a.Data, []float32{1, 2, 3, 3})
	copy(b.Data, []float32{1, 1, 4, 3})
	copy(c.Data, []float32{1, 2, 4, 5})
	l := setUp(t, `type: "Eltwise" eltwise_param { operation: MAX }`, caffepb.Phase_TRAIN, []*blob.Blob{a, b, c}, 1)
	forward(t, l)
	backwardWith(l, []float32{10, 20, 30, 40})
	want := [][]float32{{0, 20, 0, 0}, {10, 0, 30, 0}, {0, 0, 0, 40}}
	for i, bl := range []*blob.Blob{a, b, c} {
		for j, w := range want[i] {
			if bl.Diff[j] != w {
				t.Fatalf("bottom %d gradient %v, want %v", i, bl.Diff, want[i])
			}
		}
	}
}

// Caffe's TestStableProdGradient, TestUnstableProdGradient, TestSumGradient,
// TestSumCoeffGradient (step 1e-2, threshold 1e-3) and TestMaxGradient (step 1e-4,
// threshold 1e-3), all element-wise, with two and three bottoms.
func TestEltwiseGradient(t *testing.T) { inBothNumerics(t, testEltwiseGradient) }

func testEltwiseGradient(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		n           int
		step        float32
	}{
		{"prod_stable", `operation: PROD stable_prod_grad: true`, 3, 1e-2},
		{"prod_unstable", `operation: PROD stable_prod_grad: false`, 3, 1e-2},
		{"prod2_stable", `operation: PROD`, 2, 1e-2},
		{"sum", `operation: SUM`, 3, 1e-2},
		{"sum_coeff", `operation: SUM coeff: 1 coeff: -0.5 coeff: 2`, 3, 1e-2},
		{"sum2_coeff", `operation: SUM coeff: 0.25 coeff: -3`, 2, 1e-2},
		{"max", `operation: MAX`, 3, 1e-4},
		{"max2", `operation: MAX`, 2, 1e-4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := setUp(t, `type: "Eltwise" eltwise_param { `+tc.param+` }`, caffepb.Phase_TRAIN, eltwiseBottoms(tc.n), 1)
			checkGradient(t, l, gradcheck.New(tc.step, 1e-3), checkEltwise, gradcheck.AllBottoms)
		})
	}
}

// Backward writes only the bottoms asked for.
func TestEltwisePropagateDown(t *testing.T) { inBothNumerics(t, testEltwisePropagateDown) }

func testEltwisePropagateDown(t *testing.T) {
	bs := eltwiseBottoms(3)
	l := setUp(t, `type: "Eltwise" eltwise_param { operation: SUM coeff: 1 coeff: 2 coeff: 3 }`, caffepb.Phase_TRAIN, bs, 1)
	forward(t, l)
	for i := range bs[1].Diff {
		bs[1].Diff[i] = 9
	}
	for i := range l.Top[0].Diff {
		l.Top[0].Diff[i] = 1
	}
	l.Backward(l.Top, []bool{true, false, true}, bs)
	if bs[0].Diff[0] != 1 || bs[1].Diff[0] != 9 || bs[2].Diff[0] != 3 {
		t.Fatalf("gradients %g %g %g, want 1, 9 (untouched), 3", bs[0].Diff[0], bs[1].Diff[0], bs[2].Diff[0])
	}
}

func TestEltwiseErrors(t *testing.T) {
	two := func() []*blob.Blob { return []*blob.Blob{blob.New(2, 3), blob.New(2, 3)} }
	wantError(t, setUpError(`type: "Eltwise" eltwise_param { operation: PROD coeff: 1 coeff: 2 }`, caffepb.Phase_TRAIN, two(), 1),
		"eltwise_param.coeff", "SUM")
	wantError(t, setUpError(`type: "Eltwise" eltwise_param { coeff: 1 coeff: 2 coeff: 3 }`, caffepb.Phase_TRAIN, two(), 1),
		"eltwise_param.coeff", "3 coefficients", "2 bottoms")
	wantError(t, setUpError(`type: "Eltwise"`, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(2, 3), blob.New(3, 2)}, 1),
		"same shape", "3 2 (6)")
	l, _ := newLayer(t, `type: "Eltwise"`, caffepb.Phase_TRAIN)
	bs := two()
	wantError(t, layers.SetUp(l, bs, bs[:1]), "in-place")
}

// BenchmarkEltwise: ResNet-50's shortcut sum at batch 1 (res2), with coefficients,
// and the product and maximum of the same blobs.
func BenchmarkEltwise(b *testing.B) {
	shape := []int{1, 256, 56, 56}
	var cases []layerBench
	for _, c := range []struct{ name, param string }{
		{"sum", ``}, {"sum_coeff", `coeff: 1 coeff: -0.5`}, {"prod", `operation: PROD`}, {"max", `operation: MAX`},
	} {
		cases = append(cases, layerBench{name: "res2_1x256x56x56/" + c.name, text: `type: "Eltwise" eltwise_param { ` + c.param + ` }`,
			phase: caffepb.Phase_TRAIN, bottoms: [][]int{shape, shape}, tops: 1})
	}
	benchLayers(b, cases)
}

// The elementwise layers' results do not depend on the number of workers.
func TestEltwiseWorkers(t *testing.T) { inBothNumerics(t, testEltwiseWorkers) }

func testEltwiseWorkers(t *testing.T) {
	r := rng.New(11)
	shape := []int{2, 37, 41, 43}
	bs := []*blob.Blob{gaussian(r, 0, 1, shape...), gaussian(r, 0, 1, shape...), gaussian(r, 0, 1, shape...)}
	for _, param := range []string{``, `coeff: 1 coeff: -0.5 coeff: 2`, `operation: PROD`, `operation: MAX`} {
		sameWithWorkers(t, `type: "Eltwise" eltwise_param { `+param+` }`, caffepb.Phase_TRAIN, bs, 1)
	}
	sameWithWorkers(t, `type: "Split"`, caffepb.Phase_TRAIN, bs[:1], 3)
	sameWithWorkers(t, `type: "Pooling" pooling_param { pool: AVE global_pooling: true }`, caffepb.Phase_TRAIN, bs[:1], 1)
}

func TestEltwiseCaffeFixtures(t *testing.T) { caffeFixtures(t, "Eltwise") }
