package main

import (
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// env is a getenv over a map.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestChooseThreads(t *testing.T) {
	for _, tt := range []struct {
		name    string
		flag    int
		flagSet bool
		env     map[string]string
		want    int
		source  string
		err     string
	}{
		{"default", 0, false, nil, 8, "every core", ""},
		{"flag", 3, true, nil, 3, "--threads", ""},
		{"flag over the environment", 2, true, map[string]string{"OMP_NUM_THREADS": "4", "GOMAXPROCS": "5"}, 2, "--threads", ""},
		{"flag zero", 0, true, nil, 0, "", "at least 1"},
		{"flag negative", -2, true, nil, 0, "", "at least 1"},
		{"OpenMP's", 0, false, map[string]string{"OMP_NUM_THREADS": "4"}, 4, "OMP_NUM_THREADS", ""},
		{"OpenMP's nested list", 0, false, map[string]string{"OMP_NUM_THREADS": " 6,2"}, 6, "OMP_NUM_THREADS", ""},
		{"OpenMP's nonsense", 0, false, map[string]string{"OMP_NUM_THREADS": "many"}, 8, "every core", ""},
		{"OpenMP's zero", 0, false, map[string]string{"OMP_NUM_THREADS": "0"}, 8, "every core", ""},
		{"GOMAXPROCS over OpenMP's", 0, false, map[string]string{"OMP_NUM_THREADS": "4", "GOMAXPROCS": "5"}, 8, "GOMAXPROCS", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer glog.SetOutput(glog.SetOutput(&strings.Builder{}))
			n, source, err := chooseThreads(tt.flag, tt.flagSet, env(tt.env), 8)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || n != tt.want || source != tt.source {
				t.Errorf("got %d (%s), %v; want %d (%s)", n, source, err, tt.want, tt.source)
			}
		})
	}
}

func TestLogFilter(t *testing.T) {
	lines := []struct {
		severity byte
		msg      string
		key      bool // a line a quiet run keeps
	}{
		{'I', "Initializing solver from parameters: \ntest_iter: 100", false},
		{'I', "Setting up conv1", false},
		{'I', "Top shape: 64 20 24 24 (737280)", false},
		{'I', "Memory required for data: 5169920", false},
		{'I', "Computing on 2 threads (every core; 2 logical cores)", false},
		{'I', "Solving LeNet", true},
		{'I', "Iteration 0, Testing net (#0)", true},
		{'I', "    Test net output #0: accuracy = 0.078", true},
		{'I', "    Test net output #1: loss = 2.33 (* 1 = 2.33 loss)", true},
		{'I', "Iteration 100 (26.5 iter/s, 3.77s/100 iters), loss = 0.2", true},
		{'I', "    Train net output #0: loss = 0.2 (* 1 = 0.2 loss)", true},
		{'I', "Iteration 100, lr = 0.0099", true},
		{'I', "Progress: 1.0% of 10000 iterations, epoch 0.11 of 10.67", true},
		{'I', "Snapshotting to binary proto file lenet_iter_100.caffemodel", true},
		{'I', "Snapshotting solver state to binary proto file lenet_iter_100.solverstate", true},
		{'I', "Optimization Done.", true},
		{'I', "Batch 3, accuracy = 0.98", false},
		{'I', "Loss: 0.0293", true},
		{'I', "accuracy = 0.9906", true},
		{'I', "loss = 0.0293 (* 1 = 0.0293 loss)", true},
		{'I', "Iteration: 3 forward-backward time: 21 ms.", false},
		{'I', "Average Forward-Backward: 21.3 ms.", true},
		{'W', "gocaffe computes on the CPU only: ignoring --gpu=0", true},
		{'E', "an error", true},
	}
	for _, tt := range []struct {
		name  string
		quiet bool
		env   map[string]string
		want  func(severity byte, key bool) bool
	}{
		{"default", false, nil, func(byte, bool) bool { return true }},
		{"GLOG_minloglevel=0", false, map[string]string{"GLOG_minloglevel": "0"}, func(byte, bool) bool { return true }},
		{"--quiet", true, nil, func(_ byte, key bool) bool { return key }},
		{"GLOG_minloglevel=1", false, map[string]string{"GLOG_minloglevel": "1"}, func(_ byte, key bool) bool { return key }},
		{"GLOG_minloglevel=2", false, map[string]string{"GLOG_minloglevel": "2"}, func(s byte, _ bool) bool { return s == 'E' }},
		{"--quiet and GLOG_minloglevel=2", true, map[string]string{"GLOG_minloglevel": "2"}, func(s byte, _ bool) bool { return s == 'E' }},
		{"GLOG_minloglevel nonsense", false, map[string]string{"GLOG_minloglevel": "x"}, func(byte, bool) bool { return true }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := logFilter(tt.quiet, env(tt.env))
			for _, l := range lines {
				got := f == nil || f(l.severity, l.msg)
				if want := tt.want(l.severity, l.key); got != want {
					t.Errorf("%c %q: written %v, want %v", l.severity, l.msg, got, want)
				}
			}
		})
	}
}

