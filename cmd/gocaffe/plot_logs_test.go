package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

// miniGoogLeNet has GoogLeNet's outputs on MNIST: three classifier heads, each with a
// weighted loss (loss1/loss1 and loss2/loss1 at 0.3, loss3/loss3 at 1) and, in the
// TEST phase, top-1 and top-5 accuracies — names in which "acc" never appears and
// "loss" appears in the accuracies' too.
func miniGoogLeNet() string {
	net := `name: "MiniGoogLeNet"
layer { name: "mnist" type: "Data" top: "data" top: "label" include { phase: TRAIN }
  transform_param { scale: 0.00390625 } data_param { source: "mnist_train_lmdb" batch_size: 32 backend: LMDB } }
layer { name: "mnist" type: "Data" top: "data" top: "label" include { phase: TEST }
  transform_param { scale: 0.00390625 } data_param { source: "mnist_test_lmdb" batch_size: 50 backend: LMDB } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
  convolution_param { num_output: 8 kernel_size: 5 stride: 2 weight_filler { type: "xavier" } } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "conv2" type: "Convolution" bottom: "conv1" top: "conv2"
  convolution_param { num_output: 16 kernel_size: 3 stride: 2 weight_filler { type: "xavier" } } }
layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
`
	for _, h := range []struct{ n, bottom, loss, weight string }{
		{"1", "conv1", "loss1/loss1", "0.3"}, {"2", "conv2", "loss2/loss1", "0.3"}, {"3", "conv2", "loss3/loss3", "1"},
	} {
		net += fmt.Sprintf(`layer { name: "loss%[1]s/classifier" type: "InnerProduct" bottom: "%[2]s" top: "loss%[1]s/classifier"
  inner_product_param { num_output: 10 weight_filler { type: "xavier" } } }
layer { name: "loss%[1]s/loss" type: "SoftmaxWithLoss" bottom: "loss%[1]s/classifier" bottom: "label" top: "%[3]s" loss_weight: %[4]s }
layer { name: "loss%[1]s/top-1" type: "Accuracy" bottom: "loss%[1]s/classifier" bottom: "label" top: "loss%[1]s/top-1" include { phase: TEST } }
layer { name: "loss%[1]s/top-5" type: "Accuracy" bottom: "loss%[1]s/classifier" bottom: "label" top: "loss%[1]s/top-5" include { phase: TEST }
  accuracy_param { top_k: 5 } }
`, h.n, h.bottom, h.loss, h.weight)
	}
	return net
}

