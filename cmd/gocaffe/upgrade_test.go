package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// captureLog sends glog's lines to a buffer for the rest of the test.
func captureLog(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	prev := glog.SetOutput(&buf)
	t.Cleanup(func() { glog.SetOutput(prev) })
	return &buf
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestUpgradeCommand runs `gocaffe upgrade` on legacy files as a user would and wants
// the bytes Caffe's upgrade tools wrote for them.
func TestUpgradeCommand(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args    []string // the input and flags; the output file is appended
		fixture string   // what Caffe's tool wrote
		log     string
	}{
		{[]string{testutil.Path("caffe-examples/legacy/v0/imagenet_val.prototxt")}, "upgrade/imagenet_val.prototxt",
			"Successfully upgraded file specified using deprecated V0LayerParameter"},
		{[]string{testutil.Path("caffe-examples/legacy/v1/bvlc_reference_caffenet_deploy.prototxt")},
			"upgrade/bvlc_reference_caffenet_deploy.prototxt", "Successfully upgraded file specified using deprecated input fields."},
		{[]string{"-solver", testutil.Path("caffe-examples/legacy/solver/lenet_solver_adam.prototxt")},
			"upgrade/lenet_solver_adam.prototxt", "Wrote upgraded SolverParameter text proto to "},
		{[]string{"--solver", testutil.Path("caffe-examples/legacy/solver/lenet_solver_rmsprop.prototxt")},
			"upgrade/lenet_solver_rmsprop.prototxt", "Wrote upgraded SolverParameter text proto to "},
	}
	for i, tt := range tests {
		log := captureLog(t)
		out := filepath.Join(dir, filepath.Base(tt.fixture))
		args := append(append([]string{"upgrade"}, tt.args...), out)
		if code := run(newRootCmd(), args); code != 0 {
			t.Errorf("case %d: gocaffe %s: exit status %d\n%s", i, strings.Join(args, " "), code, log)
			continue
		}
		if got, want := readFile(t, out), readFile(t, testutil.Path("fixtures/"+tt.fixture)); !bytes.Equal(got, want) {
			t.Errorf("case %d: %s differs from Caffe's %s", i, out, tt.fixture)
		}
		if !strings.Contains(log.String(), tt.log) {
			t.Errorf("case %d: log lacks %q:\n%s", i, tt.log, log)
		}
	}
}

// TestUpgradeCommandInPlace upgrades a file onto itself.
func TestUpgradeCommandInPlace(t *testing.T) {
	captureLog(t)
	path := filepath.Join(t.TempDir(), "lenet_train.prototxt")
	if err := os.WriteFile(path, readFile(t, testutil.Path("caffe-examples/legacy/v0/lenet_train.prototxt")), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := run(newRootCmd(), []string{"upgrade", path, path}); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	if !bytes.Equal(readFile(t, path), readFile(t, testutil.Path("fixtures/upgrade/lenet_train.prototxt"))) {
		t.Error("in-place upgrade differs from Caffe's")
	}
}

// TestUpgradeCommandCurrent upgrades files that need nothing: Caffe's tool says so
// (in an INFO line: unlike Caffe's, no error line) and writes them unchanged, binary
// included.
func TestUpgradeCommandCurrent(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ in, out string }{
		{testutil.Path("fixtures/nets/lenet_mnist/init.caffemodel"), filepath.Join(dir, "init.caffemodel")},
		{testutil.Path("fixtures/upgrade/mnist_lenet_train_test.prototxt"), filepath.Join(dir, "lenet.prototxt")},
	} {
		log := captureLog(t)
		if code := run(newRootCmd(), []string{"upgrade", tt.in, tt.out}); code != 0 {
			t.Fatalf("%s: exit status %d\n%s", tt.in, code, log)
		}
		if !strings.Contains(log.String(), "File already in latest proto format: "+tt.in) || regexp.MustCompile(`(?m)^E`).MatchString(log.String()) {
			t.Errorf("%s: log:\n%s", tt.in, log)
		}
		if !bytes.Equal(readFile(t, tt.out), readFile(t, tt.in)) {
			t.Errorf("%s: written file differs from the input", tt.in)
		}
	}
	solver := testutil.Path("fixtures/nets/lenet_mnist/lenet_solver.prototxt")
	log := captureLog(t)
	if code := run(newRootCmd(), []string{"upgrade", "--solver", solver, filepath.Join(dir, "solver.prototxt")}); code != 0 ||
		!strings.Contains(log.String(), "File already in latest proto format: "+solver) || regexp.MustCompile(`(?m)^E`).MatchString(log.String()) {
		t.Errorf("a current solver: exit status %d, log:\n%s", code, log)
	}
}

// TestUpgradeCommandErrors: an unreadable input exits with Caffe's status 2 and a
// message naming the file and the place, writing nothing; a partial upgrade writes
// the file and exits with 1; a wrong argument count is refused.
func TestUpgradeCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.prototxt")
	if err := os.WriteFile(bad, []byte("name: \"x\"\nlayers {\n  type: CONVOLUTON\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.prototxt")
	log := captureLog(t)
	if code := run(newRootCmd(), []string{"upgrade", bad, out}); code != 2 {
		t.Errorf("bad input: exit status %d, want 2", code)
	}
	want := "Failed to parse input text file as NetParameter: " + bad + `:3:9: invalid value CONVOLUTON for "type": not a LayerType (did you mean CONVOLUTION?)`
	if !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, log)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output written for a bad input: %v", err)
	}

	partial := filepath.Join(dir, "partial.prototxt")
	if err := os.WriteFile(partial, []byte(`input: "x" layers { layer { name: "r" type: "relu" num_output: 3 } bottom: "x" top: "x" }`), 0o644); err != nil {
		t.Fatal(err)
	}
	log = captureLog(t)
	if code := run(newRootCmd(), []string{"upgrade", partial, out}); code != 1 {
		t.Errorf("partial upgrade: exit status %d, want 1", code)
	}
	for _, msg := range []string{"Unknown parameter num_output for layer type relu", "Encountered error(s) while upgrading prototxt; see details above."} {
		if !strings.Contains(log.String(), msg) {
			t.Errorf("log lacks %q:\n%s", msg, log)
		}
	}
	if got := string(readFile(t, out)); !strings.Contains(got, `type: "ReLU"`) {
		t.Errorf("partial upgrade wrote:\n%s", got)
	}

	if code := run(newRootCmd(), []string{"upgrade", bad}); code != 1 {
		t.Errorf("one argument: exit status %d, want 1", code)
	}
	if code := run(newRootCmd(), []string{"upgrade", filepath.Join(dir, "missing.prototxt"), out}); code != 2 {
		t.Errorf("missing input: exit status %d, want 2", code)
	}
}
