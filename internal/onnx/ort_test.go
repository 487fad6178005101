package onnx

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// nodeModules is where scripts/install-test-deps.sh installs onnxruntime-node.
var nodeModules = filepath.Join(testutil.Root(), "testdata", ".cache", "onnxruntime", "node_modules")

// buildNet builds a deploy net in TEST, with its first input's batch set to batch
// (when positive) and its weights from a .caffemodel or, without one, filled at random
// with a fixed seed.
func buildNet(t *testing.T, prototxt string, batch int, weights string) *network.Net {
	t.Helper()
	param, err := protofile.ReadNetText(prototxt)
	if err != nil {
		t.Fatal(err)
	}
	param.State = &caffepb.NetState{Phase: caffepb.Phase_TEST.Enum()}
	if batch > 0 {
		for _, l := range param.Layer {
			if l.GetType() == "Input" {
				l.InputParam.Shape[0].Dim[0] = int64(batch)
			}
		}
	}
	n, err := network.New(param, network.Options{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	if weights != "" {
		if err := n.CopyTrainedLayersFromFile(weights); err != nil {
			t.Fatal(err)
		}
		return n
	}
	fillRandom(n, 1701)
	return n
}

// fillRandom gives every parameter a value of a plausible scale: weights of variance
// 2/fan-in (activations keep their size through deep nets), small biases, batch-norm
// statistics of a trained net.
func fillRandom(n *network.Net, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0))
	uniform := func(x []float32, lo, hi float64) {
		for i := range x {
			x[i] = float32(lo + (hi-lo)*r.Float64())
		}
	}
	for i := 0; i < n.NumLayers(); i++ {
		ps := n.Layer(i).Params()
		switch n.LayerParam(i).GetType() {
		case "BatchNorm":
			uniform(ps[0].Data, -0.2, 0.2)
			uniform(ps[1].Data, 0.5, 1.5)
			ps[2].Data[0] = 1
		case "Scale":
			for k, p := range ps {
				if k == 0 && len(n.Bottoms(i)) == 1 {
					uniform(p.Data, 0.8, 1.2)
				} else {
					uniform(p.Data, -0.1, 0.1)
				}
			}
		default:
			for k, p := range ps {
				if k == 0 && p.NumAxes() >= 2 {
					std := math.Sqrt(2 / float64(p.CountFrom(1)))
					for j := range p.Data {
						p.Data[j] = float32(r.NormFloat64() * std)
					}
				} else {
					uniform(p.Data, -0.1, 0.1)
				}
			}
		}
	}
}