// plotLogsDir trains miniGoogLeNet in a copy of the LeNet fixture's folder (its
// MNIST LMDBs) twice — 60 iterations tested every 20, and 30 iterations with no test
// yet — and returns the folder, holding googlenet.log and notest.log, and Caffe's
// LeNet train.log.
func plotLogsDir(t *testing.T) string {
	t.Helper()
	dir := testutil.CopyDir(t, "fixtures/nets/lenet_mnist")
	t.Chdir(dir)
	if err := os.WriteFile("mini_googlenet.prototxt", []byte(miniGoogLeNet()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, run := range []struct{ log, solver string }{
		{"googlenet.log", `test_iter: 4 test_interval: 20 max_iter: 60`},
		{"notest.log", `test_iter: 4 test_interval: 1000 test_initialization: false max_iter: 30`},
	} {
		solver := `net: "mini_googlenet.prototxt" base_lr: 0.01 momentum: 0.9 lr_policy: "step" gamma: 0.5 stepsize: 25
display: 5 random_seed: 1701 snapshot_after_train: false ` + run.solver
		if err := os.WriteFile("solver.prototxt", []byte(solver), 0o644); err != nil {
			t.Fatal(err)
		}
		log, err := gocaffe(t, "train", "--solver=solver.prototxt")
		if err != nil {
			t.Fatalf("%s: %v\n%s", run.log, err, log)
		}
		if err := os.WriteFile(run.log, []byte(log), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestPlotPanels: which panels plot draws for a GoogLeNet-style log, for a log with
// no test yet and for Caffe's LeNet log, by --chart, --test-output and
// --combined-loss.
func TestPlotPanels(t *testing.T) {
	plotLogsDir(t)
	logs := map[string]namedLog{}
	for _, name := range []string{"googlenet.log", "notest.log", "train.log"} {
		lg, err := readLog(name, 2026)
		if err != nil {
			t.Fatal(err)
		}
		logs[name] = namedLog{name, lg}
	}
	for _, tt := range []struct {
		logs     []string
		chart    string
		only     []string
		combined bool
		want     string // the panels' titles without " vs. Iterations", or the error
	}{
		{[]string{"googlenet.log"}, "all", nil, false,
			// In the order of the kinds: accuracies, then losses; each in the log's order.
			"Test loss1/top-1, Test loss1/top-5, Test loss2/top-1, Test loss2/top-5, Test loss3/top-1, Test loss3/top-5, Test loss1/loss1, Test loss2/loss1, Test loss3/loss3, Learning rate, Train loss"},
		{[]string{"googlenet.log"}, "test-accuracy", nil, false,
			"Test loss1/top-1, Test loss1/top-5, Test loss2/top-1, Test loss2/top-5, Test loss3/top-1, Test loss3/top-5"},
		{[]string{"googlenet.log"}, "2", nil, false, "Test loss1/loss1, Test loss2/loss1, Test loss3/loss3"},
		{[]string{"googlenet.log"}, "all", []string{"loss3/top-1", "loss3/top-5", "loss3/loss3"}, false,
			"Test loss3/top-1, Test loss3/top-5, Test loss3/loss3, Learning rate, Train loss"},
		{[]string{"googlenet.log"}, "all", []string{"loss3/top-1"}, true,
			"Test loss3/top-1, Learning rate, Train and test loss"},
		{[]string{"googlenet.log"}, "all", []string{"top-1"}, false, "error: --test-output=top-1: the logs have no such test output"},
		{[]string{"notest.log"}, "all", nil, false, "Learning rate, Train loss"},
		{[]string{"notest.log"}, "all", nil, true, "Learning rate, Train and test loss"},
		{[]string{"notest.log"}, "all", []string{"loss3/top-1"}, false, "Learning rate, Train loss"},
		{[]string{"notest.log"}, "test-accuracy", nil, false, "error: nothing to plot yet: the logs have no test accuracy values"},
		{[]string{"train.log"}, "all", nil, false, "Test accuracy, Test loss, Learning rate, Train loss"},
		{[]string{"train.log"}, "all", nil, true, "Test accuracy, Learning rate, Train and test loss"},
		{[]string{"train.log", "notest.log"}, "all", nil, false, "Test accuracy, Test loss, Learning rate, Train loss"},
	} {
		name := fmt.Sprintf("%v %s %v combined=%v", tt.logs, tt.chart, tt.only, tt.combined)
		var in []namedLog
		for _, l := range tt.logs {
			in = append(in, logs[l])
		}
		kinds, seconds, err := parseChart(tt.chart, "iters")
		if err != nil {
			t.Fatal(err)
		}
		panels, err := buildPanels(kinds, seconds, in, tt.only, tt.combined)
		if strings.HasPrefix(tt.want, "error: ") {
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(tt.want, "error: ")) {
				t.Errorf("%s: error %v, want %q", name, err, tt.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var titles []string
		for _, p := range panels {
			titles = append(titles, strings.TrimSuffix(p.title, " vs. Iterations"))
			for _, s := range p.series {
				if len(s.xys) == 0 {
					t.Errorf("%s: %s has an empty curve", name, p.title)
				}
			}
		}
		if got := strings.Join(titles, ", "); got != tt.want {
			t.Errorf("%s: panels\n%s\nwant\n%s", name, got, tt.want)
		}
	}
	// The combined panel's test curve is the weighted sum of the test losses.
	lg := logs["googlenet.log"].log
	s := testLossSeries(0, lg, func(iters, _ float64) float64 { return iters })
	if s == nil || len(s.xys) != 4 || !s.dashed {
		t.Fatalf("test loss series %+v, want 4 dashed points (tests at 0, 20, 40, 60)", s)
	}
	r := lg.Test[3]
	want := 0.3*r.Outputs["loss1/loss1"] + 0.3*r.Outputs["loss2/loss1"] + r.Outputs["loss3/loss3"]
	if s.xys[3].X != 60 || !testutil.Close(s.xys[3].Y, want, 1e-12, 0) {
		t.Errorf("test loss at %v = %v, want %v at 60", s.xys[3].X, s.xys[3].Y, want)
	}
}

// TestPlotRealLogs draws the GoogLeNet-style log, the log with no test yet and
// Caffe's LeNet log beside gocaffe's, in PNG and SVG; the legend (the logs' names)
// is drawn above the panels, in the SVG too.
func TestPlotRealLogs(t *testing.T) {
	dir := plotLogsDir(t)
	out := t.TempDir()
	for _, tt := range []struct {
		file string
		args []string
	}{
		{"googlenet.png", []string{"googlenet.log"}},
		{"googlenet_loss3.png", []string{"googlenet.log", "--test-output=loss3/top-1", "--test-output=loss3/top-5", "--combined-loss"}},
		{"notest.png", []string{"notest.log"}},
		{"two.svg", []string{"train.log", "googlenet.log", "--chart=train-loss"}},
		{"one.svg", []string{"googlenet.log", "--chart=0"}},
	} {
		path := filepath.Join(out, tt.file)
		if _, err := gocaffe(t, append([]string{"plot", "--out=" + path}, tt.args...)...); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if strings.HasSuffix(tt.file, ".png") {
			checkPNG(t, path)
			continue
		}
		svg := string(testutil.ReadFile(t, path))
		for _, l := range tt.args {
			if strings.HasSuffix(l, ".log") && !strings.Contains(svg, ">"+l+"<") {
				t.Errorf("%s: no legend entry %q", tt.file, l)
			}
		}
	}
	if os.Getenv("GOCAFFE_KEEP_PLOTS") != "" {
		t.Logf("logs in %s, plots in %s", dir, out)
	}
}

// TestPlotCSV: --csv writes parse_log.py's LOG.train and LOG.test for each log, and
// nothing for a table a log does not have; --out is then optional.
func TestPlotCSV(t *testing.T) {
	plotLogsDir(t)
	if _, err := gocaffe(t, "plot", "train.log", "notest.log", "--csv=tables"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file   string
		header string
		rows   int
	}{
		{"train.log.train", "NumIters,Seconds,LearningRate,loss\r\n", 100},
		{"train.log.test", "NumIters,Seconds,LearningRate,accuracy,loss\r\n", 3},
		{"notest.log.train", "NumIters,Seconds,LearningRate,loss1/loss1,loss2/loss1,loss3/loss3\r\n", 6},
	} {
		data := string(testutil.ReadFile(t, filepath.Join("tables", tt.file)))
		if !strings.HasPrefix(data, tt.header) || strings.Count(data, "\r\n") != tt.rows+1 {
			t.Errorf("%s: %d lines, starting %q; want %d rows under %q", tt.file, strings.Count(data, "\r\n"), data[:min(len(data), 80)], tt.rows, tt.header)
		}
	}
	if first := strings.Split(string(testutil.ReadFile(t, "tables/train.log.test")), "\r\n")[1]; !strings.HasPrefix(first, "0.0,0.615581,0.00996341,0.078,2.33173") {
		t.Errorf("train.log.test's first row %q", first)
	}
	if _, err := os.Stat("tables/notest.log.test"); !os.IsNotExist(err) {
		t.Errorf("notest.log.test: %v, want none (no test rows)", err)
	}
}
