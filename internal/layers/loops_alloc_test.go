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
	}{
		{`type: "PReLU"`, false},
		{`type: "PReLU"`, true},
		{`type: "PReLU" prelu_param { channel_shared: true }`, false},
		{`type: "LRN" lrn_param { local_size: 5 }`, false},
		{`type: "LRN" lrn_param { local_size: 3 norm_region: WITHIN_CHANNEL }`, false},
		{`type: "Softplus"`, false},
		{`type: "Softplus"`, true},
		{`type: "AbsVal"`, false},
		{`type: "Sigmoid"`, true},
	} {
		x := gaussian(r, 0, 1, 4, 8, 32, 32)
		var l *testLayer
		if tc.inPlace {
			l = setUpInPlace(t, tc.text, x)
		} else {
			l = setUp(t, tc.text, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
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
			t.Errorf("%s (in place %v): %v allocations per forward and backward pass", tc.text, tc.inPlace, allocs)
		}
	}
}

// setUpInPlace sets a layer up with one blob as its bottom and top.
func setUpInPlace(t *testing.T, text string, x *blob.Blob) *testLayer {
	t.Helper()
	l, _ := newLayer(t, text, caffepb.Phase_TRAIN)
	both := []*blob.Blob{x}
	if err := l.Setup(both, both); err != nil {
		t.Fatal(err)
	}
	return &testLayer{Layer: l, Bottom: both, Top: both}
}
