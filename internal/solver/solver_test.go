package solver

import (
	"bytes"
	"fmt"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/logparse"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// toyNet regresses random targets from random inputs, both drawn afresh by
// DummyData at every pass from the solver's random source, through a dropout
// layer: every iteration, training or testing, draws random numbers, so a resumed
// run repeats the uninterrupted one only if the random source is restored exactly.
const toyNet = `
net_param {
  name: "toy"
  layer { name: "data" type: "DummyData" top: "data" top: "target"
    dummy_data_param { shape { dim: 8 dim: 5 } shape { dim: 8 dim: 2 }
      data_filler { type: "gaussian" std: 1 } data_filler { type: "gaussian" std: 0.5 } } }
  layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1"
    param { lr_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
    inner_product_param { num_output: 6 weight_filler { type: "xavier" } bias_filler { type: "constant" value: 0.1 } } }
  layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
  layer { name: "drop1" type: "Dropout" bottom: "ip1" top: "ip1" dropout_param { dropout_ratio: 0.3 } }
  layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2"
    inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
  layer { name: "loss" type: "EuclideanLoss" bottom: "ip2" bottom: "target" top: "loss" }
}
random_seed: 1701
base_lr: 0.05
lr_policy: "step" gamma: 0.5 stepsize: 4
weight_decay: 0.001
`

// TestSolveLog trains the toy net and reads the log back with parse_log.py's rules:
// tests at 0, 4, 8 and after the last iteration, a display line per iteration with
// its rate, snapshots on schedule, the final forward-only display.
func TestSolveLog(t *testing.T) {
	buf := quiet(t)
	dir := t.TempDir()
	s := newSolver(t, toyNet+`momentum: 0.9 display: 1 max_iter: 8 test_iter: 3 test_interval: 4 snapshot: 4
		snapshot_prefix: "`+filepath.Join(dir, "toy")+`"`, Options{})
	if err := s.Solve(); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	lg, err := logparse.Parse(strings.NewReader(log), 2025)
	if err != nil {
		t.Fatal(err)
	}
	if len(lg.Train) != 8 {
		t.Errorf("%d train rows, want 8 (iterations 0..7)", len(lg.Train))
	}
	var testIters []float64
	for _, r := range lg.Test {
		testIters = append(testIters, r.NumIters)
	}
	if fmt.Sprint(testIters) != "[0 4 8]" {
		t.Errorf("tests at %v, want [0 4 8]", testIters)
	}
	if len(lg.Loss) != 9 || lg.Loss[8].NumIters != 8 {
		t.Errorf("display losses %+v, want 9 ending with the final pass at 8", lg.Loss)
	}
	// step policy: 0.05 for iterations 0–3, 0.025 for 4–7.
	for _, p := range lg.LearningRate {
		want := 0.05
		if p.NumIters >= 4 {
			want = 0.025
		}
		if p.Value != want {
			t.Errorf("iteration %v: lr %v, want %v", p.NumIters, p.Value, want)
		}
	}
	for _, want := range []string{
		"] Solving toy\n",
		"] Learning Rate Policy: step\n",
		"] Iteration 0, Testing net (#0)\n",
		"]     Test net output #0: loss = ",
		"] Snapshotting to binary proto file " + filepath.Join(dir, "toy") + "_iter_4.caffemodel\n",
		"] Snapshotting solver state to binary proto file " + filepath.Join(dir, "toy") + "_iter_8.solverstate\n",
		"] Iteration 8, loss = ",
		"] Optimization Done.\n",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q", want)
		}
	}
	// Caffe's order within an iteration: the test, then the display line, the
	// outputs, the rate; the snapshot after the update, before the next test.
	order := []string{
		`Iteration 3, lr = 0\.05`,
		`Snapshotting to binary proto file .*_iter_4\.caffemodel`,
		`Iteration 4, Testing net \(#0\)`,
		`Test net output #0: loss = \S+ \(\* 1 = \S+ loss\)`,
		`Iteration 4 \(\S+ iter/s, \S+s/1 iters\), loss = `,
		`    Train net output #0: loss = \S+ \(\* 1 = \S+ loss\)`,
		`Iteration 4, lr = 0\.025`,
	}
	pos := 0
	for _, o := range order {
		loc := regexp.MustCompile(o).FindStringIndex(log[pos:])
		if loc == nil {
			t.Fatalf("after byte %d the log lacks /%s/ in Caffe's order", pos, o)
		}
		pos += loc[1]
	}
	// No snapshot after training: iteration 8 was one already.
	if n := strings.Count(log, "_iter_8.caffemodel"); n != 1 {
		t.Errorf("iteration 8 snapshotted %d times", n)
	}
	for _, f := range []string{"toy_iter_4.caffemodel", "toy_iter_4.solverstate", "toy_iter_8.caffemodel", "toy_iter_8.solverstate"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestAverageLoss checks the smoothed loss of the display lines: the mean of the
// last average_loss losses, restarted at every Solve.
func TestAverageLoss(t *testing.T) {
	buf := quiet(t)
	var losses []float32
	s := newSolver(t, toyNet+`display: 1 max_iter: 6 average_loss: 3 snapshot_after_train: false`, Options{
		OnLoss: func(iter int, loss float32) { losses = append(losses, loss) },
	})
	if err := s.Solve(); err != nil {
		t.Fatal(err)
	}
	lg, err := logparse.Parse(strings.NewReader(buf.String()), 2025)
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 6 || len(lg.Loss) != 7 {
		t.Fatalf("%d losses, %d display lines", len(losses), len(lg.Loss))
	}
	for i := 0; i < 6; i++ {
		lo := max(0, i-2)
		var sum float64
		for _, l := range losses[lo : i+1] {
			sum += float64(l)
		}
		want := sum / float64(i+1-lo)
		if got := lg.Loss[i].Value; math.Abs(got-want) > 1e-5*math.Abs(want) {
			t.Errorf("iteration %d: smoothed loss %v, want %v", i, got, want)
		}
		if got := lg.Train[i].Outputs["loss"]; math.Abs(got-float64(losses[i])) > 1e-5*math.Abs(got) {
			t.Errorf("iteration %d: output %v, want the raw loss %v", i, got, losses[i])
		}
	}
}

// TestExactResume stops every solver type at iteration 5 and resumes: iterations
// 5–9 must give bit for bit the losses and the weights of the uninterrupted run.
func TestExactResume(t *testing.T) {
	for _, kind := range Types {
		t.Run(kind, func(t *testing.T) {
			quiet(t)
			settings := toyNet + `type: "` + kind + `" max_iter: 10 snapshot: 5 test_iter: 2 test_interval: 3 `
			switch kind {
			case "SGD", "Nesterov", "AdaDelta", "Adam":
				settings += "momentum: 0.9 "
			}
			dir := t.TempDir()
			prefix := filepath.Join(dir, "toy")
			var full, resumed []float32
			s := newSolver(t, settings+`snapshot_prefix: "`+prefix+`"`, Options{
				OnLoss: func(_ int, l float32) { full = append(full, l) }})
			if err := s.Solve(); err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(prefix + "_iter_10.caffemodel")
			if err != nil {
				t.Fatal(err)
			}

			prefix2 := filepath.Join(dir, "again")
			r := newSolver(t, settings+`snapshot_prefix: "`+prefix2+`"`, Options{
				OnLoss: func(_ int, l float32) { resumed = append(resumed, l) }})
			if err := r.Restore(prefix + "_iter_5.solverstate"); err != nil {
				t.Fatal(err)
			}
			if err := r.Solve(); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(resumed) != fmt.Sprint(full[5:]) {
				t.Errorf("resumed losses %v\nwant %v", resumed, full[5:])
			}
			got, err := os.ReadFile(prefix2 + "_iter_10.caffemodel")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Error("the resumed run's weights differ from the uninterrupted run's")
			}
			// The states differ only in learned_net's name.
			a, err := protofile.ReadSolverState(prefix + "_iter_10.solverstate")
			if err != nil {
				t.Fatal(err)
			}
			b, err := protofile.ReadSolverState(prefix2 + "_iter_10.solverstate")
			if err != nil {
				t.Fatal(err)
			}
			b.LearnedNet = a.LearnedNet
			if !proto.Equal(a, b) {
				t.Error("the resumed run's solver state differs from the uninterrupted run's")
			}
		})
	}
}

// TestCaffeStateResume resumes from a state without gocaffe's resume field, as
// Caffe writes them: the iteration, weights and history come back; the random
// source goes on from where the new solver's stands.
func TestCaffeStateResume(t *testing.T) {
	buf := quiet(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "toy")
	settings := toyNet + `momentum: 0.9 max_iter: 4 snapshot: 2 snapshot_prefix: "` + prefix + `"`
	s := newSolver(t, settings, Options{})
	if err := s.Solve(); err != nil {
		t.Fatal(err)
	}
	st, err := protofile.ReadSolverState(prefix + "_iter_2.solverstate")
	if err != nil {
		t.Fatal(err)
	}
	if st.GocaffeResume == nil || st.GetIter() != 2 || st.GetLearnedNet() != prefix+"_iter_2.caffemodel" || len(st.History) != 4 {
		t.Fatalf("state %v", st)
	}
	st.GocaffeResume = nil
	caffeState := filepath.Join(dir, "caffe.solverstate")
	if err := protofile.WriteBinary(caffeState, st); err != nil {
		t.Fatal(err)
	}
	r := newSolver(t, settings, Options{})
	if err := r.Restore(caffeState); err != nil {
		t.Fatal(err)
	}
	if r.Iter() != 2 {
		t.Errorf("resumed at %d", r.Iter())
	}
	if !strings.Contains(buf.String(), "data layers start again at their first record") {
		t.Error("no word about the data positions")
	}
	for i, h := range r.history {
		if fmt.Sprint(h.Data) != fmt.Sprint(st.History[i].Data) {
			t.Errorf("history %d not restored", i)
		}
	}
	if err := r.Solve(); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreErrors(t *testing.T) {
	quiet(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "toy")
	s := newSolver(t, toyNet+`momentum: 0.9 max_iter: 1 snapshot_prefix: "`+prefix+`"`, Options{})
	if err := s.Solve(); err != nil {
		t.Fatal(err)
	}
	state := prefix + "_iter_1.solverstate"

	adam := newSolver(t, toyNet+`type: "Adam"`, Options{})
	if err := adam.Restore(state); err == nil || !strings.Contains(err.Error(), "incorrect length of history blobs: the state has 4, the Adam solver of this net keeps 8") {
		t.Errorf("SGD state into Adam: %v", err)
	}

	st, err := protofile.ReadSolverState(state)
	if err != nil {
		t.Fatal(err)
	}
	moved := proto.Clone(st).(*caffepb.SolverState)
	moved.LearnedNet = proto.String(filepath.Join(dir, "gone.caffemodel"))
	r := newSolver(t, toyNet, Options{})
	if err := r.RestoreState(moved); err == nil || !strings.Contains(err.Error(), "gone.caffemodel") {
		t.Errorf("missing learned_net: %v", err)
	}
	if err := r.Restore(filepath.Join(dir, "x.solverstate.h5")); err == nil || !strings.Contains(err.Error(), "x.solverstate.h5") {
		t.Errorf("h5 state: %v", err)
	}
	if err := r.Restore(filepath.Join(dir, "none.solverstate")); err == nil || !strings.Contains(err.Error(), "none.solverstate") {
		t.Errorf("missing state: %v", err)
	}
	bad := proto.Clone(st).(*caffepb.SolverState)
	bad.History[1].Shape.Dim = []int64{7}
	if err := r.RestoreState(bad); err == nil || !strings.Contains(err.Error(), "history blob 1 (of ip1/1)") {
		t.Errorf("history of the wrong shape: %v", err)
	}
	if r.Iter() != 0 {
		t.Errorf("a failed restore moved the solver to iteration %d", r.Iter())
	}
}

// TestActions stops and snapshots on request, as the signal handlers ask.
func TestActions(t *testing.T) {
	buf := quiet(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "toy")
	calls := 0
	s := newSolver(t, toyNet+`max_iter: 100 snapshot: 50 test_iter: 2 test_interval: 50 snapshot_prefix: "`+prefix+`"`, Options{
		Action: func() Action {
			calls++
			switch calls {
			case 4: // after iteration 2 (the first two calls are the test at 0)
				return Snapshot
			case 6:
				return Stop
			}
			return None
		},
	})
	if err := s.Solve(); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	for _, want := range []string{"toy_iter_2.caffemodel", "toy_iter_4.caffemodel", "Optimization stopped early."} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if s.Iter() != 4 || strings.Contains(log, "Optimization Done.") {
		t.Errorf("stopped at %d", s.Iter())
	}
}

// TestStepAllocs wants the solver to add no allocation to a training iteration
// (display, tests and the clipping message off: logging allocates) beyond what the
// net's own forward and backward passes do.
func TestStepAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's bookkeeping allocates; counting allocations means nothing under it")
	}
	quiet(t)
	for _, mode := range numerics.Modes {
		defer numerics.Set(numerics.Set(mode))
		t.Run(mode.String(), stepAllocs)
	}
}

