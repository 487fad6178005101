//go:build unix

package main

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/gocaffe/gocaffe/internal/glog"
)

// signaller is a log writer that sends the process a signal when a line containing
// a trigger is written, each trigger once.
type signaller struct {
	buf      bytes.Buffer
	triggers []string
	signals  []syscall.Signal
}

func (s *signaller) Write(p []byte) (int, error) {
	s.buf.Write(p)
	for i, tr := range s.triggers {
		if tr != "" && bytes.Contains(p, []byte(tr)) {
			s.triggers[i] = ""
			syscall.Kill(os.Getpid(), s.signals[i])
		}
	}
	return len(p), nil
}

// tinySolver trains a tiny net on random data without end (max_iter 10⁸), with a display
// line every iteration: a run for signals to stop.
const tinySolver = `net_param {
  name: "tiny"
  layer { name: "data" type: "DummyData" top: "x" top: "y"
    dummy_data_param { shape { dim: 4 dim: 3 } shape { dim: 4 dim: 1 } data_filler { type: "gaussian" } data_filler { type: "gaussian" } } }
  layer { name: "ip" type: "InnerProduct" bottom: "x" top: "ip" inner_product_param { num_output: 1 weight_filler { type: "gaussian" } } }
  layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "y" top: "loss" }
}
base_lr: 0.01 lr_policy: "fixed" display: 1 max_iter: 100000000 snapshot_prefix: "tiny"
`

// writeTinySolver writes tinySolver to tiny_solver.prototxt.
func writeTinySolver(t *testing.T) {
	t.Helper()
	if err := os.WriteFile("tiny_solver.prototxt", []byte(tinySolver), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTrainSignals sends SIGHUP (snapshot, by default) and then SIGINT (stop, by
// default) to a long training run, as a user at the terminal would.
func TestTrainSignals(t *testing.T) {
	t.Chdir(t.TempDir())
	writeTinySolver(t)
	// The handlers are in place from before the solver is built, so the signals
	// sent once training logs its iterations reach them, not the default action.
	// SIGINT goes once SIGHUP's snapshot is written.
	w := &signaller{triggers: []string{"] Iteration 5 (", "] Snapshotting solver state"}, signals: []syscall.Signal{syscall.SIGHUP, syscall.SIGINT}}
	prev := glog.SetOutput(w)
	err := execute("train", "--solver=tiny_solver.prototxt")
	glog.SetOutput(prev)
	if err != nil {
		t.Fatal(err)
	}
	log := w.buf.String()
	hup := regexp.MustCompile(`Snapshotting to binary proto file tiny_iter_(\d+)\.caffemodel`).FindAllStringSubmatch(log, -1)
	if len(hup) != 2 {
		t.Fatalf("%d snapshots, want one for SIGHUP and one at the stop:\n%s", len(hup), log)
	}
	if !strings.Contains(log, "Optimization stopped early.") {
		t.Error("no early stop")
	}
	for _, m := range hup {
		if _, err := os.Stat("tiny_iter_" + m[1] + ".solverstate"); err != nil {
			t.Error(err)
		}
	}
}

// TestTrainSIGTERM: SIGTERM — what docker stop, Slurm and
// systemd send — stopped the run at once, without a snapshot. Now it stops as SIGINT
// does, after a snapshot, unless --sigterm_effect says otherwise.
func TestTrainSIGTERM(t *testing.T) {
	for _, tc := range []struct {
		effect    string
		snapshots int
		stopped   bool
	}{
		{"", 1, true},
		{"snapshot", 2, true}, // a snapshot at SIGTERM; SIGINT then stops the run
	} {
		t.Run("effect="+tc.effect, func(t *testing.T) {
			t.Chdir(t.TempDir())
			writeTinySolver(t)
			w := &signaller{triggers: []string{"] Iteration 5 ("}, signals: []syscall.Signal{syscall.SIGTERM}}
			args := []string{"train", "--solver=tiny_solver.prototxt"}
			if tc.effect != "" {
				args = append(args, "--sigterm_effect="+tc.effect)
				w.triggers = append(w.triggers, "] Snapshotting solver state")
				w.signals = append(w.signals, syscall.SIGINT)
			}
			prev := glog.SetOutput(w)
			err := execute(args...)
			glog.SetOutput(prev)
			if err != nil {
				t.Fatal(err)
			}
			log := w.buf.String()
			snaps := regexp.MustCompile(`Snapshotting solver state to binary proto file (tiny_iter_\d+\.solverstate)`).FindAllStringSubmatch(log, -1)
			if len(snaps) != tc.snapshots {
				t.Fatalf("%d snapshots, want %d:\n%s", len(snaps), tc.snapshots, log)
			}
			for _, m := range snaps {
				if _, err := os.Stat(m[1]); err != nil {
					t.Error(err)
				}
			}
			if strings.Contains(log, "Optimization stopped early.") != tc.stopped {
				t.Errorf("stopped early: %v, want %v", !tc.stopped, tc.stopped)
			}
		})
	}
}
