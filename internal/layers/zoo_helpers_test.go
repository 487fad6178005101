package layers_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Helpers shared by the tests of the model-zoo layers (ArgMax, BatchNorm, Bias,
// Concat, Crop, Eltwise, Embed, Flatten, MVN, Reduction, Reshape, Scale, Slice, SPP,
// Tile).

// forward runs the layer's Forward on the blobs it was set up with.
func forward(t testing.TB, l *testLayer) {
	t.Helper()
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatalf("Forward: %v", err)
	}
}

// backwardWith sets the tops' gradients to dy (one slice per top), runs Backward
// with propagate_down true for every bottom, and returns nothing: the gradients are
// in the bottoms and the parameters.
func backwardWith(l *testLayer, dy ...[]float32) {
	for i, d := range dy {
		copy(l.Top[i].Diff, d)
	}
	down := make([]bool, len(l.Bottom))
	for i := range down {
		down[i] = true
	}
	l.Backward(l.Top, down, l.Bottom)
}

// setUpError builds the layer the text describes and sets it up on the given bottoms
// and nTop fresh tops; it returns the first error, of the constructor or of Setup.
func setUpError(text string, phase caffepb.Phase, bottom []*blob.Blob, nTop int) error {
	p := &caffepb.LayerParameter{}
	if err := prototext.Unmarshal([]byte(text), p); err != nil {
		return err
	}
	p.Phase = phase.Enum()
	if p.Name == nil {
		p.Name = p.Type
	}
	l, err := layers.New(p, &layers.Context{RNG: rng.New(1701)})
	if err != nil {
		return err
	}
	top := make([]*blob.Blob, nTop)
	for i := range top {
		top[i] = blob.New()
	}
	return layers.SetUp(l, bottom, top)
}

// wantError fails unless err is an error whose text contains every one of words.
func wantError(t testing.TB, err error, words ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one mentioning %q", words)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Fatalf("error %q does not mention %q", err, w)
		}
	}
}

// copyBlob returns a blob of b's shape holding a copy of its values.
func copyBlob(b *blob.Blob) *blob.Blob {
	c := blob.New(b.Shape()...)
	copy(c.Data, b.Data)
	return c
}

// checkInPlace runs a one-top layer out of place and then in place (its top the
// bottom[0] blob itself) on copies of the same bottoms and top gradient, and fails
// unless the outputs, bottom gradients and parameter gradients agree exactly.
func checkInPlace(t *testing.T, text string, phase caffepb.Phase, bottom []*blob.Blob, dy *blob.Blob) {
	t.Helper()
	run := func(inPlace bool) (y []float32, dbottoms, dparams [][]float32) {
		bs := make([]*blob.Blob, len(bottom))
		for i, b := range bottom {
			bs[i] = copyBlob(b)
		}
		l, _ := newLayer(t, text, phase)
		top := []*blob.Blob{blob.New()}
		if inPlace {
			top[0] = bs[0]
		}
		if err := layers.SetUp(l, bs, top); err != nil {
			t.Fatalf("Setup (in place %v): %v", inPlace, err)
		}
		if err := l.Forward(bs, top); err != nil {
			t.Fatalf("Forward (in place %v): %v", inPlace, err)
		}
		y = append([]float32(nil), top[0].Data...)
		copy(top[0].Diff, dy.Data)
		for _, p := range l.Params() {
			clear(p.Diff)
		}
		down := make([]bool, len(bs))
		for i := range down {
			down[i] = true
		}
		l.Backward(top, down, bs)
		for _, b := range bs {
			dbottoms = append(dbottoms, append([]float32(nil), b.Diff...))
		}
		for _, p := range l.Params() {
			dparams = append(dparams, append([]float32(nil), p.Diff...))
		}
		return y, dbottoms, dparams
	}
	y0, db0, dp0 := run(false)
	y1, db1, dp1 := run(true)
	if err := testutil.CompareSlices(y1, y0, 0, 0); err != nil {
		t.Fatalf("in place top differs from out of place: %v", err)
	}
	for i := range db0 {
		if err := testutil.CompareSlices(db1[i], db0[i], 0, 0); err != nil {
			t.Fatalf("in place bottom %d gradient differs from out of place: %v", i, err)
		}
	}
	for i := range dp0 {
		if err := testutil.CompareSlices(dp1[i], dp0[i], 0, 0); err != nil {
			t.Fatalf("in place param %d gradient differs from out of place: %v", i, err)
		}
	}
}

// noParams hides a layer's parameters from the gradient checker, for layers whose
// blobs are statistics rather than weights (BatchNorm with global statistics uses
// them, but, as in Caffe, gives them no gradient).
type noParams struct{ layers.Layer }

func (noParams) Params() []*blob.Blob { return nil }
