package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Silence. It has no top, so no gradient to check: its backward
// zeroes the bottoms' gradients, which TestSilence checks.

func TestSilence(t *testing.T) {
	r := rng.New(1)
	a, b := gaussian(r, 0, 1, 2, 3), gaussian(r, 0, 1, 4)
	for i := range a.Diff {
		a.Diff[i] = 5
	}
	for i := range b.Diff {
		b.Diff[i] = 5
	}
	l := setUp(t, `type: "Silence"`, caffepb.Phase_TRAIN, []*blob.Blob{a, b}, 0)
	if err := l.Forward(l.Bottom, nil); err != nil {
		t.Fatal(err)
	}
	l.Backward(nil, []bool{true, false}, l.Bottom)
	if a.Diff[0] != 0 || a.Diff[5] != 0 || b.Diff[0] != 5 {
		t.Fatalf("gradients %v %v: want the first zeroed, the second untouched", a.Diff, b.Diff)
	}
	c := l.Layer.(layers.Counter).BlobCounts()
	if c.Check(1, 0) != nil || c.Check(3, 0) != nil || c.Check(1, 1) == nil || c.Check(0, 0) == nil {
		t.Fatalf("blob counts %+v, want at least one bottom and no top", c)
	}
}

// In a net, a silenced blob is no output.
func TestSilenceInNet(t *testing.T) {
	text := `name: "s"
layer { name: "x" type: "Input" top: "x" top: "unused" input_param { shape { dim: 2 dim: 3 } shape { dim: 4 } } }
layer { name: "silence" type: "Silence" bottom: "unused" }
layer { name: "relu" type: "ReLU" bottom: "x" top: "y" }`
	n := buildNet(t, "s.prototxt", text)
	if out := n.Outputs(); len(out) != 1 || out[0] != "y" {
		t.Fatalf("outputs %v, want [y]", out)
	}
	if _, err := n.ForwardBackward(); err != nil {
		t.Fatal(err)
	}
}
