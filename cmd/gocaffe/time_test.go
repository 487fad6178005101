package main

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

// timeRows returns the per-layer rows of a `caffe time` log: the message after the
// glog prefix, with the milliseconds left out.
func timeRows(log string) []string {
	row := regexp.MustCompile(`\] (\s*\S+\t(forward|backward): )[-0-9.e+]+ ms\.$`)
	var rows []string
	for _, line := range strings.Split(log, "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			rows = append(rows, m[1])
		}
	}
	return rows
}

// TestTimeCommand times LeNet and cifar10_quick and wants Caffe's table: a forward
// and a backward row per layer, Split layers included, names right-aligned in 10
// columns, and the totals.
func TestTimeCommand(t *testing.T) {
	for _, tt := range []struct{ dir, model string }{
		{"fixtures/nets/lenet_mnist", "lenet_train_test.prototxt"},
		{"fixtures/nets/cifar10_synth", "cifar10_quick_train_test.prototxt"},
	} {
		t.Run(tt.model, func(t *testing.T) {
			t.Chdir(testutil.CopyDir(t, tt.dir))
			log, err := gocaffe(t, "time", "-model", tt.model, "-iterations", "2")
			if err != nil {
				t.Fatal(err)
			}
			got, want := timeRows(log), timeRows(string(testutil.ReadFile(t, "time_1thread.log")))
			if len(want) == 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("rows\n%q\nCaffe's\n%q", got, want)
			}
			for _, line := range []string{"] Performing Forward\n", "] Initial loss: ", "] Performing Backward\n",
				"] *** Benchmark begins ***\n", "] Testing for 2 iterations.\n", "] Iteration: 2 forward-backward time: ",
				"] Average time per layer: \n", "] Average Forward pass: ", "] Average Backward pass: ",
				"] Average Forward-Backward: ", "] Total Time: ", "] *** Benchmark ends ***\n"} {
				if !strings.Contains(log, line) {
					t.Errorf("the log lacks %q", line)
				}
			}
		})
	}
}

func TestTimeCommandErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"time"}, "need a model definition"},
		{[]string{"time", "-model", "x.prototxt", "-phase", "VAL"}, "phase must be TRAIN or TEST"},
		{[]string{"time", "-model", "x.prototxt"}, "x.prototxt"},
	} {
		_, err := gocaffe(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.want)
		}
	}
}