func stepAllocs(t *testing.T) {
	for _, kind := range Types {
		settings := toyNet + `type: "` + kind + `" max_iter: 1000 clip_gradients: 1e6 iter_size: 2 average_loss: 5`
		s := newSolver(t, settings, Options{})
		if err := s.Step(6); err != nil {
			t.Fatal(err)
		}
		step := testing.AllocsPerRun(20, func() {
			if err := s.Step(1); err != nil {
				t.Fatal(err)
			}
		})
		passes := testing.AllocsPerRun(20, func() {
			s.net.ClearParamDiffs()
			for range 2 {
				if _, err := s.net.ForwardBackward(); err != nil {
					t.Fatal(err)
				}
			}
		})
		if step != passes {
			t.Errorf("%s: %v allocations per iteration, %v of them in the net's passes", kind, step, passes)
		}
	}
}

// TestDebugInfo logs the per-layer debug lines on display iterations only.
func TestDebugInfo(t *testing.T) {
	buf := quiet(t)
	s := newSolver(t, toyNet+`debug_info: true display: 2 max_iter: 3`, Options{})
	if err := s.Solve(); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	// Iterations 0 and 2 display; the final forward pass at 3 does not (3 % 2 ≠ 0).
	if n := strings.Count(log, "[Backward] Layer ip1, param blob 0 diff"); n != 2 {
		t.Errorf("%d backward debug lines for ip1, want 2", n)
	}
}

