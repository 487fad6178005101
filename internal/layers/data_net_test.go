package layers_test

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// caffeTestBatches reads the "Batch i, name = v" lines of a `caffe test` log.
func caffeTestBatches(t *testing.T, path string) []map[string]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	re := regexp.MustCompile(`\] Batch (\d+), (\w+) = (\S+)$`)
	var batches []map[string]float64
	s := bufio.NewScanner(f)
	for s.Scan() {
		m := re.FindStringSubmatch(s.Text())
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		v, _ := strconv.ParseFloat(m[3], 64)
		for len(batches) <= i {
			batches = append(batches, map[string]float64{})
		}
		batches[i][m[2]] = v
	}
	if len(batches) == 0 {
		t.Fatalf("%s: no batch lines", path)
	}
	return batches
}

// TestDataFeedsLeNet runs the TEST phase of Caffe's LeNet on the fixture MNIST
// databases (LMDB and LevelDB, as Caffe's converter wrote them) with Caffe's trained
// weights, and expects `caffe test`'s numbers: every batch's accuracy and loss, and
// the means 0.897 and 0.334043.
func TestDataFeedsLeNet(t *testing.T) {
	for _, tc := range []struct{ prototxt, log string }{
		{"lenet_train_test.prototxt", "test.log"},
		{"lenet_train_test_leveldb.prototxt", "test_leveldb.log"},
	} {
		t.Run(tc.prototxt, func(t *testing.T) {
			// Paths in the prototxt are relative to the working directory, as in Caffe;
			// the databases are opened from a copy (opening a LevelDB rewrites it).
			dir := testutil.CopyDir(t, "fixtures/nets/lenet_mnist")
			t.Chdir(dir)
			param, err := protofile.ReadNetText(tc.prototxt)
			if err != nil {
				t.Fatal(err)
			}
			param.State = &caffepb.NetState{Phase: caffepb.Phase_TEST.Enum()}
			n, err := network.New(param, network.Options{Quiet: true})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			weights, err := protofile.ReadNetBinary("lenet_iter_100.caffemodel")
			if err != nil {
				t.Fatal(err)
			}
			if err := n.CopyTrainedLayersFrom(weights); err != nil {
				t.Fatal(err)
			}
			want := caffeTestBatches(t, filepath.Join(dir, tc.log))
			var accSum, lossSum float64
			for i := 0; i < 10; i++ {
				if _, err := n.Forward(); err != nil {
					t.Fatal(err)
				}
				acc := float64(n.Blob("accuracy").Data[0])
				loss := float64(n.Blob("loss").Data[0])
				if math.Abs(acc-want[i]["accuracy"]) > 1e-6 || math.Abs(loss-want[i]["loss"]) > 1e-4 {
					t.Errorf("batch %d: accuracy %g loss %g, Caffe %g and %g", i, acc, loss, want[i]["accuracy"], want[i]["loss"])
				}
				accSum += acc
				lossSum += loss
			}
			acc, loss := accSum/10, lossSum/10
			t.Logf("accuracy = %g, loss = %g", acc, loss)
			if math.Abs(acc-0.897) > 1e-4 || math.Abs(loss-0.334043) > 1e-4 {
				t.Errorf("accuracy %g, loss %g; Caffe's are 0.897 and 0.334043", acc, loss)
			}
		})
	}
}
