package protofile

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// logLine strips glog's prefix ("I1126 23:40:16.838653 14418 upgrade.go:43] ").
var logLine = regexp.MustCompile(`(?m)^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [^ ]+:\d+\] (.*)$`)

func logMessages(log string) []string {
	var msgs []string
	for _, m := range logLine.FindAllStringSubmatch(log, -1) {
		msgs = append(msgs, m[1])
	}
	return msgs
}

// caffeUpgrade is one run of Caffe's upgrade tools in fixtures/upgrade/upgrade_log.json.
type caffeUpgrade struct {
	Tool     string   `json:"tool"`
	Src      string   `json:"src"`
	Dst      string   `json:"dst"`
	RC       int      `json:"rc"`
	Messages []string `json:"messages"`
}

// TestLegacyUpgradeMatchesCaffe upgrades every legacy net and solver and wants what
// Caffe's upgrade_net_proto_text / upgrade_solver_proto_text wrote, and the messages
// Caffe logged while upgrading, in Caffe's order.
func TestLegacyUpgradeMatchesCaffe(t *testing.T) {
	data, err := os.ReadFile(testutil.Path("fixtures/upgrade/upgrade_log.json"))
	if err != nil {
		t.Fatal(err)
	}
	var runs []caffeUpgrade
	if err := json.Unmarshal(data, &runs); err != nil {
		t.Fatal(err)
	}
	legacy, _ := filepath.Glob(testutil.Path("caffe-examples/legacy/*/*.prototxt"))
	if len(runs) != len(legacy) || len(runs) == 0 {
		t.Fatalf("%d runs of Caffe's tools for %d legacy files", len(runs), len(legacy))
	}
	for _, run := range runs {
		log := quietLog(t)
		// Caffe was run on the path caffe-examples/<src>: its messages name it so.
		source := "caffe-examples/" + run.Src
		in, err := os.ReadFile(testutil.Path(source))
		if err != nil {
			t.Fatal(err)
		}
		var got, want proto.Message
		var changed bool
		switch run.Tool {
		case "upgrade_net_proto_text":
			p := &caffepb.NetParameter{}
			if err := UnmarshalText(source, in, p); err != nil {
				t.Fatal(err)
			}
			if !NetNeedsUpgrade(p) {
				t.Errorf("%s: NetNeedsUpgrade is false", run.Src)
			}
			changed, err = UpgradeNet(p, source)
			got, want = p, &caffepb.NetParameter{}
		case "upgrade_solver_proto_text":
			p := &caffepb.SolverParameter{}
			if err := UnmarshalText(source, in, p); err != nil {
				t.Fatal(err)
			}
			changed, err = UpgradeSolver(p, source)
			got, want = p, &caffepb.SolverParameter{}
		default:
			t.Fatalf("unknown tool %q", run.Tool)
		}
		if err != nil || !changed || run.RC != 0 {
			t.Errorf("%s: changed %v, error %v; Caffe's exit status %d", run.Src, changed, err, run.RC)
		}
		if err := ReadText(testutil.Path("fixtures/"+run.Dst), want); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(got, want) {
			t.Errorf("%s: our upgrade differs from Caffe's %s:\n%s", run.Src, run.Dst, firstDiff(MarshalText(got), MarshalText(want)))
		}
		var caffeMsgs []string
		for _, m := range run.Messages {
			if !strings.HasPrefix(m, "Wrote upgraded") { // the tool's, not the upgrade's
				caffeMsgs = append(caffeMsgs, m)
			}
		}
		if ours := logMessages(log.String()); strings.Join(ours, "\n") != strings.Join(caffeMsgs, "\n") {
			t.Errorf("%s: logged\n  %s\nCaffe logged\n  %s", run.Src, strings.Join(ours, "\n  "), strings.Join(caffeMsgs, "\n  "))
		}
	}
}

// upgradeText parses a net, upgrades it and returns it with the log and the error.
func upgradeText(t *testing.T, text string) (*caffepb.NetParameter, string, error) {
	t.Helper()
	log := quietLog(t)
	p := &caffepb.NetParameter{}
	if err := UnmarshalText("net.prototxt", []byte(text), p); err != nil {
		t.Fatalf("test net does not parse: %v", err)
	}
	_, err := UpgradeNet(p, "net.prototxt")
	return p, log.String(), err
}

func mustNet(t *testing.T, text string) *caffepb.NetParameter {
	t.Helper()
	p := &caffepb.NetParameter{}
	if err := UnmarshalText("want", []byte(text), p); err != nil {
		t.Fatalf("expected net does not parse: %v", err)
	}
	return p
}