// TestWeights copies weights from a list of files: later files override earlier
// ones layer by layer, and layers no file has keep their fillers' values.
func TestWeights(t *testing.T) {
	quiet(t)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "a")
	a := newSolver(t, toyNet+`max_iter: 2 snapshot_prefix: "`+prefix+`"`, Options{})
	if err := a.Solve(); err != nil {
		t.Fatal(err)
	}
	full, err := protofile.ReadNetBinary(prefix + "_iter_2.caffemodel")
	if err != nil {
		t.Fatal(err)
	}
	// b.caffemodel: only ip2, with its weights doubled.
	only := &caffepb.NetParameter{}
	for _, l := range full.Layer {
		if l.GetName() == "ip2" {
			l = proto.Clone(l).(*caffepb.LayerParameter)
			for i := range l.Blobs[0].Data {
				l.Blobs[0].Data[i] *= 2
			}
			only.Layer = append(only.Layer, l)
		}
	}
	if err := protofile.WriteBinary(filepath.Join(dir, "b.caffemodel"), only); err != nil {
		t.Fatal(err)
	}
	b := newSolver(t, toyNet+`weights: "`+prefix+`_iter_2.caffemodel,`+filepath.Join(dir, "b.caffemodel")+`"`, Options{})
	for i, n := range []string{"ip1", "ip2"} {
		got := b.Net().Layer(b.Net().LayerIndex(n)).Params()[0].Data
		want := a.Net().Layer(a.Net().LayerIndex(n)).Params()[0].Data
		for j := range want {
			w := want[j] * float32(i+1)
			if got[j] != w {
				t.Fatalf("%s[%d] = %v, want %v", n, j, got[j], w)
			}
		}
	}
	// The test nets get the weights too (Caffe copies them into every net).
	c := newSolver(t, toyNet+`test_iter: 1 test_interval: 10 weights: "`+prefix+`_iter_2.caffemodel"`, Options{})
	tn := c.TestNets()[0]
	got := tn.Layer(tn.LayerIndex("ip1")).Params()[0].Data
	want := a.Net().Layer(a.Net().LayerIndex("ip1")).Params()[0].Data
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Error("the test net did not get the weights")
	}
}