// writeF32 writes values as raw little-endian float32.
func writeF32(t *testing.T, path string, v []float32) {
	t.Helper()
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

type tensorFile struct {
	Shape []int  `json:"shape"`
	File  string `json:"file"`
}

// runORT runs a model in onnxruntime on the inputs and returns its outputs.
func runORT(t *testing.T, model string, inputs map[string]tensorFile) map[string]tensorFile {
	t.Helper()
	if _, err := os.Stat(filepath.Join(nodeModules, "onnxruntime-node")); err != nil {
		t.Fatalf("onnxruntime-node is not installed in %s: run scripts/install-test-deps.sh (make test does)", nodeModules)
	}
	dir := filepath.Dir(model)
	spec := filepath.Join(dir, "inputs.json")
	b, _ := json.Marshal(inputs)
	if err := os.WriteFile(spec, b, 0o644); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs("testdata/run_ort.js")
	cmd := exec.Command("node", script, model, spec, dir)
	cmd.Env = append(os.Environ(), "NODE_PATH="+nodeModules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("onnxruntime: %v\n%s", err, out)
	}
	var outs map[string]tensorFile
	b, err := os.ReadFile(filepath.Join(dir, "outputs.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &outs); err != nil {
		t.Fatal(err)
	}
	return outs
}

// TestOnnxRuntime exports six nets — LeNet and cifar10_quick with weights trained by
// Caffe, AlexNet, SqueezeNet 1.1, ResNet-50 and GoogLeNet with weights drawn at random
// with a fixed seed — runs each in onnxruntime on the same random input as gocaffe's
// forward pass, and wants every output within 1e-4 of gocaffe's, relative to the
// output's largest value.
func TestOnnxRuntime(t *testing.T) {
	glog.SetQuiet(true)
	defer glog.SetQuiet(false)
	for _, tc := range []struct {
		name, prototxt string
		batch          int
		weights        string
	}{
		{"lenet", "caffe-examples/examples/mnist/lenet.prototxt", 8, "fixtures/realworld/ethereon_lenet_iter_10000.caffemodel"},
		{"cifar10_quick", "caffe-examples/examples/cifar10/cifar10_quick.prototxt", 4, "fixtures/nets/cifar10_synth/cifar10_quick_iter_40.caffemodel"},
		{"alexnet", "caffe-examples/models/bvlc_alexnet/deploy.prototxt", 2, ""},
		{"squeezenet1.1", "fixtures/nets/timing/squeezenet_deploy_b8.prototxt", 2, ""},
		{"resnet50", "fixtures/nets/timing/resnet50_deploy_b1.prototxt", 1, ""},
		{"googlenet", "caffe-examples/models/bvlc_googlenet/deploy.prototxt", 1, ""},
		{"ops", "../internal/onnx/testdata/ops.prototxt", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.batch != 0 && tc.name != "lenet" {
				t.Skip("-short: the full suite also runs cifar10_quick, AlexNet, SqueezeNet, ResNet-50 and GoogLeNet in onnxruntime")
			}
			weights := ""
			if tc.weights != "" {
				weights = testutil.Path(tc.weights)
			}
			n := buildNet(t, testutil.Path(tc.prototxt), tc.batch, weights)
			defer n.Close()
			// The scores before each Softmax too: random nets may saturate it.
			var extra []string
			for i := 0; i < n.NumLayers(); i++ {
				if n.LayerParam(i).GetType() == "Softmax" {
					extra = append(extra, n.BottomNames(i)[0])
				}
			}
			m, err := Export(n, Options{ProducerVersion: "test", Outputs: extra})
			if err != nil {
				t.Fatal(err)
			}
			data, err := Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			model := filepath.Join(dir, tc.name+".onnx")
			if err := os.WriteFile(model, data, 0o644); err != nil {
				t.Fatal(err)
			}

			r := rand.New(rand.NewPCG(42, 0))
			inputs := map[string]tensorFile{}
			for _, name := range n.Inputs() {
				b := n.Blob(name)
				for i := range b.Data {
					b.Data[i] = float32(r.Float64())
				}
				file := filepath.Join(dir, name+".in.f32")
				writeF32(t, file, b.Data)
				inputs[name] = tensorFile{Shape: b.Shape(), File: file}
			}
			if _, err := n.Forward(); err != nil {
				t.Fatal(err)
			}
			outs := runORT(t, model, inputs)
			outputs := append(n.Outputs(), extra...)
			if len(outs) != len(outputs) {
				t.Errorf("onnxruntime gives %d outputs, want %d (%v)", len(outs), len(outputs), outputs)
			}
			for _, name := range outputs {
				o, ok := outs[name]
				if !ok {
					t.Errorf("onnxruntime gives no output %q", name)
					continue
				}
				want := n.Blob(name)
				if !reflect.DeepEqual(o.Shape, want.Shape()) {
					t.Errorf("%s: onnxruntime's shape %v, gocaffe's %v", name, o.Shape, want.Shape())
					continue
				}
				got := readF32(t, o.File)
				if err := relClose(got, want.Data, 1e-4); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
		})
	}
}

// relClose reports whether every got[i] is within tol·max|want| of want[i].
func relClose(got, want []float32, tol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d values, want %d", len(got), len(want))
	}
	var scale float64
	for _, w := range want {
		scale = math.Max(scale, math.Abs(float64(w)))
	}
	worst, at := 0.0, -1
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) || d > worst {
			worst, at = d, i
		}
	}
	if at >= 0 && (math.IsNaN(worst) || worst > tol*scale) {
		return fmt.Errorf("value %d is %v in onnxruntime, %v in gocaffe: off by %.3g of the largest value %.4g (tolerance %g)",
			at, got[at], want[at], worst/scale, scale, tol)
	}
	return nil
}
