package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/netinfo"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// runCapture runs gocaffe with args and returns its exit status and standard output.
func runCapture(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	root := newRootCmd()
	root.SetOut(&out)
	code := run(root, args)
	return code, out.String()
}

// A multilayer perceptron in which relu1's output (in place on ip1) is read by two
// layers: Caffe inserts a Split named ip1_relu1_0_split with two tops.
const mlpNet = `name: "mlp"
layer { name: "data" type: "Input" top: "data" top: "label"
        input_param { shape { dim: 4 dim: 6 } shape { dim: 4 } } }
layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" inner_product_param { num_output: 5 } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" inner_product_param { num_output: 3 } }
layer { name: "ip_aux" type: "InnerProduct" bottom: "ip1" top: "aux" inner_product_param { num_output: 2 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }
`

func TestSummaryJSONByHand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mlp.prototxt")
	os.WriteFile(path, []byte(mlpNet), 0o644)
	code, out := runCapture(t, "summary", "--model="+path, "--shape=data=8,6", "--shape=label=8", "--json")
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	var got netinfo.Summary
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// Worked out by hand for a batch of 8:
	//   ip1:    6→5, weights 5×6 + bias 5 = 35, multiply-adds 8·6·5 = 240
	//   ip2:    5→3, 3×5 + 3 = 18,               8·5·3 = 120
	//   ip_aux: 5→2, 2×5 + 2 = 12,               8·5·2 =  80
	want := []netinfo.LayerSummary{
		{Name: "data", Type: "Input", Bottoms: []string{}, Tops: []string{"data", "label"}, TopShapes: [][]int{{8, 6}, {8}}, ParamShapes: [][]int{}, TopBytes: 4 * (48 + 8)},
		{Name: "ip1", Type: "InnerProduct", Bottoms: []string{"data"}, Tops: []string{"ip1"}, TopShapes: [][]int{{8, 5}}, ParamShapes: [][]int{{5, 6}, {5}}, MACs: 240, ParamBytes: 4 * 35, TopBytes: 4 * 40},
		{Name: "relu1", Type: "ReLU", Bottoms: []string{"ip1"}, Tops: []string{"ip1"}, TopShapes: [][]int{{8, 5}}, ParamShapes: [][]int{}, TopBytes: 4 * 40},
		{Name: "ip1_relu1_0_split", Type: "Split", Bottoms: []string{"ip1"}, Tops: []string{"ip1_relu1_0_split_0", "ip1_relu1_0_split_1"}, TopShapes: [][]int{{8, 5}, {8, 5}}, ParamShapes: [][]int{}, TopBytes: 4 * 80},
		{Name: "ip2", Type: "InnerProduct", Bottoms: []string{"ip1_relu1_0_split_0"}, Tops: []string{"ip2"}, TopShapes: [][]int{{8, 3}}, ParamShapes: [][]int{{3, 5}, {3}}, MACs: 120, ParamBytes: 4 * 18, TopBytes: 4 * 24},
		{Name: "ip_aux", Type: "InnerProduct", Bottoms: []string{"ip1_relu1_0_split_1"}, Tops: []string{"aux"}, TopShapes: [][]int{{8, 2}}, ParamShapes: [][]int{{2, 5}, {2}}, MACs: 80, ParamBytes: 4 * 12, TopBytes: 4 * 16},
		{Name: "loss", Type: "SoftmaxWithLoss", Bottoms: []string{"ip2", "label"}, Tops: []string{"loss"}, TopShapes: [][]int{{}}, ParamShapes: [][]int{}, TopBytes: 4},
	}
	if !reflect.DeepEqual(got.Layers, want) {
		t.Errorf("layers\n%+v\nwant\n%+v", got.Layers, want)
	}
	if got.TotalParams != 65 || got.TotalLearnable != 65 || got.TotalMACs != 440 || got.ParamBytes != 4*65 || got.ActivationBytes != 4*(56+40+40+80+24+16+1) {
		t.Errorf("totals %d %d %d %d %d, want 65 65 440 260 1028", got.TotalParams, got.TotalLearnable, got.TotalMACs, got.ParamBytes, got.ActivationBytes)
	}
	// The keys are those of Caffe's summary fixtures, plus macs and the memory.
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	layer := raw["layers"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "type", "bottoms", "tops", "top_shapes", "param_shapes", "macs", "param_bytes", "top_bytes"} {
		if _, ok := layer[k]; !ok {
			t.Errorf("layer key %q missing", k)
		}
	}
	for _, k := range []string{"layers", "total_params", "total_learnable", "total_macs", "param_bytes", "activation_bytes"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}

	code, table := runCapture(t, "summary", "-model", path, "--splits")
	if code != 0 || !strings.Contains(table, "ip1_relu1_0_split") || !strings.Contains(table, "Total parameters: 65") {
		t.Fatalf("table (exit %d):\n%s", code, table)
	}
}