// shortLeNet copies the LeNet fixture (2,000 MNIST training images in an LMDB) into
// a temporary folder, makes it the working directory and writes short_solver.prototxt:
// iters iterations, a display every 10, a test and a snapshot every 20.
func shortLeNet(t *testing.T, iters string) {
	t.Helper()
	t.Chdir(testutil.CopyDir(t, "fixtures/nets/lenet_mnist"))
	solver := strings.NewReplacer("max_iter: 100", "max_iter: "+iters, "display: 1", "display: 10",
		"test_interval: 50", "test_interval: 20", "test_iter: 10", "test_iter: 2", "snapshot: 50", "snapshot: 20",
	).Replace(string(testutil.ReadFile(t, "lenet_solver.prototxt")))
	if err := os.WriteFile("short_solver.prototxt", []byte(solver), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestQuietTrain: with --quiet, or GLOG_minloglevel=1 as Caffe's scripts set it, a
// training run logs only warnings and the iteration, test and snapshot lines — the
// ~500 lines of net construction go — and the log still reads as parse_log.py reads
// the full one.
func TestQuietTrain(t *testing.T) {
	testutil.SkipShort(t, "a 40-iteration training run logged quietly, read as parse_log.py reads it")
	shortLeNet(t, "40")
	full, err := gocaffe(t, "train", "--solver=short_solver.prototxt", "--weights=init.caffemodel")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		env  string
		args []string
	}{
		{"--quiet", "", []string{"--quiet"}},
		{"-q", "", []string{"-q"}},
		{"GLOG_minloglevel=1", "1", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.env != "" {
				t.Setenv("GLOG_minloglevel", tt.env)
			}
			// A GPU flag gives a warning, which a quiet run still shows.
			args := append([]string{"train", "--solver=short_solver.prototxt", "--weights=init.caffemodel", "--gpu=0"}, tt.args...)
			log, err := gocaffe(t, args...)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
			msg := regexp.MustCompile(`^([IWEF])\d{4} [\d:.]+ +\d+ \S+:\d+\] (.*)$`)
			var warnings, iterations, tests, snapshots int
			for _, l := range lines {
				m := msg.FindStringSubmatch(l)
				switch {
				case m == nil:
					t.Errorf("not a log line: %q", l)
				case m[1] == "W":
					warnings++
				case !quietKept.MatchString(m[2]):
					t.Errorf("a quiet run logged %q", l)
				case strings.Contains(m[2], "Test net output"):
					tests++
				case strings.HasPrefix(m[2], "Iteration"):
					iterations++
				case strings.HasPrefix(m[2], "Snapshotting"):
					snapshots++
				}
			}
			// Displays at 0, 10, 20, 30 and the final one at 40 (a display line each,
			// and a learning-rate line but for the last); tests at 0, 20 and 40 (two
			// outputs and a "Testing net" line each); snapshots at 20 and 40 (two files each).
			if warnings != 1 || iterations != 5+4+3 || tests != 6 || snapshots != 4 {
				t.Errorf("%d warnings, %d iteration lines, %d test outputs, %d snapshot lines; want 1, 12, 6, 4:\n%s",
					warnings, iterations, tests, snapshots, log)
			}
			if len(lines) > 60 || len(strings.Split(full, "\n")) < 400 {
				t.Errorf("the quiet log has %d lines, the full one %d", len(lines), len(strings.Split(full, "\n")))
			}
			q, f := parseLog(t, log), parseLog(t, full)
			if len(q.Train) != len(f.Train) || len(q.Test) != len(f.Test) || len(q.Loss) != len(f.Loss) || len(q.LearningRate) != len(f.LearningRate) {
				t.Errorf("parse_log's tables: quiet %d/%d/%d/%d rows, full %d/%d/%d/%d",
					len(q.Train), len(q.Test), len(q.Loss), len(q.LearningRate), len(f.Train), len(f.Test), len(f.Loss), len(f.LearningRate))
			}
		})
	}
}

