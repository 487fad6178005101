package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Parameter. It has no bottom: its gradient is the top's, which
// TestParameter checks, and TestParameterInNet checks it in a net.

// A Parameter layer's top is its blob: values and gradient.
func TestParameter(t *testing.T) {
	l := setUp(t, `type: "Parameter" parameter_param { shape { dim: 2 dim: 3 } }`, caffepb.Phase_TRAIN, nil, 1)
	p := l.Params()
	if len(p) != 1 || !equalShape(p[0].Shape(), []int{2, 3}) || p[0].Data[4] != 0 {
		t.Fatalf("params %v, want one zero (2, 3) blob", p)
	}
	if !equalShape(l.Top[0].Shape(), []int{2, 3}) {
		t.Fatalf("top shape %v", l.Top[0].Shape())
	}
	// Weights loaded into new storage: Forward follows.
	p[0].Data = []float32{1, 2, 3, 4, 5, 6}
	forward(t, l)
	if l.Top[0].Data[4] != 5 || !sameMemory(l.Top[0].Data, p[0].Data) || !sameMemory(l.Top[0].Diff, p[0].Diff) {
		t.Fatalf("top %v does not share the blob", l.Top[0].Data)
	}
	l.Top[0].Diff[2] = 7
	l.Backward(l.Top, nil, nil)
	if p[0].Diff[2] != 7 {
		t.Fatalf("param gradient %v, want 7 at 2", p[0].Diff)
	}
	wantError(t, setUpError(`type: "Parameter" parameter_param { shape { dim: -2 } }`, caffepb.Phase_TRAIN, nil, 1), "parameter_param.shape")
}

// A Parameter blob learns through the layer that reads it: its gradient in a net is
// that layer's bottom gradient.
func TestParameterInNet(t *testing.T) {
	text := `name: "p" force_backward: true
layer { name: "x" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
layer { name: "w" type: "Parameter" top: "w" parameter_param { shape { dim: 2 dim: 3 } } }
layer { name: "prod" type: "Eltwise" bottom: "x" bottom: "w" top: "y" eltwise_param { operation: PROD } }
layer { name: "loss" type: "Reduction" bottom: "y" top: "loss" loss_weight: 1 }`
	n := buildNet(t, "p.prototxt", text)
	x := n.Blob("x")
	for i := range x.Data {
		x.Data[i] = float32(i + 1)
	}
	w := n.Learnable()[0]
	for i := range w.Data {
		w.Data[i] = 2
	}
	loss, err := n.ForwardBackward()
	if err != nil {
		t.Fatal(err)
	}
	if loss != 2*21 {
		t.Fatalf("loss %g, want 42", loss)
	}
	for i, g := range w.Diff {
		if g != float32(i+1) {
			t.Fatalf("parameter gradient %v, want x", w.Diff)
		}
	}
}
