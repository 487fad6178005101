package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// TestLoopPassesNoAlloc: the parallel loops of the layers the net allocation test
// does not build run their passes without allocating, in place and out of place.
// Each pass hands parallel.Run a pointer to a loop the layer holds; a loop built
// afresh and stored in an interface would escape and allocate on every pass.
// The bottom is large enough to split over several workers.
func TestLoopPassesNoAlloc(t *testing.T) {
	r := rng.New(1701)
	for _, tc := range []struct {
		text    string
		inPlace bool
		phase   caffepb.Phase
	}{
		{text: `type: "PReLU"`},
		{text: `type: "PReLU"`, inPlace: true},
		{text: `type: "PReLU" prelu_param { channel_shared: true }`},
		{text: `type: "LRN" lrn_param { local_size: 5 }`},
		{text: `type: "LRN" lrn_param { local_size: 3 norm_region: WITHIN_CHANNEL }`},
		{text: `type: "Softplus"`},
		{text: `type: "Softplus"`, inPlace: true},
		{text: `type: "AbsVal"`},
		{text: `type: "Sigmoid"`, inPlace: true},
		{text: `type: "Pooling" pooling_param { pool: AVE global_pooling: true }`},
		{text: `type: "Pooling" pooling_param { pool: STOCHASTIC kernel_size: 3 stride: 2 }`},
		{text: `type: "Pooling" pooling_param { pool: STOCHASTIC kernel_size: 3 stride: 2 }`, phase: caffepb.Phase_TEST},
	} {
		x := gaussian(r, 0, 1, 4, 8, 32, 32)
		var l *testLayer
		if tc.inPlace {
			l = setUpInPlace(t, tc.text, x)
		} else {
			l = setUp(t, tc.text, tc.phase, []*blob.Blob{x}, 1)
		}
		copy(l.Top[0].Diff, x.Data)
		down := []bool{true}
		pass := func() {
			if err := l.Forward(l.Bottom, l.Top); err != nil {
				t.Fatal(err)
			}
			l.Backward(l.Top, down, l.Bottom)
		}
		if allocs := testing.AllocsPerRun(5, pass); allocs != 0 {
			t.Errorf("%s (in place %v, %v): %v allocations per forward and backward pass", tc.text, tc.inPlace, tc.phase, allocs)
		}
	}
}

// setUpInPlace sets a layer up with one blob as its bottom and top: its Setup, if it
// has one, then Reshape, as the net does.
func setUpInPlace(t *testing.T, text string, x *blob.Blob) *testLayer {
	t.Helper()
	l, _ := newLayer(t, text, caffepb.Phase_TRAIN)
	both := []*blob.Blob{x}
	if s, ok := l.(interface {
		Setup(bottom, top []*blob.Blob) error
	}); ok {
		if err := s.Setup(both, both); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Reshape(both, both); err != nil {
		t.Fatal(err)
	}
	return &testLayer{Layer: l, Bottom: both, Top: both}
}
