package layers_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Swish (Caffe's test_neuron_layer.cpp).

// Caffe's TestSwish, TestSwishWithBeta, TestSwishAsLinear (beta 0: y = x/2) and
// TestSwishGradient(WithBeta) (step 1e-2, threshold 1e-3, element-wise), and in place.
func TestSwish(t *testing.T) {
	for _, beta := range []float64{1, 1.5, 0, -0.7} {
		text := `type: "Swish" swish_param { beta: ` + strconv.FormatFloat(beta, 'g', -1, 64) + ` }`
		x := gaussian(rng.New(1701), 0, 1, 2, 3, 4, 5)
		l := setUp(t, text, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
		forward(t, l)
		dy := gaussian(rng.New(2), 0, 1, 2, 3, 4, 5)
		backwardWith(l, dy.Data)
		want, wantDx := make([]float64, x.Count()), make([]float64, x.Count())
		for i, v := range x.Data {
			xv := float64(v)
			s := 1 / (1 + math.Exp(-beta*xv))
			want[i] = xv * s
			wantDx[i] = float64(dy.Data[i]) * (s + beta*xv*s*(1-s))
		}
		visionCompare(t, "swish", l.Top[0].Data, want, 1e-6)
		visionCompare(t, "swish gradient", x.Diff, wantDx, 1e-5)
		g := setUp(t, text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(rng.New(1701), 0, 1, 2, 3, 4, 5)}, 1)
		checkGradient(t, g, gradcheck.New(1e-2, 1e-3), checkEltwise, gradcheck.AllBottoms)
		checkInPlace(t, text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(rng.New(1701), 0, 1, 2, 3, 4, 5)}, dy)
	}
}
