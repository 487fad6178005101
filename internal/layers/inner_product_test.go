package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of InnerProduct (Caffe's test_inner_product_layer.cpp).

func TestInnerProductGradient(t *testing.T) {
	cases := []struct {
		name, text string
		shape      []int
	}{
		{"default", `type: "InnerProduct" inner_product_param { num_output: 10 weight_filler { type: "gaussian" } bias_filler { type: "gaussian" } }`, []int{2, 3, 4, 5}},
		{"transpose", `type: "InnerProduct" inner_product_param { num_output: 10 transpose: true weight_filler { type: "gaussian" } bias_filler { type: "gaussian" } }`, []int{2, 3, 4, 5}},
		{"axis2_nobias", `type: "InnerProduct" inner_product_param { num_output: 3 axis: 2 bias_term: false weight_filler { type: "gaussian" } }`, []int{2, 3, 4, 2}},
		{"axis-1", `type: "InnerProduct" inner_product_param { num_output: 4 axis: -1 weight_filler { type: "uniform" } bias_filler { type: "uniform" } }`, []int{3, 2, 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, tc.shape...)}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

func TestInnerProductShapes(t *testing.T) {
	r := rng.New(1)
	l := setUp(t, `type: "InnerProduct" inner_product_param { num_output: 10 axis: 2 }`, caffepb.Phase_TRAIN,
		[]*blob.Blob{gaussian(r, 0, 1, 2, 3, 4, 5)}, 1)
	if got := l.Top[0].ShapeString(); got != "2 3 10 (60)" {
		t.Fatalf("top shape %s", got)
	}
	if got := l.Params()[0].ShapeString(); got != "10 20 (200)" {
		t.Fatalf("weight shape %s", got)
	}
	// A bottom whose size from axis changes no longer fits the weights.
	l.Bottom[0].Reshape(2, 3, 4, 6)
	if err := l.Reshape(l.Bottom, l.Top); err == nil {
		t.Fatal("Reshape accepted a bottom that does not fit the weights")
	}
}

func TestInnerProductCaffeFixtures(t *testing.T) { caffeFixtures(t, "InnerProduct") }
