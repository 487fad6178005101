package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/hdf5"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/internal/testutil/testdb"
)

// makeClassificationData writes, with h5py (Debian's python3-h5py), the data of Caffe's
// examples/hdf5_classification as its notebook does: 4 features, 2 classes, gzip-compressed
// data and label datasets, train.txt naming train.h5 twice and test.txt naming test.h5.
func makeClassificationData(t *testing.T, dir string) {
	t.Helper()
	script := `import os, sys
import h5py, numpy as np
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
r = np.random.RandomState(1)
w = np.array([1.5, -2.0, 0.7, 1.0])
def make(n):
    x = r.randn(n, 4).astype(np.float32)
    y = (x.dot(w) + 0.3 * r.randn(n) > 0).astype(np.float32)
    return x, y
for name, n in (("train", 1000), ("test", 500)):
    x, y = make(n)
    path = os.path.join(d, name + ".h5")
    with h5py.File(path, "w") as f:
        f.create_dataset("data", data=x, compression="gzip", compression_opts=1)
        f.create_dataset("label", data=y, compression="gzip", compression_opts=1)
    with open(os.path.join(d, name + ".txt"), "w") as f:
        f.write(path + "\n")
        if name == "train":
            f.write(path + "\n")
`
	if out, err := exec.Command(testdb.Python, "-c", script, dir).CombinedOutput(); err != nil {
		t.Fatalf("h5py (install Debian's python3-h5py): %v\n%s", err, out)
	}
}

// TestHDF5Classification trains Caffe's examples/hdf5_classification net (logistic
// regression, HDF5Data layers) from files h5py wrote, with snapshot_format: HDF5; the test
// net's accuracy ends high; h5dump reads the snapshots; gocaffe test scores the HDF5
// weights as the training run's last test did; a run resumed from the iteration-500
// snapshot ends with the same weights.
func TestHDF5Classification(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	makeClassificationData(t, "examples/hdf5_classification/data")
	net := string(testutil.ReadFile(t, testutil.Path("caffe-examples/examples/hdf5_classification/train_val.prototxt")))
	// The training data shuffled, for the resume below to have something to get right.
	net = strings.Replace(net, "batch_size: 10\n", "batch_size: 10\n    shuffle: true\n", 1)
	os.WriteFile("train_val.prototxt", []byte(net), 0o644)
	os.WriteFile("solver.prototxt", []byte(`net: "train_val.prototxt"
test_iter: 50
test_interval: 500
base_lr: 0.01
lr_policy: "step"
gamma: 0.1
stepsize: 5000
display: 500
max_iter: 1000
momentum: 0.9
weight_decay: 0.0005
snapshot: 500
snapshot_prefix: "logreg"
snapshot_format: HDF5
random_seed: 1701
`), 0o644)
	log, err := gocaffe(t, "train", "--solver=solver.prototxt")
	if err != nil {
		t.Fatal(err)
	}
	accuracy := lastTestOutput(t, log, "accuracy")
	t.Logf("test accuracy %v", accuracy)
	if accuracy < 0.85 {
		t.Errorf("test accuracy %v after 1000 iterations, want at least 0.85", accuracy)
	}
	for _, f := range []string{"logreg_iter_1000.caffemodel.h5", "logreg_iter_1000.solverstate.h5"} {
		out, err := exec.Command("h5dump", "-H", f).CombinedOutput()
		if err != nil {
			t.Fatalf("h5dump %s (install Debian's hdf5-tools): %v\n%s", f, err, out)
		}
		if f == "logreg_iter_1000.caffemodel.h5" && !strings.Contains(string(out), `GROUP "fc1"`) {
			t.Errorf("h5dump %s:\n%s", f, out)
		}
	}
	log, err = gocaffe(t, "test", "--model=train_val.prototxt", "--weights=logreg_iter_1000.caffemodel.h5", "--iterations=50")
	if err != nil {
		t.Fatal(err)
	}
	if _, means := scores(t, log); !testutil.Close(means["accuracy"], accuracy, 1e-6, 0) {
		t.Errorf("gocaffe test with the HDF5 weights: accuracy %v, the training run's last test %v", means["accuracy"], accuracy)
	}

	// Resumed from iteration 500, the shuffled HDF5Data layer reads on where it stood:
	// the same weights at iteration 1000.
	want := readWeights(t, "logreg_iter_1000.caffemodel.h5")
	os.Rename("logreg_iter_1000.caffemodel.h5", "uninterrupted.caffemodel.h5")
	log, err = gocaffe(t, "train", "--solver=solver.prototxt", "--snapshot=logreg_iter_500.solverstate.h5")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log, "Data layer data of the train net resumes after 5000 records") {
		t.Errorf("no resume line for the HDF5Data layer in\n%s", log)
	}
	if got := readWeights(t, "logreg_iter_1000.caffemodel.h5"); !reflect.DeepEqual(got, want) {
		t.Errorf("resumed from an HDF5 snapshot, iteration 1000's weights %v differ from the uninterrupted run's %v", got, want)
	}
}

// lastTestOutput returns the value of the last "Test net output #k: name = v" line.
func lastTestOutput(t *testing.T, log, name string) float64 {
	t.Helper()
	lg := parseLog(t, log)
	if len(lg.Test) == 0 {
		t.Fatalf("no test lines in\n%s", log)
	}
	last := lg.Test[len(lg.Test)-1]
	v, ok := last.Outputs[name]
	if !ok {
		t.Fatalf("the last test has no %s: %+v", name, last)
	}
	return v
}

// TestHDF5SnapshotResume trains LeNet 20 iterations with snapshot_format: HDF5, then
// resumes from the iteration-10 .solverstate.h5 and wants the same iteration-20
// weights, bit for bit (gocaffe's resume state rides in the HDF5 file).
func TestHDF5SnapshotResume(t *testing.T) {
	t.Chdir(testutil.CopyDir(t, "fixtures/nets/lenet_mnist"))
	os.WriteFile("solver_h5.prototxt", []byte(`net: "lenet_train_test.prototxt"
base_lr: 0.01
momentum: 0.9
weight_decay: 0.0005
lr_policy: "inv"
gamma: 0.0001
power: 0.75
display: 5
max_iter: 20
snapshot: 10
snapshot_prefix: "h5/lenet"
snapshot_format: HDF5
random_seed: 1701
`), 0o644)
	os.Mkdir("h5", 0o755)
	if _, err := gocaffe(t, "train", "--solver=solver_h5.prototxt"); err != nil {
		t.Fatal(err)
	}
	want := readWeights(t, "h5/lenet_iter_20.caffemodel.h5")
	os.Rename("h5/lenet_iter_20.caffemodel.h5", "h5/uninterrupted.caffemodel.h5")
	log, err := gocaffe(t, "train", "--solver=solver_h5.prototxt", "--snapshot=h5/lenet_iter_10.solverstate.h5")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log, "resumes after 640 records") {
		t.Errorf("the data layer did not resume where it stopped:\n%s", log)
	}
	got := readWeights(t, "h5/lenet_iter_20.caffemodel.h5")
	if len(got) != 8 {
		t.Fatalf("%d weight blobs, want LeNet's 8", len(got))
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("the resumed run's iteration-20 weights differ from the uninterrupted run's")
	}
}

// readWeights reads every dataset under "data" of a .caffemodel.h5.
func readWeights(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	f, err := hdf5.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := f.Root().Group("data")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, layer := range data.Names() {
		g, err := data.Group(layer)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range g.Names() {
			d, err := g.Dataset(k)
			if err != nil {
				t.Fatal(err)
			}
			if out[filepath.Join(layer, k)], err = d.Float32(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}