// TestUpgradeV0 covers what the legacy files do not: every V0 field's place, padding
// layers, the problems Caffe logs and goes on with, and those it dies of.
func TestUpgradeV0(t *testing.T) {
	tests := []struct {
		name, in, want string
		partial        bool   // Caffe logs problems and goes on
		log            string // a message the log must hold
		err            string // Caffe dies: the error must hold this
	}{
		{name: "data fields", in: `name: "v0" input: "x" input_dim: 1 input_dim: 1 input_dim: 2 input_dim: 2 force_backward: true
			layers { layer { name: "d" type: "data" source: "db" batchsize: 8 rand_skip: 3 scale: 0.5 meanfile: "m" cropsize: 4 mirror: true } top: "data" }
			layers { layer { name: "i" type: "images" source: "list" batchsize: 2 rand_skip: 1 shuffle_images: true new_height: 5 new_width: 6 } top: "img" }
			layers { layer { name: "w" type: "window_data" source: "win" batchsize: 4 det_fg_threshold: 0.6 det_bg_threshold: 0.4
				det_fg_fraction: 0.3 det_context_pad: 16 det_crop_mode: "square" } top: "win" }
			layers { layer { name: "h" type: "hdf5_data" source: "h5" batchsize: 9 } top: "h" }`,
			want: `name: "v0" force_backward: true
			layer { name: "input" type: "Input" top: "x" input_param { shape { dim: 1 dim: 1 dim: 2 dim: 2 } } }
			layer { name: "d" type: "Data" top: "data" transform_param { scale: 0.5 mean_file: "m" crop_size: 4 mirror: true }
				data_param { source: "db" batch_size: 8 rand_skip: 3 } }
			layer { name: "i" type: "ImageData" top: "img" image_data_param { source: "list" batch_size: 2 rand_skip: 1 shuffle: true new_height: 5 new_width: 6 } }
			layer { name: "w" type: "WindowData" top: "win" window_data_param { source: "win" batch_size: 4 fg_threshold: 0.6
				bg_threshold: 0.4 fg_fraction: 0.3 context_pad: 16 crop_mode: "square" } }
			layer { name: "h" type: "HDF5Data" top: "h" hdf5_data_param { source: "h5" batch_size: 9 } }`},
		{name: "compute fields", in: `input: "data"
			layers { layer { name: "c" type: "conv" num_output: 4 biasterm: false kernelsize: 3 stride: 2 pad: 1 group: 2
				weight_filler { type: "gaussian" std: 0.01 } bias_filler { type: "constant" value: 1 } blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0 } bottom: "data" top: "c" }
			layers { layer { name: "p" type: "pool" pool: AVE kernelsize: 3 stride: 2 pad: 1 } bottom: "c" top: "p" }
			layers { layer { name: "s" type: "pool" pool: STOCHASTIC kernelsize: 2 } bottom: "p" top: "s" }
			layers { layer { name: "n" type: "lrn" local_size: 3 alpha: 0.1 beta: 0.5 k: 2 } bottom: "s" top: "n" }
			layers { layer { name: "f" type: "innerproduct" num_output: 10 biasterm: true weight_filler { type: "xavier" } bias_filler { type: "constant" } } bottom: "n" top: "f" }
			layers { layer { name: "drop" type: "dropout" dropout_ratio: 0.3 } bottom: "f" top: "f" }
			layers { layer { name: "cat" type: "concat" concat_dim: 0 } bottom: "f" bottom: "f" top: "cat" }
			layers { layer { name: "ig" type: "infogain_loss" source: "H" } bottom: "cat" bottom: "data" }
			layers { layer { name: "out" type: "hdf5_output" hdf5_output_param { file_name: "o.h5" } } bottom: "cat" }
			layers { layer { name: "t" type: "tanh" } bottom: "cat" top: "r" }`,
			want: `layer { name: "c" type: "Convolution" bottom: "data" top: "c" param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
				convolution_param { num_output: 4 bias_term: false pad: 1 kernel_size: 3 stride: 2 group: 2
				weight_filler { type: "gaussian" std: 0.01 } bias_filler { type: "constant" value: 1 } } }
			layer { name: "p" type: "Pooling" bottom: "c" top: "p" pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 } }
			layer { name: "s" type: "Pooling" bottom: "p" top: "s" pooling_param { pool: STOCHASTIC kernel_size: 2 } }
			layer { name: "n" type: "LRN" bottom: "s" top: "n" lrn_param { local_size: 3 alpha: 0.1 beta: 0.5 k: 2 } }
			layer { name: "f" type: "InnerProduct" bottom: "n" top: "f" inner_product_param { num_output: 10 bias_term: true
				weight_filler { type: "xavier" } bias_filler { type: "constant" } } }
			layer { name: "drop" type: "Dropout" bottom: "f" top: "f" dropout_param { dropout_ratio: 0.3 } }
			layer { name: "cat" type: "Concat" bottom: "f" bottom: "f" top: "cat" concat_param { concat_dim: 0 } }
			layer { name: "ig" type: "InfogainLoss" bottom: "cat" bottom: "data" infogain_loss_param { source: "H" } }
			layer { name: "out" type: "HDF5Output" bottom: "cat" hdf5_output_param { file_name: "o.h5" } }
			layer { name: "t" type: "TanH" bottom: "cat" top: "r" }`},
		{name: "padding layers", in: `input: "data"
			layers { layer { name: "pad1" type: "padding" pad: 2 } bottom: "data" top: "pad1" }
			layers { layer { name: "conv1" type: "conv" num_output: 8 kernelsize: 5 } bottom: "pad1" top: "conv1" }
			layers { layer { name: "pad2" type: "padding" pad: 1 } bottom: "conv1" top: "pad2" }
			layers { layer { name: "pool1" type: "pool" kernelsize: 3 } bottom: "pad2" top: "pool1" }`,
			want: `layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 8 pad: 2 kernel_size: 5 } }
			layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pad: 1 kernel_size: 3 } }`},
		{name: "field of another type", in: `layers { layer { name: "r" type: "relu" num_output: 3 kernelsize: 2 } bottom: "x" top: "x" } input: "x"`,
			want:    `layer { name: "r" type: "ReLU" bottom: "x" top: "x" }`,
			partial: true, log: "Unknown parameter num_output for layer type relu"},
		{name: "V1 layer among V0 ones", in: `input: "x" layers { layer { name: "r" type: "relu" } bottom: "x" top: "y" }
			layers { name: "s" type: SOFTMAX bottom: "y" top: "z" }`,
			want: `layer { name: "r" type: "ReLU" bottom: "x" top: "y" } layer { bottom: "y" top: "z" }`},
		{name: "unknown type", in: `input: "x" layers { layer { name: "q" type: "quantum" } bottom: "x" top: "y" }`,
			err: `net.prototxt: upgrading V0 net: layer "q": unknown V0 layer type "quantum"`},
		{name: "unknown bottom", in: `layers { layer { name: "r" type: "relu" } bottom: "nowhere" top: "y" }`,
			err: `net.prototxt: upgrading V0 net: unknown blob input "nowhere" to layer "r"`},
		{name: "padding into relu", in: `input: "x" layers { layer { name: "pad" type: "padding" pad: 1 } bottom: "x" top: "p" }
			layers { layer { name: "r" type: "relu" } bottom: "p" top: "y" }`,
			err: `padding layer "pad" feeds layer "r" of type "relu": only conv and pool layers can take a padding layer's output`},
		{name: "padding with two tops", in: `input: "x" layers { layer { name: "pad" type: "padding" pad: 1 } bottom: "x" top: "p" top: "q" }
			layers { layer { name: "c" type: "conv" } bottom: "p" top: "y" }`,
			err: `padding layer "pad" must have one top, not 2`},
	}
	for _, tt := range tests {
		got, log, err := upgradeText(t, tt.in)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want one holding %q", tt.name, err, tt.err)
			}
			continue
		case tt.partial:
			if !errors.Is(err, ErrPartialUpgrade) {
				t.Errorf("%s: error %v, want ErrPartialUpgrade", tt.name, err)
			}
		case err != nil:
			t.Errorf("%s: %v", tt.name, err)
		}
		if !strings.Contains(log, tt.log) {
			t.Errorf("%s: log lacks %q:\n%s", tt.name, tt.log, log)
		}
		if want := mustNet(t, tt.want); !proto.Equal(got, want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, MarshalText(got), MarshalText(want))
		}
		// The readers go on where Caffe goes on.
		if p, err := ParseNetText("net.prototxt", []byte(tt.in)); err != nil || !proto.Equal(p, got) {
			t.Errorf("%s: ParseNetText: %v", tt.name, err)
		}
	}
}

