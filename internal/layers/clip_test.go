package layers_test

import (
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Clip (Caffe's test_clip_layer.cpp).

// clipBottom is the neuron tests' (2, 3, 4, 5) normal draws, moved off the kinks at
// −1 and 2 by more than the checker's step.
func clipBottom() *blob.Blob {
	b := gaussian(rng.New(1701), 0, 1, 2, 3, 4, 5)
	for i, v := range b.Data {
		for _, k := range []float32{-1, 2} {
			if math.Abs(float64(v-k)) < 0.02 {
				b.Data[i] = k + 0.05
			}
		}
	}
	return b
}

// Caffe's TestClip and TestClipGradient (clip_param { min: -1 max: 2 }; step 1e-2,
// threshold 1e-3, element-wise), and in place.
func TestClip(t *testing.T) {
	for _, tc := range []struct {
		param  string
		lo, hi float32
	}{{`min: -1 max: 2`, -1, 2}, {`min: 0 max: 0.5`, 0, 0.5}} {
		x := clipBottom()
		l := setUp(t, `type: "Clip" clip_param { `+tc.param+` }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
		forward(t, l)
		dy := gaussian(rng.New(2), 0, 1, 2, 3, 4, 5)
		backwardWith(l, dy.Data)
		for i, v := range x.Data {
			want, wantDx := v, dy.Data[i]
			if v < tc.lo {
				want, wantDx = tc.lo, 0
			} else if v > tc.hi {
				want, wantDx = tc.hi, 0
			}
			if l.Top[0].Data[i] != want || x.Diff[i] != wantDx {
				t.Fatalf("%s: x = %g: y %g dx %g, want %g %g", tc.param, v, l.Top[0].Data[i], x.Diff[i], want, wantDx)
			}
		}
		if tc.lo == -1 {
			g := setUp(t, `type: "Clip" clip_param { `+tc.param+` }`, caffepb.Phase_TRAIN, []*blob.Blob{clipBottom()}, 1)
			checkGradient(t, g, gradcheck.New(1e-2, 1e-3), checkEltwise, gradcheck.AllBottoms)
		}
		checkInPlace(t, `type: "Clip" clip_param { `+tc.param+` }`, caffepb.Phase_TRAIN, []*blob.Blob{clipBottom()}, dy)
	}
	// The bounds themselves pass the gradient, as in Caffe.
	x := blob.New(2)
	copy(x.Data, []float32{-1, 2})
	l := setUp(t, `type: "Clip" clip_param { min: -1 max: 2 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	forward(t, l)
	backwardWith(l, []float32{3, 4})
	if x.Diff[0] != 3 || x.Diff[1] != 4 {
		t.Fatalf("gradient at the bounds %v, want [3 4]", x.Diff)
	}
	wantError(t, setUpError(`type: "Clip" clip_param { min: 1 max: 0 }`, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(2)}, 1), "clip_param", "min")
}
