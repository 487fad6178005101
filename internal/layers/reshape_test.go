package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Reshape (test_reshape_layer.cpp): the shapes of Caffe's cases, values
// passed through, the view's sharing, and bad parameters.

func TestReshapeShapes(t *testing.T) {
	for _, tc := range []struct {
		name, shape string // the reshape_param text
		bottom      []int
		want        []int
	}{
		{"flatten", `shape { dim: 0 dim: -1 dim: 1 dim: 1 }`, []int{2, 3, 6, 5}, []int{2, 90, 1, 1}},
		{"copy_dims", `shape { dim: 0 dim: 0 dim: 0 dim: 0 }`, []int{2, 3, 6, 5}, []int{2, 3, 6, 5}},
		{"copy_and_insert", `shape { dim: 0 dim: 0 dim: 1 dim: -1 }`, []int{2, 3, 6, 5}, []int{2, 3, 1, 30}},
		{"infer", `shape { dim: 0 dim: 3 dim: 10 dim: -1 }`, []int{2, 3, 6, 5}, []int{2, 3, 10, 3}},
		{"infer_start_axis", `axis: 1 shape { dim: 3 dim: 10 dim: -1 }`, []int{2, 3, 6, 5}, []int{2, 3, 10, 3}},
		{"singleton_start", `axis: 0 num_axes: 0 shape { dim: 1 dim: 1 dim: 1 }`, []int{2, 3, 6, 5}, []int{1, 1, 1, 2, 3, 6, 5}},
		{"singleton_middle", `axis: 2 num_axes: 0 shape { dim: 1 dim: 1 dim: 1 }`, []int{2, 3, 6, 5}, []int{2, 3, 1, 1, 1, 6, 5}},
		{"singleton_end", `axis: -1 num_axes: 0 shape { dim: 1 dim: 1 dim: 1 }`, []int{2, 3, 6, 5}, []int{2, 3, 6, 5, 1, 1, 1}},
		{"flatten_middle", `axis: 1 num_axes: 2 shape { dim: -1 }`, []int{2, 3, 6, 5}, []int{2, 18, 5}},
		// axis −1 is past the last axis, so −2 starts at the last one.
		{"axis_neg2", `axis: -2 num_axes: 1 shape { dim: 2 dim: 2 }`, []int{2, 3, 6, 4}, []int{2, 3, 6, 2, 2}},
		{"all", `shape { dim: 6 dim: 2 dim: 15 }`, []int{2, 3, 6, 5}, []int{6, 2, 15}},
		{"to_scalar_axes", `shape { dim: -1 }`, []int{2, 3}, []int{6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := gaussian(rng.New(1), 0, 1, tc.bottom...)
			l := setUp(t, `type: "Reshape" reshape_param { `+tc.shape+` }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
			if !equalShape(l.Top[0].Shape(), tc.want) {
				t.Fatalf("top shape %v, want %v", l.Top[0].Shape(), tc.want)
			}
			forward(t, l)
			// Caffe's TestForward: the values in row-major order are the bottom's.
			for i, v := range x.Data {
				if l.Top[0].Data[i] != v {
					t.Fatalf("top[%d] = %g, bottom %g", i, l.Top[0].Data[i], v)
				}
			}
			if !sameMemory(l.Top[0].Data, x.Data) || !sameMemory(l.Top[0].Diff, x.Diff) {
				t.Fatal("the top does not share the bottom's values and gradient")
			}
		})
	}
}

// Caffe's TestForwardAfterReshape: a new bottom shape (the inferred dimension
// follows) and new values.
func TestReshapeForwardAfterReshape(t *testing.T) {
	x := gaussian(rng.New(1), 0, 1, 2, 3, 6, 5)
	l := setUp(t, `type: "Reshape" reshape_param { shape { dim: 0 dim: -1 dim: 1 dim: 1 } }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	x.Reshape(4, 3, 6, 5)
	r := rng.New(2)
	for i := range x.Data {
		x.Data[i] = r.Gaussian(0, 1)
	}
	if err := l.Reshape(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	forward(t, l)
	if !equalShape(l.Top[0].Shape(), []int{4, 90, 1, 1}) {
		t.Fatalf("top shape %v, want [4 90 1 1]", l.Top[0].Shape())
	}
	for i, v := range x.Data {
		if l.Top[0].Data[i] != v {
			t.Fatalf("top[%d] = %g, bottom %g", i, l.Top[0].Data[i], v)
		}
	}
}

func TestReshapeReshare(t *testing.T) {
	viewReshare(t, `type: "Reshape" reshape_param { shape { dim: 0 dim: -1 } }`, []int{2, 3, 4})
}

// Caffe's TestGradient: step 1e-2, threshold 1e-2, element-wise.
func TestReshapeGradient(t *testing.T) {
	for _, shape := range []string{
		`shape { dim: 0 dim: -1 dim: 1 dim: 1 }`,
		`axis: 1 num_axes: 2 shape { dim: -1 }`,
		`axis: 0 num_axes: 0 shape { dim: 1 }`,
	} {
		t.Run(shape, func(t *testing.T) {
			l := setUp(t, `type: "Reshape" reshape_param { `+shape+` }`, caffepb.Phase_TRAIN,
				[]*blob.Blob{gaussian(rng.New(1701), 0, 1, 2, 3, 6, 5)}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkEltwise, gradcheck.AllBottoms)
		})
	}
}

func TestReshapeErrors(t *testing.T) {
	x := func() []*blob.Blob { return []*blob.Blob{blob.New(2, 3, 6, 5)} }
	for _, tc := range []struct {
		name, param string
		want        []string
	}{
		{"two_inferred", `shape { dim: -1 dim: -1 }`, []string{"reshape_param.shape", "-1"}},
		{"negative", `shape { dim: -2 }`, []string{"reshape_param.shape", "-2"}},
		{"count", `shape { dim: 7 dim: -1 }`, []string{"reshape_param.shape", "180", "divisible"}},
		{"count_explicit", `shape { dim: 7 dim: 2 }`, []string{"reshape_param", "count"}},
		{"copy_past_end", `axis: 3 shape { dim: 0 dim: 0 }`, []string{"reshape_param.shape", "0"}},
		{"axis", `axis: 5 shape { dim: 1 }`, []string{"reshape_param.axis", "5"}},
		{"axis_negative", `axis: -6 shape { dim: 1 }`, []string{"reshape_param.axis", "-6"}},
		{"num_axes", `axis: 2 num_axes: 3 shape { dim: 1 }`, []string{"reshape_param", "num_axes"}},
		{"num_axes_negative", `num_axes: -2 shape { dim: 1 }`, []string{"reshape_param.num_axes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, setUpError(`type: "Reshape" reshape_param { `+tc.param+` }`, caffepb.Phase_TRAIN, x(), 1), tc.want...)
		})
	}
	t.Run("in_place", func(t *testing.T) {
		l, _ := newLayer(t, `type: "Reshape" reshape_param { shape { dim: -1 } }`, caffepb.Phase_TRAIN)
		b := blob.New(2, 3)
		wantError(t, layers.SetUp(l, []*blob.Blob{b}, []*blob.Blob{b}), "in-place")
	})
}

func TestReshapeCaffeFixtures(t *testing.T) { caffeFixtures(t, "Reshape") }
