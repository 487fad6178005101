package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Slice (test_slice_layer.cpp).

func TestSliceForward(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		bottom      []int
		nTop        int
		axis        int
		sizes       []int // of the tops along axis
	}{
		{"num", `slice_param { axis: 0 }`, []int{6, 12, 2, 3}, 2, 0, []int{3, 3}},
		{"num_three", `slice_param { axis: 0 }`, []int{6, 12, 2, 3}, 3, 0, []int{2, 2, 2}},
		{"channels_point", `slice_param { slice_point: 3 }`, []int{6, 12, 2, 3}, 2, 1, []int{3, 9}},
		{"channels_points", `slice_param { slice_point: 2 slice_point: 8 }`, []int{6, 12, 2, 3}, 3, 1, []int{2, 6, 4}},
		{"slice_dim", `slice_param { slice_dim: 1 slice_point: 2 slice_point: 8 }`, []int{6, 12, 2, 3}, 3, 1, []int{2, 6, 4}},
		{"last_axis", `slice_param { axis: -1 slice_point: 1 }`, []int{2, 3, 4}, 2, 2, []int{1, 3}},
		// Blocks of several pieces each (axisParts), split over the workers.
		{"large", `slice_param { slice_point: 5 slice_point: 6 }`, []int{3, 15, 61, 67}, 3, 1, []int{5, 1, 9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := gaussian(rng.New(1701), 0, 1, tc.bottom...)
			l := setUp(t, `type: "Slice" `+tc.param, caffepb.Phase_TRAIN, []*blob.Blob{x}, tc.nTop)
			for i, top := range l.Top {
				want := append([]int(nil), tc.bottom...)
				want[tc.axis] = tc.sizes[i]
				if !equalShape(top.Shape(), want) {
					t.Fatalf("top %d shape %v, want %v", i, top.Shape(), want)
				}
			}
			forward(t, l)
			// The tops joined back along the axis are the bottom (see concatReference).
			for i, v := range concatReference(l.Top, tc.axis) {
				if v != x.Data[i] {
					t.Fatalf("joined tops [%d] = %g, bottom %g", i, v, x.Data[i])
				}
			}
			// Backward joins the tops' gradients.
			r := rng.New(2)
			var dys [][]float32
			for _, top := range l.Top {
				for i := range top.Diff {
					top.Diff[i] = r.Gaussian(0, 1)
				}
				dys = append(dys, append([]float32(nil), top.Diff...))
			}
			backwardWith(l, dys...)
			grads := make([]*blob.Blob, len(l.Top))
			for i, top := range l.Top {
				grads[i] = blob.New(top.Shape()...)
				copy(grads[i].Data, dys[i])
			}
			for i, v := range concatReference(grads, tc.axis) {
				if v != x.Diff[i] {
					t.Fatalf("bottom gradient [%d] = %g, want %g", i, x.Diff[i], v)
				}
			}
		})
	}
}

// Caffe's TestTrivialSlice and TestGradientTrivial: one top, a view of the bottom.
func TestSliceTrivial(t *testing.T) {
	x := gaussian(rng.New(1701), 0, 1, 6, 12, 2, 3)
	l := setUp(t, `type: "Slice"`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	forward(t, l)
	if !equalShape(l.Top[0].Shape(), x.Shape()) || !sameMemory(l.Top[0].Data, x.Data) || !sameMemory(l.Top[0].Diff, x.Diff) {
		t.Fatal("with one top the top is not a view of the bottom")
	}
	checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkEltwise, gradcheck.AllBottoms)
}

// Caffe's TestGradientAcrossNum and TestGradientAcrossChannels on its reduced
// (4, 5, 2, 2) bottom: step 1e-2, threshold 1e-3, exhaustive.
func TestSliceGradient(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		nTop        int
	}{
		{"num", `slice_param { axis: 0 }`, 2},
		{"channels", `slice_param { slice_point: 4 }`, 2},
		{"channels_three", `slice_param { slice_point: 1 slice_point: 3 }`, 3},
		{"width", `slice_param { axis: 3 }`, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := setUp(t, `type: "Slice" `+tc.param, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(rng.New(1701), 0, 1, 4, 5, 2, 2)}, tc.nTop)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

func TestSliceErrors(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		nTop        int
		want        []string
	}{
		{"axis_and_dim", `slice_param { axis: 1 slice_dim: 1 }`, 2, []string{"slice_param", "axis", "slice_dim"}},
		{"uneven", `slice_param { axis: 1 }`, 2, []string{"slice_param", "evenly divide", "5"}},
		{"points_count", `slice_param { slice_point: 2 }`, 3, []string{"slice_param.slice_point", "3 tops"}},
		{"points_order", `slice_param { slice_point: 3 slice_point: 2 }`, 3, []string{"slice_param.slice_point", "increasing"}},
		{"point_zero", `slice_param { slice_point: 0 }`, 2, []string{"slice_param.slice_point", "positive"}},
		{"point_past", `slice_param { slice_point: 6 }`, 2, []string{"slice_param.slice_point", "6"}},
		{"too_many_tops", `slice_param { slice_point: 1 slice_point: 2 slice_point: 3 slice_point: 4 slice_point: 5 }`, 6, []string{"6 tops"}},
		{"axis", `slice_param { axis: 4 }`, 2, []string{"slice_param.axis"}},
		{"slice_dim", `slice_param { slice_dim: 4 }`, 2, []string{"slice_param.slice_dim"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, setUpError(`type: "Slice" `+tc.param, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(4, 5, 2, 2)}, tc.nTop), tc.want...)
		})
	}
}

// BenchmarkSlice: SqueezeNet 1.1's fire2 output (batch 8) cut back in two along the
// channels.
func BenchmarkSlice(b *testing.B) {
	benchLayers(b, []layerBench{{name: "fire2_8x128x55x55", text: `type: "Slice"`, phase: caffepb.Phase_TRAIN,
		bottoms: [][]int{{8, 128, 55, 55}}, tops: 2}})
}

func TestSliceCaffeFixtures(t *testing.T) { caffeFixtures(t, "Slice") }
