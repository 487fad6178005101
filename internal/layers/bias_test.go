package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Bias (test_bias_layer.cpp), on the broadcast cases of Scale's tests.

// Caffe's TestForwardEltwise, TestForwardBroadcastBegin/Middle/End, TestForwardBias,
// TestForwardBiasAxis2, TestForwardEltwiseWithParam, TestForwardBroadcastMiddleWithParam:
// top = bottom + bias.
func TestBiasForward(t *testing.T) { inBothNumerics(t, testBiasForward) }

func testBiasForward(t *testing.T) {
	for _, c := range broadcastCases {
		t.Run(c.name, func(t *testing.T) {
			bs := c.bottoms()
			l := setUp(t, `type: "Bias" bias_param { `+c.param+` }`, caffepb.Phase_TRAIN, bs, 1)
			if !equalShape(l.Top[0].Shape(), bs[0].Shape()) {
				t.Fatalf("top shape %v", l.Top[0].Shape())
			}
			b := l.Params()
			var bias *blob.Blob
			if len(bs) > 1 {
				bias = bs[1]
			} else {
				bias = b[0]
			}
			forward(t, l)
			want := make([]float64, bs[0].Count())
			for i, v := range bs[0].Data {
				want[i] = float64(v) + float64(bias.Data[broadcastIndex(bs[0], bias, c.axis, i)])
			}
			visionCompare(t, "top", l.Top[0].Data, want, 1e-6)
		})
	}
}

// The learned bias is 0 unless a filler is given.
func TestBiasDefaultFiller(t *testing.T) {
	l := setUp(t, `type: "Bias"`, caffepb.Phase_TRAIN, []*blob.Blob{newBroadcastBlobs().bottom}, 1)
	if p := l.Params(); len(p) != 1 || !equalShape(p[0].Shape(), []int{3}) || p[0].Data[0] != 0 {
		t.Fatalf("params %v, want one (3) blob of zeros", p)
	}
}

// Caffe's gradient tests (step 1e-2, threshold 1e-3; element-wise for the
// element-wise second bottom, exhaustive otherwise).
func TestBiasGradient(t *testing.T) { inBothNumerics(t, testBiasGradient) }

func testBiasGradient(t *testing.T) {
	for i, c := range broadcastCases {
		t.Run(c.name, func(t *testing.T) {
			shortSweep(t, i, 3)
			l := setUp(t, `type: "Bias" bias_param { `+c.param+` }`, caffepb.Phase_TRAIN, c.bottoms(), 1)
			mode := checkExhaustive
			if c.name == "eltwise" {
				mode = checkEltwise
			}
			checkGradient(t, l, gradcheck.New(1e-2, 1e-3), mode, gradcheck.AllBottoms)
		})
	}
}

// Caffe's TestForwardEltwiseInPlace, TestBackwardEltwiseInPlace,
// TestForwardBroadcastMiddleInPlace, TestBackwardBroadcastMiddleInPlace and the
// other cases in place.
func TestBiasInPlace(t *testing.T) { inBothNumerics(t, testBiasInPlace) }

func testBiasInPlace(t *testing.T) {
	for _, c := range broadcastCases {
		t.Run(c.name, func(t *testing.T) {
			checkInPlace(t, `type: "Bias" bias_param { `+c.param+` }`, caffepb.Phase_TRAIN, c.bottoms(), gaussian(rng.New(7), 0, 1, 2, 3, 4, 5))
		})
	}
}

func TestBiasErrors(t *testing.T) {
	bs := newBroadcastBlobs()
	for _, tc := range []struct {
		name, param string
		second      *blob.Blob
		want        []string
	}{
		{"mismatch", `axis: 0`, bs.b1, []string{"dimension mismatch", "3 4 (12)"}},
		{"past_end", `axis: 3`, bs.b2, []string{"extends past"}},
		{"axis", `axis: -5`, bs.b1, []string{"bias_param.axis"}},
		{"learned_past_end", `axis: 1 num_axes: 4`, nil, []string{"bias_param", "extends past"}},
		{"learned_num_axes", `num_axes: -3`, nil, []string{"bias_param.num_axes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bottoms := []*blob.Blob{bs.bottom}
			if tc.second != nil {
				bottoms = append(bottoms, tc.second)
			}
			wantError(t, setUpError(`type: "Bias" bias_param { `+tc.param+` }`, caffepb.Phase_TRAIN, bottoms, 1), tc.want...)
		})
	}
}

func TestBiasCaffeFixtures(t *testing.T) { caffeFixtures(t, "Bias") }
