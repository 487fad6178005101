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

// TestTestCommand scores Caffe's trained weights as `caffe test` did: LeNet's
// iteration-100 weights on the LMDB and the LevelDB test set (accuracy 0.897, loss
// 0.334043) and cifar10_quick's iteration-40 weights (mean file, padding, average
// pooling: accuracy 0.866, loss 0.41029), batch by batch as in Caffe's logs.
func TestTestCommand(t *testing.T) {
	for _, tt := range []struct {
		dir, model, weights, caffeLog, iterations string
		accuracy, loss                            float64
	}{
		{"lenet_mnist", "lenet_train_test.prototxt", "lenet_iter_100.caffemodel", "test.log", "10", 0.897, 0.334043},
		{"lenet_mnist", "lenet_train_test_leveldb.prototxt", "lenet_iter_100.caffemodel", "test_leveldb.log", "10", 0.897, 0.334043},
		{"cifar10_synth", "cifar10_quick_train_test.prototxt", "cifar10_quick_iter_40.caffemodel", "test.log", "5", 0.866, 0.41029},
	} {
		t.Run(tt.dir+"/"+tt.model, func(t *testing.T) {
			if testing.Short() && tt.model != "lenet_train_test.prototxt" {
				t.Skip("-short: the full suite also scores the LevelDB test set and cifar10_quick")
			}
			t.Chdir(testutil.CopyDir(t, "fixtures/nets/"+tt.dir))
			log, err := gocaffe(t, "test", "-model", tt.model, "-weights", tt.weights, "-iterations", tt.iterations)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(log, "] Running for "+tt.iterations+" iterations.\n") {
				t.Error("no Running line")
			}
			gotBatches, got := scores(t, log)
			wantBatches, want := scores(t, string(testutil.ReadFile(t, tt.caffeLog)))
			if want["accuracy"] != tt.accuracy || want["loss"] != tt.loss {
				t.Fatalf("Caffe's log read wrongly: %v", want)
			}
			for _, k := range []string{"accuracy", "loss", "Loss:"} {
				if !testutil.Close(got[k], want[k], 1e-4, 0) {
					t.Errorf("%s %v, Caffe prints %v", k, got[k], want[k])
				}
			}
			n, _ := strconv.Atoi(tt.iterations)
			for _, k := range []string{"accuracy", "loss"} {
				if len(gotBatches[k]) != n {
					t.Fatalf("%d batches of %s, want %d", len(gotBatches[k]), k, n)
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
