package layers_test

import (
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Softmax (Caffe's test_softmax_layer.cpp).

func TestSoftmaxGradient(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		shape      []int
	}{
		{"axis1", `type: "Softmax"`, []int{2, 10, 2, 3}},
		{"axis-1", `type: "Softmax" softmax_param { axis: -1 }`, []int{3, 2, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, tc.shape...)}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, gradcheck.AllBottoms)
			// Every softmax sums to 1 along its axis.
			y := l.Top[0].Data
			c := tc.shape[len(tc.shape)-1]
			if tc.name == "axis1" {
				c = tc.shape[1]
				inner := tc.shape[2] * tc.shape[3]
				for n := 0; n < tc.shape[0]; n++ {
					for i := 0; i < inner; i++ {
						var s float64
						for k := 0; k < c; k++ {
							s += float64(y[(n*c+k)*inner+i])
						}
						if math.Abs(s-1) > 1e-5 {
							t.Fatalf("softmax sums to %g", s)
						}
					}
				}
			}
		})
	}
}

func TestSoftmaxCaffeFixtures(t *testing.T) { caffeFixtures(t, "Softmax") }
