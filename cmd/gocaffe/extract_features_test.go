package main

import (
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/caffe"
	"github.com/gocaffe/gocaffe/internal/features"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/io/npy"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/internal/testutil/testdb"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// forwardValues runs the net forward batches times, as extract_features does, and
// returns each blob's values of every batch, one after the other, with the blob's shape.
func forwardValues(t *testing.T, model, weights string, blobs []string, batches int) (map[string][]float32, map[string][]int) {
	t.Helper()
	n, err := caffe.LoadNet(model, caffe.Options{Phase: caffe.Test, Weights: []string{weights}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	vals, shapes := map[string][]float32{}, map[string][]int{}
	for i := 0; i < batches; i++ {
		if _, err := n.Forward(); err != nil {
			t.Fatal(err)
		}
		for _, b := range blobs {
			vals[b] = append(vals[b], n.Blob(b).Data()...)
			shapes[b] = n.Blob(b).Shape()
		}
	}
	return vals, shapes
}

// checkDatums checks records against the values of a blob: keys 0000000000 on, a Datum
// per item with the blob's legacy dimensions and its values as float_data.
func checkDatums(t *testing.T, who string, recs []testdb.Record, vals []float32, shape []int) {
	t.Helper()
	per := 1
	for _, d := range shape[1:] {
		per *= d
	}
	if len(recs)*per != len(vals) {
		t.Fatalf("%s: %d records of %d values, the forward passes made %d values", who, len(recs), per, len(vals))
	}
	dims := append(append([]int(nil), shape...), 1, 1, 1)
	for i, r := range recs {
		if string(r.Key) != fmt.Sprintf("%010d", i) {
			t.Fatalf("%s: record %d has key %q", who, i, r.Key)
		}
		var d caffepb.Datum
		if err := datum.Unmarshal(r.Value, &d); err != nil {
			t.Fatal(err)
		}
		if int(d.GetChannels()) != dims[1] || int(d.GetHeight()) != dims[2] || int(d.GetWidth()) != dims[3] {
			t.Fatalf("%s: record %d is %d×%d×%d, the blob %v", who, i, d.GetChannels(), d.GetHeight(), d.GetWidth(), shape)
		}
		if !reflect.DeepEqual(d.FloatData, vals[i*per:(i+1)*per]) {
			t.Fatalf("%s: record %d holds other values than the forward pass", who, i)
		}
	}
}

// TestExtractFeatures: what extract_features stores, read back — by gocaffe's readers,
// by python3-lmdb and by numpy — equals the blobs of forward passes of the same net: a
// 2-D blob (ip2) and a 4-D one (pool1) of LeNet over two batches of the MNIST test set.
func TestExtractFeatures(t *testing.T) {
	t.Chdir(testutil.CopyDir(t, "fixtures/nets/lenet_mnist"))
	const model, weights = "lenet_train_test.prototxt", "lenet_iter_100.caffemodel"
	blobs := []string{"ip2", "pool1"}
	want, shapes := forwardValues(t, model, weights, blobs, 2)

	t.Run("lmdb, Caffe's arguments", func(t *testing.T) {
		if _, err := gocaffe(t, "extract_features", weights, model, "ip2,pool1", "ip2_lmdb,pool1_lmdb", "2", "lmdb", "CPU"); err != nil {
			t.Fatal(err)
		}
		for _, b := range blobs {
			checkDatums(t, "gocaffe's reader", testdb.Read(t, b+"_lmdb", db.LMDB), want[b], shapes[b])
			checkDatums(t, "python3-lmdb", testdb.PythonLMDB(t, b+"_lmdb"), want[b], shapes[b])
		}
	})
	t.Run("leveldb", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short: the full suite also writes the features as a LevelDB")
		}
		if _, err := gocaffe(t, "extract_features", "--weights="+weights, "--model="+model, "--blobs=ip2",
			"--outputs=ip2_leveldb", "--iterations=2", "--format=leveldb"); err != nil {
			t.Fatal(err)
		}
		checkDatums(t, "gocaffe's reader", testdb.Read(t, "ip2_leveldb", db.LevelDB), want["ip2"], shapes["ip2"])
	})
	t.Run("npy", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short: the full suite also writes the features as .npy files")
		}
		log, err := gocaffe(t, "extract_features", "--weights="+weights, "--model="+model, "--blobs=ip2,pool1",
			"--outputs=ip2,feat/pool1.npy", "--iterations=2", "--format=npy")
		if err == nil || !strings.Contains(err.Error(), "feat") {
			t.Fatalf("a missing folder: error %v", err)
		}
		os.Mkdir("feat", 0o755)
		log, err = gocaffe(t, "extract_features", "--weights="+weights, "--model="+model, "--blobs=ip2,pool1",
			"--outputs=ip2,feat/pool1.npy", "--iterations=2", "--format=npy")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log, "Extracted features of 200 query images for feature blob pool1") {
			t.Errorf("no summary line in\n%s", log)
		}
		for b, path := range map[string]string{"ip2": "ip2.npy", "pool1": "feat/pool1.npy"} {
			shape, vals, err := npy.Read(path)
			if err != nil {
				t.Fatal(err)
			}
			wantShape := append([]int{2 * shapes[b][0]}, shapes[b][1:]...)
			if !reflect.DeepEqual(shape, wantShape) || !reflect.DeepEqual(vals, want[b]) {
				t.Errorf("%s: shape %v, want %v; values equal: %v", path, shape, wantShape, reflect.DeepEqual(vals, want[b]))
			}
			out, err := exec.Command(testdb.Python, "-c", "import sys, numpy; a = numpy.load(sys.argv[1]); print(a.dtype, list(a.shape))", path).CombinedOutput()
			if err != nil {
				t.Fatalf("numpy: %v\n%s", err, out)
			}
			if got := strings.TrimSpace(string(out)); got != "float32 "+strings.ReplaceAll(fmt.Sprint(wantShape), " ", ", ") {
				t.Errorf("numpy reads %s as %s", path, got)
			}
		}
	})
}

