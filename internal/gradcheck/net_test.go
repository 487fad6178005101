package gradcheck_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// wrongScale is a test-only layer y = 3x whose backward claims dy/dx = 3.3.
type wrongScale struct{}

func (wrongScale) Setup(b, t []*blob.Blob) error   { t[0].ReshapeLike(b[0]); return nil }
func (wrongScale) Reshape(b, t []*blob.Blob) error { t[0].ReshapeLike(b[0]); return nil }
func (wrongScale) Params() []*blob.Blob            { return nil }
func (wrongScale) Forward(b, t []*blob.Blob) error {
	for i, v := range b[0].Data {
		t[0].Data[i] = 3 * v
	}
	return nil
}
func (wrongScale) Backward(t []*blob.Blob, down []bool, b []*blob.Blob) {
	for i, d := range t[0].Diff {
		b[0].Diff[i] = 3.3 * d
	}
}

func init() {
	layers.Register("WrongScaleForTest", func(*caffepb.LayerParameter, *layers.Context) (layers.Layer, error) {
		return wrongScale{}, nil
	})
}

const netText = `
layer { name: "in" type: "Input" top: "x" top: "label" input_param { shape { dim: 5 dim: 4 } shape { dim: 5 } } }
layer { name: "ip1" type: "InnerProduct" bottom: "x" top: "h" inner_product_param { num_output: 6 weight_filler { type: "xavier" } } }
layer { name: "relu" type: "ReLU" bottom: "h" top: "h" }
layer { name: "ip2" type: "InnerProduct" bottom: "h" top: "y" inner_product_param { num_output: 3 weight_filler { type: "xavier" } } }
%s
layer { name: "acc" type: "Accuracy" bottom: "y" bottom: "label" top: "acc" }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "y" bottom: "label" top: "loss" }`

func buildNet(t *testing.T, extra string) *network.Net {
	t.Helper()
	p := &caffepb.NetParameter{}
	if err := prototext.Unmarshal([]byte(strings.Replace(netText, "%s", extra, 1)), p); err != nil {
		t.Fatal(err)
	}
	p.State = &caffepb.NetState{Phase: caffepb.Phase_TRAIN.Enum()}
	r := rng.New(3)
	n, err := network.New(p, network.Options{Quiet: true, RNG: r})
	if err != nil {
		t.Fatal(err)
	}
	gradcheck.FillInputs(n, r)
	return n
}

func TestCheckNet(t *testing.T) {
	n := buildNet(t, "")
	for _, v := range n.Blob("label").Data {
		if v != float32(int(v)) || v < 0 || v >= 3 {
			t.Fatalf("label %g is not a class of 3", v)
		}
	}
	before := append([]float32(nil), n.Learnable()[0].Data...)
	results, err := gradcheck.CheckNet(n, gradcheck.NetOptions{Seed: 1701})
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, r := range results {
		switch {
		case r.Skipped != "":
			status[r.Layer] = "skipped"
		case r.Failed():
			status[r.Layer] = "failed: " + r.Report.Err().Error()
		default:
			status[r.Layer] = "ok"
		}
	}
	want := map[string]string{"in": "skipped", "ip1": "ok", "relu": "ok", "ip2": "ok", "y_ip2_0_split": "ok", "label_in_1_split": "ok", "acc": "skipped", "loss": "ok"}
	for layer, s := range want {
		if status[layer] != s {
			t.Errorf("layer %s: %s, want %s", layer, status[layer], s)
		}
	}
	for i, v := range n.Learnable()[0].Data {
		if v != before[i] {
			t.Fatal("checking changed the net's weights")
		}
	}
}

func TestCheckNetFindsAWrongLayer(t *testing.T) {
	n := buildNet(t, `layer { name: "bad" type: "WrongScaleForTest" bottom: "y" top: "y3" }`)
	results, err := gradcheck.CheckNet(n, gradcheck.NetOptions{Layer: "bad", Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || !results[0].Failed() {
		t.Fatalf("the wrong layer passed: %+v", results)
	}
	if _, err := gradcheck.CheckNet(n, gradcheck.NetOptions{Layer: "nosuch"}); err == nil {
		t.Fatal("an unknown layer name was accepted")
	}
}

// BatchNorm's statistics get no gradient (lr_mult 0): the check leaves them out, in
// both phases, and passes.
func TestCheckNetSkipsFrozenParams(t *testing.T) {
	for _, phase := range []caffepb.Phase{caffepb.Phase_TRAIN, caffepb.Phase_TEST} {
		p := &caffepb.NetParameter{}
		if err := prototext.Unmarshal([]byte(`
layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 4 dim: 3 dim: 2 dim: 2 } } }
layer { name: "bn" type: "BatchNorm" bottom: "x" top: "y" }
layer { name: "scale" type: "Scale" bottom: "y" top: "z" scale_param { bias_term: true } }`), p); err != nil {
			t.Fatal(err)
		}
		p.State = &caffepb.NetState{Phase: phase.Enum()}
		r := rng.New(2)
		n, err := network.New(p, network.Options{Quiet: true, RNG: r})
		if err != nil {
			t.Fatal(err)
		}
		gradcheck.FillInputs(n, r)
		bn := n.Layer(n.LayerIndex("bn")).Params()
		bn[1].Data[0], bn[1].Data[1], bn[1].Data[2], bn[2].Data[0] = 1, 2, 3, 1 // statistics for TEST
		results, err := gradcheck.CheckNet(n, gradcheck.NetOptions{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if r.Failed() {
				t.Errorf("%v: layer %s: %v", phase, r.Layer, r.Report.Err())
			}
			if r.Layer == "bn" {
				for _, b := range r.Report.Blobs {
					if strings.HasPrefix(b.Blob, "param") {
						t.Errorf("%v: BatchNorm's %s was checked", phase, b.Blob)
					}
				}
			}
		}
	}
}
