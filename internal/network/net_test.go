package network

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func parseNet(t testing.TB, text string, phase caffepb.Phase) *caffepb.NetParameter {
	t.Helper()
	p := &caffepb.NetParameter{}
	if err := prototext.Unmarshal([]byte(text), p); err != nil {
		t.Fatal(err)
	}
	if p.State == nil {
		p.State = &caffepb.NetState{}
	}
	p.State.Phase = phase.Enum()
	return p
}

func build(t testing.TB, text string, phase caffepb.Phase) *Net {
	t.Helper()
	n, err := New(parseNet(t, text, phase), Options{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// mlp is a multilayer perceptron in which the blob "ip1" is read by two layers
// (relu1 in place, then ip2 and ip_aux), so Caffe inserts a Split after relu1.
const mlp = `
name: "mlp"
layer { name: "data" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 4 dim: 6 } shape { dim: 4 } } }
layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
        inner_product_param { num_output: 5 weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "gaussian" } } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
        inner_product_param { num_output: 3 weight_filler { type: "gaussian" std: 0.5 } bias_filler { type: "gaussian" } } }
layer { name: "ip_aux" type: "InnerProduct" bottom: "ip1" top: "aux"
        inner_product_param { num_output: 2 weight_filler { type: "gaussian" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
`

func TestSplitInsertion(t *testing.T) {
	n := build(t, mlp, caffepb.Phase_TRAIN)
	var names, types []string
	for i := 0; i < n.NumLayers(); i++ {
		names = append(names, n.LayerName(i))
		types = append(types, n.LayerParam(i).GetType())
	}
	// "data" is read by ip1 only, so no split there; ip1 (after relu1, in place) is read twice.
	wantNames := []string{"data", "ip1", "relu1", "ip1_relu1_0_split", "ip2", "ip_aux", "loss"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("layers %v, want %v", names, wantNames)
	}
	if types[3] != "Split" {
		t.Fatalf("layer 3 is %s", types[3])
	}
	split := n.LayerIndex("ip1_relu1_0_split")
	if got := n.TopNames(split); !reflect.DeepEqual(got, []string{"ip1_relu1_0_split_0", "ip1_relu1_0_split_1"}) {
		t.Fatalf("split tops %v", got)
	}
	if got := n.BottomNames(n.LayerIndex("ip_aux")); !reflect.DeepEqual(got, []string{"ip1_relu1_0_split_1"}) {
		t.Fatalf("ip_aux reads %v", got)
	}
	if got := n.Outputs(); !reflect.DeepEqual(got, []string{"aux", "loss"}) {
		t.Fatalf("outputs %v", got)
	}
	if got := n.Inputs(); !reflect.DeepEqual(got, []string{"data", "label"}) {
		t.Fatalf("inputs %v", got)
	}
	if w := n.OutputLossWeight("loss"); w != 1 {
		t.Fatalf("default loss weight %g", w)
	}
	if !n.LayerNeedBackward(n.LayerIndex("ip2")) || n.LayerNeedBackward(n.LayerIndex("ip_aux")) {
		t.Fatal("ip2 must need backward and ip_aux (not under the loss) must not")
	}
	if n.BottomNeedBackward(n.LayerIndex("loss"))[1] {
		t.Fatal("labels must not get a gradient")
	}
}

// Caffe's own InsertSplits test case: a loss-weighted top that is also read by
// another layer moves its loss weight onto the split's first top.
func TestInsertSplitsLossWeight(t *testing.T) {
	p := parseNet(t, `
layer { name: "data" type: "Input" top: "data" }
layer { name: "innerprod" type: "InnerProduct" bottom: "data" top: "innerprod" loss_weight: 1 }
layer { name: "loss" type: "EuclideanLoss" bottom: "innerprod" bottom: "data" }`, caffepb.Phase_TRAIN)
	got, err := InsertSplits(p)
	if err != nil {
		t.Fatal(err)
	}
	want := parseNet(t, `
layer { name: "data" type: "Input" top: "data" }
layer { name: "data_data_0_split" type: "Split" bottom: "data" top: "data_data_0_split_0" top: "data_data_0_split_1" }
layer { name: "innerprod" type: "InnerProduct" bottom: "data_data_0_split_0" top: "innerprod" }
layer { name: "innerprod_innerprod_0_split" type: "Split" bottom: "innerprod"
        top: "innerprod_innerprod_0_split_0" top: "innerprod_innerprod_0_split_1" loss_weight: 1 loss_weight: 0 }
layer { name: "loss" type: "EuclideanLoss" bottom: "innerprod_innerprod_0_split_1" bottom: "data_data_0_split_1" }`, caffepb.Phase_TRAIN)
	if prototext.Format(got) != prototext.Format(want) {
		t.Fatalf("got\n%s\nwant\n%s", prototext.Format(got), prototext.Format(want))
	}
}

func TestUnknownBottom(t *testing.T) {
	_, err := New(parseNet(t, `layer { name: "relu" type: "ReLU" bottom: "nothing" top: "x" }`, caffepb.Phase_TRAIN), Options{Quiet: true})
	if err == nil || !strings.Contains(err.Error(), `"relu"`) || !strings.Contains(err.Error(), `"nothing"`) {
		t.Fatalf("error %v must name the layer and the blob", err)
	}
	_, err = New(parseNet(t, `layer { name: "a" type: "Bogus" top: "x" }`, caffepb.Phase_TRAIN), Options{Quiet: true})
	if err == nil || !strings.Contains(err.Error(), `"a"`) || !strings.Contains(err.Error(), `"Bogus"`) {
		t.Fatalf("error %v must name the layer and the type", err)
	}
	_, err = New(parseNet(t, `
layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 1 } } }
layer { name: "in2" type: "Input" top: "x" input_param { shape { dim: 1 } } }`, caffepb.Phase_TRAIN), Options{Quiet: true})
	if err == nil || !strings.Contains(err.Error(), "already produced") {
		t.Fatalf("duplicate top: %v", err)
	}
}

func TestStateRules(t *testing.T) {
	const net = `
layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
layer { name: "train_only" type: "ReLU" bottom: "x" top: "a" include { phase: TRAIN } }
layer { name: "test_only" type: "ReLU" bottom: "x" top: "b" include { phase: TEST } }
layer { name: "level2" type: "ReLU" bottom: "x" top: "c" include { min_level: 2 } }
layer { name: "not_level2" type: "ReLU" bottom: "x" top: "d" exclude { min_level: 2 } }
layer { name: "stage_ab" type: "ReLU" bottom: "x" top: "e" include { stage: "a" stage: "b" } }
layer { name: "not_stage_a" type: "ReLU" bottom: "x" top: "f" include { not_stage: "a" } }
layer { name: "max_level0" type: "ReLU" bottom: "x" top: "g" include { max_level: 0 } }`
	tests := []struct {
		phase  caffepb.Phase
		level  int32
		stages []string
		want   []string
	}{
		{caffepb.Phase_TRAIN, 0, nil, []string{"in", "train_only", "not_level2", "not_stage_a", "max_level0"}},
		{caffepb.Phase_TEST, 0, nil, []string{"in", "test_only", "not_level2", "not_stage_a", "max_level0"}},
		{caffepb.Phase_TEST, 2, []string{"a"}, []string{"in", "test_only", "level2"}},
		{caffepb.Phase_TRAIN, 1, []string{"a", "b"}, []string{"in", "train_only", "not_level2", "stage_ab"}},
	}
	for _, tt := range tests {
		p := parseNet(t, net, tt.phase)
		p.State.Level = &tt.level
		p.State.Stage = tt.stages
		f, err := Filter(p, p.State, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range f.Layer {
			got = append(got, l.GetName())
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("phase %v level %d stages %v: %v, want %v", tt.phase, tt.level, tt.stages, got, tt.want)
		}
	}
}

// The gradient the net computes for every parameter equals the finite difference
// of the net's loss: the wiring (splits, in-place ReLU, loss weights) is right.
func TestNetGradientMatchesFiniteDifferences(t *testing.T) {
	text := strings.Replace(mlp, `top: "aux"`, `top: "aux" loss_weight: 0.5`, 1)
	n := build(t, text, caffepb.Phase_TRAIN)
	r := rng.New(7)
	for i, v := range n.Blob("data").Data {
		n.Blob("data").Data[i] = v + r.Gaussian(0, 1)
	}
	for i := range n.Blob("label").Data {
		n.Blob("label").Data[i] = float32(r.Intn(3))
	}
	n.ClearParamDiffs()
	if _, err := n.ForwardBackward(); err != nil {
		t.Fatal(err)
	}
	const h = 1e-2
	for pi, p := range n.Learnable() {
		grad := append([]float32(nil), p.Diff...)
		for i := range p.Data {
			orig := p.Data[i]
			p.Data[i] = orig + h
			lp, _ := n.Forward()
			p.Data[i] = orig - h
			lm, _ := n.Forward()
			p.Data[i] = orig
			est := float64(lp-lm) / (2 * h)
			if math.Abs(est-float64(grad[i])) > 2e-3*math.Max(1, math.Abs(est)) {
				t.Fatalf("param %d (%s) element %d: backward %g, finite difference %g", pi, n.ParamDisplayName(pi), i, grad[i], est)
			}
		}
	}
}

func TestSharedParams(t *testing.T) {
	n := build(t, `
layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
layer { name: "a" type: "InnerProduct" bottom: "x" top: "a" param { name: "w" lr_mult: 2 } param { name: "b" }
        inner_product_param { num_output: 4 weight_filler { type: "gaussian" } } }
layer { name: "b" type: "InnerProduct" bottom: "x" top: "b" param { name: "w" } param { name: "b" decay_mult: 3 }
        inner_product_param { num_output: 4 weight_filler { type: "gaussian" } } }`, caffepb.Phase_TRAIN)
	a, b := n.Layer(n.LayerIndex("a")).Params(), n.Layer(n.LayerIndex("b")).Params()
	if &a[0].Data[0] != &b[0].Data[0] || &a[0].Diff[0] != &b[0].Diff[0] {
		t.Fatal("weights named alike must share values and gradients")
	}
	if len(n.Learnable()) != 2 || len(n.Params()) != 4 {
		t.Fatalf("%d learnable of %d params, want 2 of 4", len(n.Learnable()), len(n.Params()))
	}
	if n.LrMult()[0] != 2 || n.DecayMult()[1] != 3 {
		t.Fatalf("multipliers %v %v", n.LrMult(), n.DecayMult())
	}
	_, err := New(parseNet(t, `
layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
layer { name: "a" type: "InnerProduct" bottom: "x" top: "a" param { name: "w" } inner_product_param { num_output: 4 } }
layer { name: "b" type: "InnerProduct" bottom: "x" top: "b" param { name: "w" } inner_product_param { num_output: 5 } }`, caffepb.Phase_TRAIN), Options{Quiet: true})
	if err == nil || !strings.Contains(err.Error(), `"w"`) {
		t.Fatalf("shape mismatch of shared weights: %v", err)
	}
}

func TestForceBackwardAndPropagateDown(t *testing.T) {
	const net = `%s
layer { name: "in" type: "Input" top: "x" top: "label" input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
layer { name: "ip" type: "InnerProduct" bottom: "x" top: "y" %s inner_product_param { num_output: 3 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "y" bottom: "label" top: "loss" }`
	n := build(t, strings.Replace(strings.Replace(net, "%s", "", 1), "%s", "", 1), caffepb.Phase_TRAIN)
	if n.BottomNeedBackward(n.LayerIndex("ip"))[0] {
		t.Fatal("an input blob needs no gradient without force_backward")
	}
	n = build(t, strings.Replace(strings.Replace(net, "%s", "force_backward: true", 1), "%s", "", 1), caffepb.Phase_TRAIN)
	if !n.BottomNeedBackward(n.LayerIndex("ip"))[0] || n.BottomNeedBackward(n.LayerIndex("loss"))[1] {
		t.Fatal("force_backward must give the input a gradient and never the labels")
	}
	n = build(t, strings.Replace(strings.Replace(net, "%s", "force_backward: true", 1), "%s", "propagate_down: false", 1), caffepb.Phase_TRAIN)
	if !n.BottomNeedBackward(n.LayerIndex("ip"))[0] {
		t.Fatal("force_backward overrides propagate_down: false, as in Caffe")
	}
	n = build(t, strings.Replace(strings.Replace(net, "%s", "", 1), "%s", "param { lr_mult: 0 } param { lr_mult: 0 }", 1), caffepb.Phase_TRAIN)
	if n.LayerNeedBackward(n.LayerIndex("ip")) {
		t.Fatal("a layer with frozen parameters and no gradient to give needs no backward")
	}
}

func TestToProtoAndCopyTrainedLayers(t *testing.T) {
	n := build(t, mlp, caffepb.Phase_TRAIN)
	saved := n.ToProto(false)
	if saved.Layer[len(saved.Layer)-1].GetLossWeight()[0] != 1 || saved.Layer[0].GetPhase() != caffepb.Phase_TRAIN {
		t.Fatal("the saved loss layer must carry loss_weight 1 and every layer its phase, as Caffe writes them")
	}
	m, err := New(parseNet(t, mlp, caffepb.Phase_TRAIN), Options{Quiet: true, RNG: rng.New(99)})
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(m.Learnable()[0].Data, n.Learnable()[0].Data) {
		t.Fatal("different seeds gave the same weights")
	}
	if err := m.CopyTrainedLayersFrom(saved); err != nil {
		t.Fatal(err)
	}
	for i := range n.Learnable() {
		if !reflect.DeepEqual(m.Learnable()[i].Data, n.Learnable()[i].Data) {
			t.Fatalf("param %d not copied", i)
		}
	}
	// A layer of another shape names the layer and both shapes.
	bad := build(t, strings.Replace(mlp, "num_output: 5", "num_output: 6", 1), caffepb.Phase_TRAIN)
	err = bad.CopyTrainedLayersFrom(saved)
	if err == nil || !strings.Contains(err.Error(), `"ip1"`) || !strings.Contains(err.Error(), "5 6 (30)") || !strings.Contains(err.Error(), "6 6 (36)") {
		t.Fatalf("shape mismatch error: %v", err)
	}
	// Layers the net lacks are skipped.
	saved.Layer = append(saved.Layer, &caffepb.LayerParameter{Name: new(string)})
	if err := m.CopyTrainedLayersFrom(saved); err != nil {
		t.Fatal(err)
	}
}

func TestShareTrainedLayersWith(t *testing.T) {
	train := build(t, mlp, caffepb.Phase_TRAIN)
	test, err := New(parseNet(t, mlp, caffepb.Phase_TEST), Options{Quiet: true, RNG: rng.New(5)})
	if err != nil {
		t.Fatal(err)
	}
	if err := test.ShareTrainedLayersWith(train); err != nil {
		t.Fatal(err)
	}
	train.Learnable()[0].Data[0] = 42
	if test.Learnable()[0].Data[0] != 42 {
		t.Fatal("the test net does not see the training net's weights")
	}
}