// TestUpgradeV1 covers the V1 fields the legacy files lack: param names, share modes,
// multipliers of different counts, loss weights, rules, and the data layers whose
// transformation fields move.
func TestUpgradeV1(t *testing.T) {
	got, log, err := upgradeText(t, `name: "v1"
		layers { name: "d" type: IMAGE_DATA top: "data" image_data_param { source: "l" scale: 0.5 mirror: true } include { phase: TRAIN } }
		layers { name: "w" type: WINDOW_DATA top: "w" window_data_param { source: "s" crop_size: 9 mean_file: "m" } exclude { stage: "x" } }
		layers { name: "plain" type: DATA top: "p" }
		layers { name: "c" type: CONVOLUTION bottom: "data" top: "c" param: "cw" param: "cb" blob_share_mode: PERMISSIVE blob_share_mode: STRICT
			blobs_lr: 1 blobs_lr: 2 blobs_lr: 3 weight_decay: 0 convolution_param { num_output: 2 } }
		layers { name: "e" type: EUCLIDEAN_LOSS bottom: "c" bottom: "c" top: "l" loss_weight: 0.5 }
		layers { name: "s" type: SIGMOID_CROSS_ENTROPY_LOSS bottom: "c" bottom: "c" }
		layers { type: NONE }`)
	if err != nil {
		t.Fatal(err)
	}
	want := mustNet(t, `name: "v1"
		layer { name: "d" type: "ImageData" top: "data" include { phase: TRAIN } transform_param { scale: 0.5 mirror: true } image_data_param { source: "l" } }
		layer { name: "w" type: "WindowData" top: "w" exclude { stage: "x" } transform_param { crop_size: 9 mean_file: "m" } window_data_param { source: "s" } }
		layer { name: "plain" type: "Data" top: "p" transform_param { } data_param { } }
		layer { name: "c" type: "Convolution" bottom: "data" top: "c"
			param { name: "cw" share_mode: PERMISSIVE lr_mult: 1 decay_mult: 0 } param { name: "cb" share_mode: STRICT lr_mult: 2 } param { lr_mult: 3 }
			convolution_param { num_output: 2 } }
		layer { name: "e" type: "EuclideanLoss" bottom: "c" bottom: "c" top: "l" loss_weight: 0.5 }
		layer { name: "s" type: "SigmoidCrossEntropyLoss" bottom: "c" bottom: "c" }
		layer { type: "" }`)
	if !proto.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", MarshalText(got), MarshalText(want))
	}
	if !strings.Contains(log, "Attempting to upgrade input file specified using deprecated transformation parameters: net.prototxt") {
		t.Errorf("log lacks the data upgrade:\n%s", log)
	}

	// A net with both layers and layer fields: Caffe keeps only the upgraded ones.
	got, log, err = upgradeText(t, `layer { name: "new" type: "ReLU" } layers { name: "old" type: RELU }`)
	if !errors.Is(err, ErrPartialUpgrade) || !strings.Contains(log, "already specifies 'layer' fields") {
		t.Errorf("mixed net: error %v, log\n%s", err, log)
	}
	if len(got.Layer) != 1 || got.Layer[0].GetName() != "old" {
		t.Errorf("mixed net: layers %v, want only the upgraded one", got.Layer)
	}
}