func TestExtractFeaturesErrors(t *testing.T) {
	t.Chdir(testutil.CopyDir(t, "fixtures/nets/lenet_mnist"))
	const model, weights = "lenet_train_test.prototxt", "lenet_iter_100.caffemodel"
	os.Mkdir("exists", 0o755)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{weights, model, "ip2", "out", "1"}, "6 to 8"},
		{[]string{weights, model, "ip2,ip1", "out", "1", "lmdb"}, "2 blobs and 1 outputs"},
		{[]string{weights, model, "fc7", "out", "1", "lmdb"}, `unknown feature blob name "fc7"`},
		{[]string{weights, model, "ip2", "out", "x", "lmdb"}, "not an integer"},
		{[]string{weights, model, "ip2", "out", "0", "lmdb"}, "at least 1"},
		{[]string{weights, model, "ip2", "out", "1", "hdf5"}, "unknown output format"},
		{[]string{weights, model, "ip2", "out", "1", "lmdb", "TPU"}, "want CPU or GPU"},
		{[]string{weights, model, "ip2", "exists", "1", "lmdb"}, "exists"},
		{[]string{"none.caffemodel", model, "ip2", "out", "1", "lmdb"}, "none.caffemodel"},
		{[]string{"--model=" + model, "--weights=" + weights, "--blobs=ip2"}, "--outputs"},
		{[]string{"--model=" + model, weights, model, "ip2", "out", "1", "lmdb"}, "--model given with Caffe's positional"},
	} {
		_, err := gocaffe(t, append([]string{"extract_features"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.want)
		}
	}
	if _, err := os.Stat("out"); err == nil {
		t.Error("a failed run left its output behind")
	}
}

func TestFeatureKeys(t *testing.T) {
	for i, want := range map[int]string{0: "0000000000", 42: "0000000042", 1234567890: "1234567890"} {
		if got := features.Key(i); got != want {
			t.Errorf("Key(%d) = %q, want %q", i, got, want)
		}
	}
}
