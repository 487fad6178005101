package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Input. A data layer has no bottom, so no gradient to check.

func TestInputShapes(t *testing.T) {
	l := setUp(t, `type: "Input" input_param { shape { dim: 64 dim: 1 dim: 28 dim: 28 } shape { dim: 64 } }`, caffepb.Phase_TEST, nil, 2)
	if l.Top[0].ShapeString() != "64 1 28 28 (50176)" || l.Top[1].ShapeString() != "64 (64)" {
		t.Fatalf("shapes %s, %s", l.Top[0].ShapeString(), l.Top[1].ShapeString())
	}
	bad, _ := newLayer(t, `type: "Input" input_param { shape { dim: 1 } shape { dim: 2 } }`, caffepb.Phase_TEST)
	if err := layers.SetUp(bad, nil, []*blob.Blob{blob.New(), blob.New(), blob.New()}); err == nil {
		t.Fatal("2 shapes for 3 tops accepted")
	}
}