// TestUpgradeV1CopiesEveryParam sets each *_param message of a V1 layer and wants it
// in the upgraded layer, under the same name: none may be forgotten.
func TestUpgradeV1CopiesEveryParam(t *testing.T) {
	quietLog(t)
	v1 := (&caffepb.V1LayerParameter{}).ProtoReflect()
	fields := v1.Descriptor().Fields()
	n := 0
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Message() == nil || !strings.HasSuffix(string(fd.Name()), "_param") {
			continue
		}
		n++
		l := &caffepb.V1LayerParameter{Name: proto.String("x")}
		sub := l.ProtoReflect().Mutable(fd).Message()
		// Set the sub-message's first field, so it is not empty.
		first := sub.Descriptor().Fields().Get(0)
		if first.Message() != nil || first.IsList() {
			sub.Mutable(first)
		} else {
			sub.Set(first, first.Default())
		}
		p := &caffepb.NetParameter{Layers: []*caffepb.V1LayerParameter{l}}
		if _, err := UpgradeNet(p, "x"); err != nil {
			t.Fatal(err)
		}
		got := p.Layer[0].ProtoReflect()
		target := got.Descriptor().Fields().ByName(fd.Name())
		if target == nil || !got.Has(target) || !proto.Equal(got.Get(target).Message().Interface(), sub.Interface()) {
			t.Errorf("%s not carried over", fd.Name())
		}
	}
	if n != 30 {
		t.Errorf("V1LayerParameter has %d *_param fields, want Caffe's 30", n)
	}
}