// TestThreads: --threads=1 computes on one core and the log header says so; so does
// OMP_NUM_THREADS=1 without the flag; the flag wins over it. gocaffe time's
// arithmetic line counts the workers of the product as it runs.
func TestThreads(t *testing.T) {
	shortLeNet(t, "2")
	before := runtime.GOMAXPROCS(0)
	header := regexp.MustCompile(`threads.go:\d+\] Computing on (\d+) threads? \(([^;]+); \d+ logical cores\)`)
	for _, tt := range []struct {
		name    string
		omp     string
		args    []string
		threads string
		source  string
	}{
		{"--threads=1", "", []string{"--threads=1"}, "1", "--threads"},
		{"-threads 1", "", []string{"-threads", "1"}, "1", "--threads"},
		{"OMP_NUM_THREADS=1", "1", nil, "1", "OMP_NUM_THREADS"},
		{"--threads=2 over OMP_NUM_THREADS=1", "1", []string{"--threads=2"}, "2", "--threads"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.omp != "" {
				t.Setenv("OMP_NUM_THREADS", tt.omp)
			}
			var seen []int
			for _, cmd := range [][]string{
				{"train", "--solver=short_solver.prototxt"},
				{"time", "--model=lenet_train_test.prototxt", "--iterations=1"},
			} {
				var log strings.Builder
				prev := glog.SetOutput(&log)
				code := run(newRootCmd(), append(cmd, tt.args...))
				glog.SetOutput(prev)
				if code != 0 {
					t.Fatalf("%v: exit status %d\n%s", cmd, code, log.String())
				}
				m := header.FindStringSubmatch(log.String())
				if m == nil || m[1] != tt.threads || m[2] != tt.source {
					t.Fatalf("%v: header %q, want %s threads from %s", cmd, m, tt.threads, tt.source)
				}
				if cmd[0] == "time" && !strings.Contains(log.String(), "GFLOP/s on "+tt.threads+" threads") {
					t.Errorf("time did not compute on %s threads:\n%s", tt.threads, log.String())
				}
				if cmd[0] == "time" && !regexp.MustCompile(`FMA peak of `+tt.threads+` threads .*: \d+ GFLOP/s; the products ran at \d+% of it`).MatchString(log.String()) {
					t.Errorf("time did not hold the rate against the peak of %s threads:\n%s", tt.threads, log.String())
				}
				seen = append(seen, runtime.GOMAXPROCS(0))
			}
			for _, n := range seen {
				if n != before {
					t.Errorf("GOMAXPROCS %d after the command, %d before", n, before)
				}
			}
		})
	}
	var log strings.Builder
	prev := glog.SetOutput(&log)
	defer glog.SetOutput(prev)
	stderr := captureStderr(t, func() {
		if code := run(newRootCmd(), []string{"train", "--solver=short_solver.prototxt", "--threads=0"}); code == 0 {
			t.Error("--threads=0: exit status 0")
		}
	})
	if !strings.Contains(stderr, "--threads must be at least 1") {
		t.Errorf("--threads=0: %q", stderr)
	}
}
