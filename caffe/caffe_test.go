package caffe

import (
	"path/filepath"
	"strings"
	"testing"
)

const (
	lenetDeploy  = "../testdata/caffe-examples/examples/mnist/lenet.prototxt"
	lenetWeights = "../testdata/fixtures/realworld/ethereon_lenet_iter_10000.caffemodel"
)

func TestErrors(t *testing.T) {
	Quiet(true)
	n, err := LoadNet(lenetDeploy, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"no prototxt", func() error { _, err := LoadNet("none.prototxt", Options{}); return err }(), "none.prototxt"},
		{"bad weights", func() error {
			_, err := LoadNet(lenetDeploy, Options{Weights: []string{"../testdata/fixtures/nets/cifar10_synth/cifar10_quick_iter_40.caffemodel"}})
			return err
		}(), "shape mismatch"},
		{"no blob", func() error { _, err := n.MustBlob("fc7"); return err }(), `no blob "fc7"`},
		{"negative shape", n.Blob("data").Reshape(1, -1), "negative"},
		{"classifier output", func() error {
			_, err := NewClassifier(n, ClassifierOptions{Output: "nope"})
			return err
		}(), `"nope"`},
		{"labels", func() error {
			_, err := NewClassifier(n, ClassifierOptions{Labels: []string{"a"}})
			return err
		}(), "1 labels for the 10 classes"},
		{"solver file", func() error { _, err := NewSolver("none_solver.prototxt", SolverOptions{}); return err }(), "none_solver.prototxt"},
	} {
		if tt.err == nil || !strings.Contains(tt.err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, tt.err, tt.want)
		}
	}
}

// TestSaveLoad: weights saved by Net.Save load into a fresh net and give the same outputs.
func TestSaveLoad(t *testing.T) {
	Quiet(true)
	a, err := LoadNet(lenetDeploy, Options{Weights: []string{lenetWeights}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	path := filepath.Join(t.TempDir(), "w.caffemodel")
	if err := a.Save(path); err != nil {
		t.Fatal(err)
	}
	b, err := LoadNet(lenetDeploy, Options{Weights: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, n := range []*Net{a, b} {
		data := n.Blob("data").Data()
		for i := range data {
			data[i] = float32(i%7) / 7
		}
		if _, err := n.Forward(); err != nil {
			t.Fatal(err)
		}
	}
	pa, pb := a.Blob("prob").Data(), b.Blob("prob").Data()
	for i := range pa {
		if pa[i] != pb[i] {
			t.Fatalf("prob[%d]: %v from the saved weights, %v from the originals", i, pb[i], pa[i])
		}
	}
	if got := a.Phase(); got != Test || got.String() != "TEST" {
		t.Errorf("phase %v", got)
	}
	if len(a.LayerNames()) == 0 || a.LayerType("conv1") != "Convolution" || a.LayerType("none") != "" || a.Params("none") != nil {
		t.Error("layer look-ups")
	}
}