// TestV1TypeNames wants a type string for every V1 enum value, and Caffe's for some.
func TestV1TypeNames(t *testing.T) {
	vals := caffepb.V1LayerParameter_NONE.Descriptor().Values()
	for i := 0; i < vals.Len(); i++ {
		v := caffepb.V1LayerParameter_LayerType(vals.Get(i).Number())
		if name, ok := v1TypeNames[v]; !ok || (name == "" && v != caffepb.V1LayerParameter_NONE) {
			t.Errorf("V1 type %v has no name", v)
		}
	}
	for v, want := range map[caffepb.V1LayerParameter_LayerType]string{
		caffepb.V1LayerParameter_SOFTMAX_LOSS: "SoftmaxWithLoss", caffepb.V1LayerParameter_TANH: "TanH",
		caffepb.V1LayerParameter_IM2COL: "Im2col", caffepb.V1LayerParameter_HDF5_DATA: "HDF5Data",
		caffepb.V1LayerParameter_ABSVAL: "AbsVal", caffepb.V1LayerParameter_BNLL: "BNLL",
	} {
		if v1TypeNames[v] != want {
			t.Errorf("%v -> %q, want %q", v, v1TypeNames[v], want)
		}
	}
	// A binary file may hold an enum number this schema does not know.
	p := &caffepb.NetParameter{Layers: []*caffepb.V1LayerParameter{{Type: caffepb.V1LayerParameter_LayerType(99).Enum()}}}
	quietLog(t)
	if _, err := UpgradeNet(p, "m.caffemodel"); err == nil || !strings.Contains(err.Error(), "unknown V1LayerParameter layer type 99") {
		t.Errorf("unknown V1 type: error %v", err)
	}
}

// TestUpgradeInput covers the three forms of net inputs and a wrong input_dim count.
func TestUpgradeInput(t *testing.T) {
	tests := []struct{ name, in, want, err string }{
		{"shapes", `input: "a" input: "b" input_shape { dim: 1 dim: 2 } input_shape { dim: 3 } layer { name: "r" type: "ReLU" bottom: "a" }`,
			`layer { name: "input" type: "Input" top: "a" top: "b" input_param { shape { dim: 1 dim: 2 } shape { dim: 3 } } }
			 layer { name: "r" type: "ReLU" bottom: "a" }`, ""},
		{"dims", `input: "a" input: "b" input_dim: 1 input_dim: 3 input_dim: 4 input_dim: 5 input_dim: 1 input_dim: 1 input_dim: 1 input_dim: 1`,
			`layer { name: "input" type: "Input" top: "a" top: "b" input_param { shape { dim: 1 dim: 3 dim: 4 dim: 5 } shape { dim: 1 dim: 1 dim: 1 dim: 1 } } }`, ""},
		{"names only", `input: "data" layer { name: "r" type: "ReLU" }`, `layer { name: "r" type: "ReLU" }`, ""},
		{"short dims", `input: "a" input: "b" input_dim: 1 input_dim: 3 input_dim: 4 input_dim: 5 input_dim: 2`, "",
			"net.prototxt: upgrading input fields: 2 inputs but 5 input_dim values: each input needs 4 (num, channels, height, width)"},
		{"short shapes", `input: "a" input: "b" input_shape { dim: 1 }`, "",
			"net.prototxt: upgrading input fields: 2 inputs but 1 input_shape entries: each input needs one"},
	}
	for _, tt := range tests {
		got, _, err := upgradeText(t, tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: error %v, want %s", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		} else if want := mustNet(t, tt.want); !proto.Equal(got, want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, MarshalText(got), MarshalText(want))
		}
	}
}

