package solver

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// TestCaffeInitialWeights runs the fixtures' seeded solvers with max_iter 0 (random_seed
// 1701; see testdata/fixtures/nets/README.md) and expects Caffe's own iteration-0
// snapshot, byte for byte: LeNet's xavier fillers and cifar10_quick's gaussian ones
// draw what Caffe drew, interleaved as in Caffe with the draws of the data layers'
// setup (the prefetch threads' seeds), train net first, then test net.
func TestCaffeInitialWeights(t *testing.T) {
	for _, tc := range []struct{ dir, solver, snapshot string }{
		{"fixtures/nets/lenet_mnist", "lenet_solver_init.prototxt", "lenet_iter_0.caffemodel"},
		{"fixtures/nets/cifar10_synth", "cifar10_quick_solver_init.prototxt", "cifar10_quick_iter_0.caffemodel"},
	} {
		t.Run(tc.solver, func(t *testing.T) {
			quiet(t)
			t.Chdir(testutil.CopyDir(t, tc.dir))
			p, err := protofile.ReadSolverText(tc.solver)
			if err != nil {
				t.Fatal(err)
			}
			if p.GetRandomSeed() != 1701 || p.GetMaxIter() != 0 {
				t.Fatalf("%s: want random_seed 1701 and max_iter 0", tc.solver)
			}
			s, err := New(p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Solve(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(tc.snapshot)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile("init.caffemodel")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Error(describeWeights(t, tc.snapshot, "init.caffemodel"))
			}
		})
	}
}

// describeWeights says where two weight files first differ: blob and element.
func describeWeights(t *testing.T, gotPath, wantPath string) string {
	got, err := protofile.ReadNetBinary(gotPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := protofile.ReadNetBinary(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	blobs := func(n *caffepb.NetParameter) (names []string, data [][]float32) {
		for _, l := range n.Layer {
			for i, b := range l.Blobs {
				names = append(names, fmt.Sprintf("%s/%d", l.GetName(), i))
				data = append(data, b.Data)
			}
		}
		return names, data
	}
	gn, gd := blobs(got)
	wn, wd := blobs(want)
	for i := range wn {
		if i >= len(gn) || gn[i] != wn[i] || len(gd[i]) != len(wd[i]) {
			return "the files have different blobs: " + gotPath + " " + wantPath
		}
		for j := range wd[i] {
			if gd[i][j] != wd[i][j] {
				return fmt.Sprintf("%s: first difference at element %d of %d (%g, Caffe's %g)", wn[i], j, len(wd[i]), gd[i][j], wd[i][j])
			}
		}
	}
	return "the weights agree but the files differ"
}
