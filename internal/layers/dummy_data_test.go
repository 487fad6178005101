package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of DummyData (Caffe's test_dummy_data_layer.cpp). A data layer has no
// bottom, so no gradient to check.

func TestDummyData(t *testing.T) {
	l := setUp(t, `type: "DummyData" dummy_data_param {
		shape { dim: 5 dim: 3 } shape { dim: 4 }
		data_filler { type: "constant" value: 7 } data_filler { type: "uniform" min: 1 max: 2 } }`,
		caffepb.Phase_TRAIN, nil, 2)
	if l.Top[0].ShapeString() != "5 3 (15)" || l.Top[1].ShapeString() != "4 (4)" {
		t.Fatalf("shapes %s, %s", l.Top[0].ShapeString(), l.Top[1].ShapeString())
	}
	first := append([]float32(nil), l.Top[1].Data...)
	l.Forward(nil, l.Top)
	same := true
	for i, v := range l.Top[1].Data {
		if v < 1 || v > 2 {
			t.Fatalf("uniform value %g", v)
		}
		same = same && v == first[i]
	}
	if same {
		t.Fatal("the uniform top was not drawn again")
	}
	for _, v := range l.Top[0].Data {
		if v != 7 {
			t.Fatalf("constant top holds %g", v)
		}
	}
	legacy := setUp(t, `type: "DummyData" dummy_data_param { num: 2 channels: 3 height: 4 width: 5 }`, caffepb.Phase_TRAIN, nil, 1)
	if legacy.Top[0].ShapeString() != "2 3 4 5 (120)" {
		t.Fatalf("legacy shape %s", legacy.Top[0].ShapeString())
	}
}
