package solver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// augmentedLeNet returns the fixture's LeNet with everything random a training run
// has: random crops and mirrors in the data layers (mirroring draws in TEST too, as
// in Caffe) and dropout after ip1.
func augmentedLeNet(t *testing.T) *caffepb.NetParameter {
	t.Helper()
	np, err := protofile.ReadNetText("lenet_train_test.prototxt")
	if err != nil {
		t.Fatal(err)
	}
	var out []*caffepb.LayerParameter
	for _, l := range np.Layer {
		if l.GetType() == "Data" {
			l.TransformParam.CropSize = proto.Uint32(24)
			l.TransformParam.Mirror = proto.Bool(true)
		}
		out = append(out, l)
		if l.GetName() == "relu1" {
			out = append(out, &caffepb.LayerParameter{
				Name: proto.String("drop1"), Type: proto.String("Dropout"),
				Bottom: []string{"ip1"}, Top: []string{"ip1"},
				DropoutParam: &caffepb.DropoutParameter{DropoutRatio: proto.Float32(0.5)},
			})
		}
	}
	np.Layer = out
	return np
}

// TestExactResumeLeNet stops a LeNet run with crop, mirror and dropout at iteration
// 50 and resumes it: iterations 50–99 must repeat the uninterrupted run's losses bit
// for bit, and the final snapshots must be the same files. The test net reads 3 of
// its 10 batches per test, so its cursor must be restored too.
func TestExactResumeLeNet(t *testing.T) {
	testutil.SkipShort(t, "a 100-iteration LeNet run against one stopped at 50 and resumed, bit for bit")
	if !layers.Registered("Data") || !layers.Registered("Convolution") || !layers.Registered("Pooling") {
		t.Fatal("LeNet needs the Data, Convolution and Pooling layers")
	}
	quiet(t)
	t.Chdir(testutil.CopyDir(t, "fixtures/nets/lenet_mnist"))
	param := lenetParam(augmentedLeNet(t), 100, 50, "full")
	param.TestIter, param.TestInterval, param.Display = []int32{3}, proto.Int32(25), proto.Int32(10)
	var full, resumed []float32
	s, err := New(param, Options{OnLoss: func(_ int, l float32) { full = append(full, l) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Solve(); err != nil {
		t.Fatal(err)
	}
	st, err := protofile.ReadSolverState("full_iter_50.solverstate")
	if err != nil {
		t.Fatal(err)
	}
	var positions []string
	for _, p := range st.GetGocaffeResume().GetDataPosition() {
		positions = append(positions, fmt.Sprintf("%s/%s@%d", p.GetNet(), p.GetLayer(), p.GetConsumed()))
	}
	// 50 batches of 64 train records; 2 tests (at 0 and 25) of 3 batches of 100.
	if want := []string{"train/mnist@3200", "test#0/mnist@600"}; !reflect.DeepEqual(positions, want) {
		t.Errorf("saved positions %v, want %v", positions, want)
	}

	param.SnapshotPrefix = proto.String("resumed")
	r, err := New(param, Options{OnLoss: func(_ int, l float32) { resumed = append(resumed, l) }})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Restore("full_iter_50.solverstate"); err != nil {
		t.Fatal(err)
	}
	if err := r.Solve(); err != nil {
		t.Fatal(err)
	}
	if len(full) != 100 || !reflect.DeepEqual(resumed, full[50:]) {
		t.Errorf("iterations 50–99: resumed losses\n%v\nuninterrupted\n%v", resumed, full[min(50, len(full)):])
	}
	a, err := os.ReadFile("full_iter_100.caffemodel")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("resumed_iter_100.caffemodel")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the final weights differ")
	}
}

// TestRepeatAndResumeLeNet holds both numerics to exact repetition: two
// runs of 50 LeNet iterations (crop, mirror, dropout) write the same .caffemodel,
// and a run stopped at 25 and resumed writes it too.
func TestRepeatAndResumeLeNet(t *testing.T) {
	testutil.SkipShort(t, "two 50-iteration LeNet runs and a resumed one writing the same weights, in both numerics")
	quiet(t)
	t.Chdir(testutil.CopyDir(t, "fixtures/nets/lenet_mnist"))
	for _, mode := range numerics.Modes {
		t.Run(mode.String(), func(t *testing.T) {
			defer numerics.Set(numerics.Set(mode))
			param := lenetParam(augmentedLeNet(t), 50, 25, "")
			param.TestInterval, param.Display = proto.Int32(20), nil

			run := func(prefix, from string) []byte {
				t.Helper()
				param.SnapshotPrefix = proto.String(mode.String() + "_" + prefix)
				s, err := New(param, Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if from != "" {
					if err := s.Restore(from); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.Solve(); err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(*param.SnapshotPrefix + "_iter_50.caffemodel")
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			first := run("first", "")
			if second := run("second", ""); !bytes.Equal(first, second) {
				t.Error("two runs of the same 50 iterations wrote different weights")
			}
			if resumed := run("resumed", mode.String()+"_first_iter_25.solverstate"); !bytes.Equal(first, resumed) {
				t.Error("the run resumed at iteration 25 wrote other weights than the straight run")
			}
		})
	}
}

// TestCaffeExampleSolvers builds the nets of Caffe's consolidated LeNet solver (a V1
// net inside the solver, two test nets chosen by stage) and of the MNIST
// autoencoder solver (a net file, two test nets by stage), as Caffe does.
func TestCaffeExampleSolvers(t *testing.T) {
	quiet(t)
	dir := t.TempDir()
	// The solvers' paths are relative to Caffe's root: give them the fixture's
	// databases where they look.
	mnist := filepath.Join(dir, "examples", "mnist")
	if err := os.MkdirAll(mnist, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{"mnist_train_lmdb", "mnist_test_lmdb"} {
		if err := os.Rename(testutil.CopyDir(t, "fixtures/nets/lenet_mnist/"+db), filepath.Join(mnist, db)); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"mnist_autoencoder.prototxt", "lenet_consolidated_solver.prototxt", "mnist_autoencoder_solver.prototxt"} {
		data, err := os.ReadFile(testutil.Path("caffe-examples/examples/mnist/" + f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mnist, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)

	lenetTest := summaryNames(t, "lenet_train_test_test")
	autoencoder := summaryNames(t, "mnist_autoencoder_test")
	tests := []struct {
		solver string
		// per net (train, test#0, test#1): the data layer's source and batch size,
		// and the layers (as Caffe's summary fixtures list them)
		sources []string
		batch   []int
		layers  [][]string
		// the outputs of the train net and of the test nets
		trainOutputs, testOutputs []string
	}{
		{"examples/mnist/lenet_consolidated_solver.prototxt",
			[]string{"examples/mnist/mnist_train_lmdb", "examples/mnist/mnist_test_lmdb", "examples/mnist/mnist_train_lmdb"},
			// Its accuracy layer has no phase rule: the train net has it too.
			[]int{64, 100, 100}, [][]string{lenetTest, lenetTest, lenetTest},
			[]string{"accuracy", "loss"}, []string{"accuracy", "loss"}},
		{"examples/mnist/mnist_autoencoder_solver.prototxt",
			[]string{"examples/mnist/mnist_train_lmdb", "examples/mnist/mnist_train_lmdb", "examples/mnist/mnist_test_lmdb"},
			[]int{100, 100, 100}, [][]string{autoencoder, autoencoder, autoencoder},
			[]string{"cross_entropy_loss", "l2_error"}, []string{"cross_entropy_loss", "l2_error"}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.solver), func(t *testing.T) {
			p, err := protofile.ReadSolverText(tt.solver)
			if err != nil {
				t.Fatal(err)
			}
			s, err := New(p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			all := append([]*network.Net{s.Net()}, s.TestNets()...)
			if len(all) != 3 {
				t.Fatalf("%d nets, want a train net and two test nets", len(all))
			}
			for i, n := range all {
				lp := n.LayerParam(0)
				if lp.GetType() != "Data" || lp.GetDataParam().GetSource() != tt.sources[i] || int(lp.GetDataParam().GetBatchSize()) != tt.batch[i] {
					t.Errorf("net %d reads %s in batches of %d, want %s in %d", i,
						lp.GetDataParam().GetSource(), lp.GetDataParam().GetBatchSize(), tt.sources[i], tt.batch[i])
				}
				var names []string
				for j := 0; j < n.NumLayers(); j++ {
					names = append(names, n.LayerName(j))
				}
				if !reflect.DeepEqual(names, tt.layers[i]) {
					t.Errorf("net %d has layers\n%v\nCaffe builds\n%v", i, names, tt.layers[i])
				}
				want := tt.testOutputs
				if i == 0 {
					want = tt.trainOutputs
				}
				if got := n.Outputs(); !reflect.DeepEqual(got, want) {
					t.Errorf("net %d outputs %v, want %v", i, got, want)
				}
			}
		})
	}
}

// summaryNames returns the layer names of one of Caffe's net summaries.
func summaryNames(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(testutil.Path("fixtures/summary/" + name + ".json"))
	if err != nil {
		t.Fatal(err)
	}
	var summary struct {
		Layers []struct{ Name string }
	}
	if err := json.Unmarshal(data, &summary); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range summary.Layers {
		names = append(names, l.Name)
	}
	return names
}
