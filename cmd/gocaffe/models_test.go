package main

import (
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// TestModels checks the nets and solvers of models/ against Caffe's examples: the
// same layers and settings, only the data paths moved to where scripts/ writes the
// data, and the deploy nets build.
func TestModels(t *testing.T) {
	root := testutil.Root()
	examples := testutil.Path("caffe-examples/examples")
	for _, tt := range []struct {
		ours, caffe string
		paths       *strings.Replacer // Caffe's data paths → ours
	}{
		{"models/lenet/lenet_train_test.prototxt", "mnist/lenet_train_test.prototxt",
			strings.NewReplacer("examples/mnist/", "data/mnist/")},
		{"models/lenet/lenet.prototxt", "mnist/lenet.prototxt", nil},
		{"models/cifar10_quick/cifar10_quick_train_test.prototxt", "cifar10/cifar10_quick_train_test.prototxt",
			strings.NewReplacer("examples/cifar10/", "data/cifar10/")},
		{"models/cifar10_quick/cifar10_quick.prototxt", "cifar10/cifar10_quick.prototxt", nil},
	} {
		ours, err := protofile.ReadNetText(filepath.Join(root, tt.ours))
		if err != nil {
			t.Fatal(err)
		}
		caffe, err := protofile.ReadNetText(filepath.Join(examples, tt.caffe))
		if err != nil {
			t.Fatal(err)
		}
		if tt.paths != nil {
			for _, l := range caffe.Layer {
				if dp := l.GetDataParam(); dp != nil {
					dp.Source = proto.String(tt.paths.Replace(dp.GetSource()))
				}
				if tp := l.GetTransformParam(); tp != nil && tp.MeanFile != nil {
					tp.MeanFile = proto.String(tt.paths.Replace(tp.GetMeanFile()))
				}
			}
		}
		if !proto.Equal(ours, caffe) {
			t.Errorf("%s differs from Caffe's %s beyond the data paths", tt.ours, tt.caffe)
		}
		if tt.paths == nil {
			ours.State = &caffepb.NetState{Phase: caffepb.Phase_TEST.Enum()}
			n, err := network.New(ours, network.Options{Quiet: true})
			if err != nil {
				t.Fatalf("%s: %v", tt.ours, err)
			}
			if got := n.Outputs(); len(got) != 1 || got[0] != "prob" || n.Blob("prob").Count()%10 != 0 {
				t.Errorf("%s: outputs %v", tt.ours, got)
			}
			n.Close()
		}
	}

	for _, tt := range []struct {
		ours, caffe string
		want        func(p *caffepb.SolverParameter)
	}{
		// Caffe's LeNet solver, on the CPU with a fixed seed.
		{"models/lenet/lenet_solver.prototxt", "mnist/lenet_solver.prototxt", func(p *caffepb.SolverParameter) {
			p.SolverMode = caffepb.SolverParameter_CPU.Enum()
			p.RandomSeed = proto.Int64(1701)
		}},
		// The short run of `make demo`.
		{"models/lenet/lenet_demo_solver.prototxt", "mnist/lenet_solver.prototxt", func(p *caffepb.SolverParameter) {
			p.SolverMode = caffepb.SolverParameter_CPU.Enum()
			p.RandomSeed = proto.Int64(1701)
			p.TestInterval = proto.Int32(250)
			p.Display = proto.Int32(50)
			p.MaxIter = proto.Int32(500)
			p.Snapshot = nil
			p.SnapshotPrefix = proto.String("examples/mnist/lenet_demo")
		}},
		// Caffe's two cifar10_quick stages as one multistep run, snapshots every 1,000.
		{"models/cifar10_quick/cifar10_quick_solver.prototxt", "cifar10/cifar10_quick_solver.prototxt", func(p *caffepb.SolverParameter) {
			p.SolverMode = caffepb.SolverParameter_CPU.Enum()
			p.RandomSeed = proto.Int64(1701)
			p.LrPolicy = proto.String("multistep")
			p.Gamma = proto.Float32(0.1)
			p.Stepvalue = []int32{4000}
			p.MaxIter = proto.Int32(5000)
			p.Snapshot = proto.Int32(1000)
		}},
	} {
		ours, err := protofile.ParseSolverText(tt.ours, testutil.ReadFile(t, filepath.Join(root, tt.ours)))
		if err != nil {
			t.Fatal(err)
		}
		caffe, err := protofile.ParseSolverText(tt.caffe, testutil.ReadFile(t, filepath.Join(examples, tt.caffe)))
		if err != nil {
			t.Fatal(err)
		}
		tt.want(caffe)
		dir := filepath.Dir(tt.ours)
		caffe.Net = proto.String(dir + "/" + filepath.Base(caffe.GetNet()))
		caffe.SnapshotPrefix = proto.String(strings.TrimSuffix(dir+"/"+filepath.Base(caffe.GetSnapshotPrefix()), "_iter"))
		if !proto.Equal(ours, caffe) {
			t.Errorf("%s:\n%s\nwant\n%s", tt.ours, protofile.MarshalText(ours), protofile.MarshalText(caffe))
		}
	}
}