func TestSummaryErrors(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data.prototxt")
	os.WriteFile(data, []byte(`layer { name: "mnist" type: "Data" top: "data" top: "label" data_param { source: "x" batch_size: 64 } }`), 0o644)
	unknown := filepath.Join(dir, "unknown.prototxt")
	os.WriteFile(unknown, []byte(`layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 1 } } }
layer { name: "weird" type: "NoSuchLayer" bottom: "x" top: "y" }`), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"summary", "--model=" + data}, "--shape=data="},
		{[]string{"summary", "--model=" + data, "--shape=data=64,1,28,28", "--shape=lable=64"}, "lable"},
		{[]string{"summary", "--model=" + unknown}, `"weird"`},
		{[]string{"summary", "--model=" + unknown}, `"NoSuchLayer"`},
		{[]string{"summary", "--model=" + data, "--shape=data=64,x"}, `"x" is not a dimension`},
		{[]string{"summary", "--model=" + data, "--phase=VAL"}, "TRAIN or TEST"},
	} {
		stderr := captureStderr(t, func() {
			if code := run(newRootCmd(), tc.args); code == 0 {
				t.Errorf("%v: exit status 0", tc.args)
			}
		})
		if !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: stderr %q does not contain %q", tc.args, stderr, tc.want)
		}
	}
	// With shapes, the Data layer is only a source of shapes: no database is opened;
	// the table keeps its type.
	if code, out := runCapture(t, "summary", "--model="+data, "--shape=data=64,1,28,28", "--json"); code != 0 || !strings.Contains(out, `"Data"`) {
		t.Fatalf("exit %d: %s", code, out)
	}
}

// captureStderr returns what f writes to os.Stderr.
func captureStderr(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stderr
	os.Stderr = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		b.ReadFrom(r)
		done <- b.String()
	}()
	f()
	w.Close()
	os.Stderr = old
	return <-done
}

// The layers issue's check: Caffe's shapes for LeNet and cifar10_quick, their
// parameter counts, and Caffe's rounding up of pooling outputs (16, 8, 4).
func TestSummaryLeNetAndCIFAR10Quick(t *testing.T) {
	lenet := testutil.Path("caffe-examples/examples/mnist/lenet_train_test.prototxt")
	code, out := runCapture(t, "summary", "--model="+lenet, "--phase=TEST", "--shape=data=100,1,28,28", "--shape=label=100")
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	for _, want := range []string{"100×20×24×24", "100×20×12×12", "100×50×8×8", "100×50×4×4", "100×500", "100×10", "Total parameters: 431,080"} {
		if !strings.Contains(out, want) {
			t.Errorf("LeNet summary lacks %q:\n%s", want, out)
		}
	}
	quick := testutil.Path("caffe-examples/examples/cifar10/cifar10_quick_train_test.prototxt")
	code, out = runCapture(t, "summary", "--model="+quick, "--shape=data=100,3,32,32", "--shape=label=100")
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	for _, want := range []string{"100×32×16×16", "100×32×8×8", "100×64×4×4", "Total parameters: 145,578"} {
		if !strings.Contains(out, want) {
			t.Errorf("cifar10_quick summary lacks %q:\n%s", want, out)
		}
	}
}