// TestUpgradeBatchNorm zeroes the multipliers of BatchNorm layers with three param
// specs and leaves others alone.
func TestUpgradeBatchNorm(t *testing.T) {
	got, log, err := upgradeText(t, `
		layer { name: "bn" type: "BatchNorm" param { lr_mult: 1 } param { lr_mult: 1 decay_mult: 2 } param { name: "s" lr_mult: 1 } }
		layer { name: "bn2" type: "BatchNorm" param { lr_mult: 1 } }
		layer { name: "c" type: "Convolution" param { lr_mult: 1 } param { lr_mult: 1 } param { lr_mult: 1 } }`)
	if err != nil {
		t.Fatal(err)
	}
	want := mustNet(t, `
		layer { name: "bn" type: "BatchNorm" param { lr_mult: 0 decay_mult: 0 } param { lr_mult: 0 decay_mult: 0 } param { name: "s" lr_mult: 0 decay_mult: 0 } }
		layer { name: "bn2" type: "BatchNorm" param { lr_mult: 1 } }
		layer { name: "c" type: "Convolution" param { lr_mult: 1 } param { lr_mult: 1 } param { lr_mult: 1 } }`)
	if !proto.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", MarshalText(got), MarshalText(want))
	}
	if !strings.Contains(log, "Successfully upgraded batch norm layers using deprecated params.") {
		t.Errorf("log:\n%s", log)
	}
}

// TestCurrentNetsNeedNoUpgrade checks that current-format files are left alone.
func TestCurrentNetsNeedNoUpgrade(t *testing.T) {
	for _, rel := range []string{"examples/mnist/lenet_train_test.prototxt", "examples/cifar10/cifar10_quick.prototxt",
		"models/bvlc_googlenet/deploy.prototxt", "zoo/squeezenet/deploy.prototxt"} {
		p := &caffepb.NetParameter{}
		if err := ReadText(testutil.Path("caffe-examples/"+rel), p); err != nil {
			t.Fatal(err)
		}
		before := proto.Clone(p)
		log := quietLog(t)
		changed, err := UpgradeNet(p, rel)
		if NetNeedsUpgrade(before.(*caffepb.NetParameter)) || changed || err != nil || !proto.Equal(p, before) || log.Len() != 0 {
			t.Errorf("%s: changed %v, error %v, log %q", rel, changed, err, log)
		}
	}
}

// TestUpgradeSolver maps every solver_type and refuses a solver with both fields.
func TestUpgradeSolver(t *testing.T) {
	quietLog(t)
	vals := caffepb.SolverParameter_SGD.Descriptor().Values()
	for i := 0; i < vals.Len(); i++ {
		v := caffepb.SolverParameter_SolverType(vals.Get(i).Number())
		p := &caffepb.SolverParameter{SolverType: v.Enum()}
		changed, err := UpgradeSolver(p, "s.prototxt")
		if err != nil || !changed || p.SolverType != nil || p.GetType() != solverTypeNames[v] || p.GetType() == "" {
			t.Errorf("%v: type %q, changed %v, error %v", v, p.GetType(), changed, err)
		}
	}
	p := &caffepb.SolverParameter{SolverType: caffepb.SolverParameter_ADAM.Enum(), Type: proto.String("Adam")}
	_, err := UpgradeSolver(p, "s.prototxt")
	want := "s.prototxt: failed to upgrade solver: old solver_type field (enum) and new type field (string) cannot be both specified in solver proto text"
	if err == nil || err.Error() != want {
		t.Errorf("both fields: %v", err)
	}
	p = &caffepb.SolverParameter{Type: proto.String("Nesterov")}
	if changed, err := UpgradeSolver(p, "s.prototxt"); changed || err != nil || p.GetType() != "Nesterov" {
		t.Errorf("current solver: changed %v, error %v", changed, err)
	}
}

// TestSnapshotPrefix covers Caffe's UpgradeSnapshotPrefixProperty through
// ReadSolverText: a missing prefix, a prefix naming a folder, an ordinary prefix.
func TestSnapshotPrefix(t *testing.T) {
	quietLog(t)
	dir := t.TempDir()
	snaps := filepath.Join(dir, "snaps")
	if err := os.Mkdir(snaps, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ text, want string }{
		{`base_lr: 0.1`, filepath.Join(dir, "lenet_solver")},
		{`snapshot_prefix: "` + snaps + `"`, snaps + "/lenet_solver"},
		{`snapshot_prefix: "` + snaps + `/"`, snaps + "/lenet_solver"},
		{`snapshot_prefix: "` + snaps + `/lenet"`, snaps + "/lenet"},
		{`solver_type: NESTEROV snapshot_prefix: "x/y"`, "x/y"},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, "lenet_solver.prototxt")
		if err := os.WriteFile(path, []byte(tt.text), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := ReadSolverText(path)
		if err != nil {
			t.Fatal(err)
		}
		if p.GetSnapshotPrefix() != tt.want {
			t.Errorf("%s: prefix %q, want %q", tt.text, p.GetSnapshotPrefix(), tt.want)
		}
		if p.SolverType != nil {
			t.Errorf("%s: solver_type not upgraded", tt.text)
		}
	}
}
