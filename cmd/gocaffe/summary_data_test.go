package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/netinfo"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// TestSummaryFromDatabase: a train_test net needs no --shape when its databases are
// there — the Data layer's shape is read off the first record, as the layer reads it
// — and the activation memory is the last "Memory required for data" figure Caffe
// logged building the same net (the fixtures' train.log and test.log).
func TestSummaryFromDatabase(t *testing.T) {
	for _, tt := range []struct {
		dir, model, phase string
		data              []int
		activation        int64
		params            int64
	}{
		{"lenet_mnist", "lenet_train_test.prototxt", "TRAIN", []int{64, 1, 28, 28}, 5169924, 431080},
		{"lenet_mnist", "lenet_train_test.prototxt", "TEST", []int{100, 1, 28, 28}, 8086808, 431080},
		{"cifar10_synth", "cifar10_quick_train_test.prototxt", "TRAIN", []int{100, 3, 32, 32}, 31978804, 145578},
		{"cifar10_synth", "cifar10_quick_train_test.prototxt", "TEST", []int{100, 3, 32, 32}, 31987608, 145578},
	} {
		t.Run(tt.dir+"/"+tt.phase, func(t *testing.T) {
			t.Chdir(testutil.Path("fixtures/nets/" + tt.dir))
			code, out := runCapture(t, "summary", "--model="+tt.model, "--phase="+tt.phase, "--json")
			if code != 0 {
				t.Fatalf("exit status %d", code)
			}
			var s netinfo.Summary
			if err := json.Unmarshal([]byte(out), &s); err != nil {
				t.Fatal(err)
			}
			first := s.Layers[0]
			if first.Type != "Data" || len(first.TopShapes) != 2 || !slices.Equal(first.TopShapes[0], tt.data) || !slices.Equal(first.TopShapes[1], tt.data[:1]) {
				t.Errorf("first layer %s %v, want Data %v and %v", first.Type, first.TopShapes, tt.data, tt.data[:1])
			}
			if s.ActivationBytes != tt.activation || s.ParamBytes != 4*tt.params {
				t.Errorf("activations %d bytes, parameters %d; Caffe's %d, want %d", s.ActivationBytes, s.ParamBytes, tt.activation, 4*tt.params)
			}
		})
	}
}

// TestSummaryTable: the table keeps the Data layer's type, shows Split rows only with
// --splits (their copies named after the blob they copy otherwise), prints the memory
// columns and totals, and fits --width by shortening the bottoms → tops column.
func TestSummaryTable(t *testing.T) {
	t.Chdir(testutil.Path("fixtures/nets/lenet_mnist"))
	code, out := runCapture(t, "summary", "--model=lenet_train_test.prototxt")
	if code != 0 {
		t.Fatalf("exit status %d", code)
	}
	for _, want := range []string{
		"mnist     Data ", "ip2,label → accuracy", "param MB", "top MB",
		"Parameter memory: 1.72 MB", "Activation memory: 8.09 MB",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "split") {
		t.Errorf("Split rows or names without --splits:\n%s", out)
	}
	_, out = runCapture(t, "summary", "--model=lenet_train_test.prototxt", "--splits")
	if !strings.Contains(out, "ip2_ip2_0_split      Split") || !strings.Contains(out, "ip2_ip2_0_split_0,label_mnist_1_split_0 → accuracy") {
		t.Errorf("--splits:\n%s", out)
	}
	googLeNet := testutil.Path("caffe-examples/models/bvlc_googlenet/deploy.prototxt")
	_, wide := runCapture(t, "summary", "--model="+googLeNet)
	for _, width := range []int{160, 140} {
		code, out := runCapture(t, "summary", "--model="+googLeNet, "--width="+strconv.Itoa(width))
		if code != 0 {
			t.Fatalf("exit status %d", code)
		}
		if got := maxLineWidth(out); got > width || maxLineWidth(wide) <= width {
			t.Errorf("--width=%d: lines of %d columns (%d unfitted)", width, got, maxLineWidth(wide))
		}
		if !strings.Contains(out, "…") || len(strings.Split(out, "\n")) != len(strings.Split(wide, "\n")) {
			t.Errorf("--width=%d: no column shortened, or rows lost", width)
		}
	}
}

func maxLineWidth(s string) int {
	w := 0
	for _, l := range strings.Split(s, "\n") {
		w = max(w, len([]rune(l)))
	}
	return w
}

// TestSummaryMissingDatabase: without the database, the error names the source and
// the --shape to give instead.
func TestSummaryMissingDatabase(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.prototxt")
	os.WriteFile(model, []byte(`layer { name: "mnist" type: "Data" top: "data" top: "label" data_param { source: "data/none_lmdb" batch_size: 64 backend: LMDB } }`), 0o644)
	stderr := captureStderr(t, func() {
		if code := run(newRootCmd(), []string{"summary", "--model=" + model}); code == 0 {
			t.Error("exit status 0")
		}
	})
	for _, want := range []string{`layer "mnist" (Data) reads its data from data/none_lmdb`, "--shape=data=64,3,224,224"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("%q lacks %q", stderr, want)
		}
	}
}
