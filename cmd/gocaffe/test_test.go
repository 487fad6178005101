package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

// scoreLines reads the lines of a `caffe test` log after the glog prefix: the
// per-batch lines and the summary.
var (
	batchLine   = regexp.MustCompile(`\] Batch (\d+), (\S+) = (\S+)`)
	summaryLine = regexp.MustCompile(`\] (\S+) = (\S+)( \(\* 1 = \S+ loss\))?$`)
	lossLine    = regexp.MustCompile(`\] Loss: (\S+)`)
)

// scores returns the per-batch values (name → values by batch) and the final mean
// of each output and the loss, as a `caffe test` log prints them.
func scores(t *testing.T, log string) (batches map[string][]float64, means map[string]float64) {
	t.Helper()
	batches, means = map[string][]float64{}, map[string]float64{}
	for _, line := range strings.Split(log, "\n") {
		if m := batchLine.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(m[3], 64)
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			batches[m[2]] = append(batches[m[2]], v)
		} else if m := lossLine.FindStringSubmatch(line); m != nil {
			means["Loss:"], _ = strconv.ParseFloat(m[1], 64)
		} else if m := summaryLine.FindStringSubmatch(line); m != nil {
			if v, err := strconv.ParseFloat(m[2], 64); err == nil {
				means[m[1]] = v
			}
		}
	}
	return batches, means
}

// TestTestCommand scores Caffe's iteration-100 LeNet weights on the LMDB and the
// LevelDB test set: accuracy 0.897 and loss 0.334043, batch by batch as in Caffe's
// test.log and test_leveldb.log.
func TestTestCommand(t *testing.T) {
	for _, tt := range []struct{ model, caffeLog string }{
		{"lenet_train_test.prototxt", "test.log"},
		{"lenet_train_test_leveldb.prototxt", "test_leveldb.log"},
	} {
		t.Run(tt.model, func(t *testing.T) {
			t.Chdir(testutil.CopyDir(t, "fixtures/nets/lenet_mnist"))
			log, err := gocaffe(t, "test", "-model", tt.model, "-weights", "lenet_iter_100.caffemodel", "-iterations", "10")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(log, "] Running for 10 iterations.\n") {
				t.Error("no Running line")
			}
			gotBatches, got := scores(t, log)
			wantBatches, want := scores(t, string(readFile(t, tt.caffeLog)))
			for _, k := range []string{"accuracy", "loss", "Loss:"} {
				if !testutil.Close(got[k], want[k], 1e-4, 0) {
					t.Errorf("%s %v, Caffe prints %v", k, got[k], want[k])
				}
			}
			if want["accuracy"] != 0.897 || want["loss"] != 0.334043 {
				t.Fatalf("Caffe's log read wrongly: %v", want)
			}
			for _, k := range []string{"accuracy", "loss"} {
				if len(gotBatches[k]) != 10 {
					t.Fatalf("%d batches of %s", len(gotBatches[k]), k)
				}
				for i, w := range wantBatches[k] {
					if !testutil.Close(gotBatches[k][i], w, 1e-4, 0) {
						t.Errorf("batch %d: %s %v, Caffe's %v", i, k, gotBatches[k][i], w)
					}
				}
			}
		})
	}
}

func TestTestCommandErrors(t *testing.T) {
	t.Chdir(testutil.CopyDir(t, "fixtures/nets/lenet_mnist"))
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"test", "-weights", "w"}, "need a model definition"},
		{[]string{"test", "-model", "lenet_train_test.prototxt"}, "need model weights"},
		{[]string{"test", "-model", "lenet_train_test.prototxt", "-weights", "none.caffemodel"}, "none.caffemodel"},
		{[]string{"test", "-model", "lenet_train_test.prototxt", "-weights", "lenet_iter_100.caffemodel", "-iterations", "0"}, "--iterations must be at least 1"},
	} {
		_, err := gocaffe(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.want)
		}
	}
}
