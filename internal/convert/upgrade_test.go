package convert

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// TestUpgrade upgrades legacy files and wants the bytes Caffe's upgrade tools wrote
// for them.
func TestUpgrade(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		upgrade func(in, out string) error
		in      string
		fixture string // what Caffe's tool wrote
		log     string
	}{
		{UpgradeNet, testutil.Path("caffe-examples/legacy/v0/imagenet_val.prototxt"), "upgrade/imagenet_val.prototxt",
			"Successfully upgraded file specified using deprecated V0LayerParameter"},
		{UpgradeNet, testutil.Path("caffe-examples/legacy/v1/bvlc_reference_caffenet_deploy.prototxt"),
			"upgrade/bvlc_reference_caffenet_deploy.prototxt", "Successfully upgraded file specified using deprecated input fields."},
		{UpgradeSolver, testutil.Path("caffe-examples/legacy/solver/lenet_solver_adam.prototxt"),
			"upgrade/lenet_solver_adam.prototxt", "Wrote upgraded SolverParameter text proto to "},
		{UpgradeSolver, testutil.Path("caffe-examples/legacy/solver/lenet_solver_rmsprop.prototxt"),
			"upgrade/lenet_solver_rmsprop.prototxt", "Wrote upgraded SolverParameter text proto to "},
	}
	for i, tt := range tests {
		log := testutil.CaptureLog(t)
		out := filepath.Join(dir, filepath.Base(tt.fixture))
		if err := tt.upgrade(tt.in, out); err != nil {
			t.Errorf("case %d: %s: %v\n%s", i, tt.in, err, log)
			continue
		}
		if got, want := testutil.ReadFile(t, out), testutil.ReadFile(t, testutil.Path("fixtures/"+tt.fixture)); !bytes.Equal(got, want) {
			t.Errorf("case %d: %s differs from Caffe's %s", i, out, tt.fixture)
		}
		if !strings.Contains(log.String(), tt.log) {
			t.Errorf("case %d: log lacks %q:\n%s", i, tt.log, log)
		}
	}
}

// TestUpgradeInPlace upgrades a file onto itself.
func TestUpgradeInPlace(t *testing.T) {
	testutil.CaptureLog(t)
	path := filepath.Join(t.TempDir(), "lenet_train.prototxt")
	if err := os.WriteFile(path, testutil.ReadFile(t, testutil.Path("caffe-examples/legacy/v0/lenet_train.prototxt")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := UpgradeNet(path, path); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(testutil.ReadFile(t, path), testutil.ReadFile(t, testutil.Path("fixtures/upgrade/lenet_train.prototxt"))) {
		t.Error("in-place upgrade differs from Caffe's")
	}
}

// TestUpgradeCurrent upgrades files that need nothing: Caffe's tool says so
// (in an INFO line: unlike Caffe's, no error line) and writes them unchanged, binary
// included.
func TestUpgradeCurrent(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct{ in, out string }{
		{testutil.Path("fixtures/nets/lenet_mnist/init.caffemodel"), filepath.Join(dir, "init.caffemodel")},
		{testutil.Path("fixtures/upgrade/mnist_lenet_train_test.prototxt"), filepath.Join(dir, "lenet.prototxt")},
	} {
		log := testutil.CaptureLog(t)
		if err := UpgradeNet(tt.in, tt.out); err != nil {
			t.Fatalf("%s: %v\n%s", tt.in, err, log)
		}
		if !strings.Contains(log.String(), "File already in latest proto format: "+tt.in) || regexp.MustCompile(`(?m)^E`).MatchString(log.String()) {
			t.Errorf("%s: log:\n%s", tt.in, log)
		}
		if !bytes.Equal(testutil.ReadFile(t, tt.out), testutil.ReadFile(t, tt.in)) {
			t.Errorf("%s: written file differs from the input", tt.in)
		}
	}
	solver := testutil.Path("fixtures/nets/lenet_mnist/lenet_solver.prototxt")
	log := testutil.CaptureLog(t)
	if err := UpgradeSolver(solver, filepath.Join(dir, "solver.prototxt")); err != nil ||
		!strings.Contains(log.String(), "File already in latest proto format: "+solver) || regexp.MustCompile(`(?m)^E`).MatchString(log.String()) {
		t.Errorf("a current solver: %v, log:\n%s", err, log)
	}
}

// TestUpgradeErrors: an unreadable input is ErrUnreadable, with a message naming
// the file and the place in the log, and nothing written; a partial upgrade writes
// the file and returns protofile.ErrPartialUpgrade.
func TestUpgradeErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.prototxt")
	if err := os.WriteFile(bad, []byte("name: \"x\"\nlayers {\n  type: CONVOLUTON\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.prototxt")
	log := testutil.CaptureLog(t)
	if err := UpgradeNet(bad, out); !errors.Is(err, ErrUnreadable) {
		t.Errorf("bad input: %v, want ErrUnreadable", err)
	}
	want := "Failed to parse input text file as NetParameter: " + bad + `:3:9: invalid value CONVOLUTON for "type": not a LayerType (did you mean CONVOLUTION?)`
	if !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, log)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output written for a bad input: %v", err)
	}
	for _, upgrade := range []func(in, out string) error{UpgradeNet, UpgradeSolver} {
		if err := upgrade(filepath.Join(dir, "missing.prototxt"), out); !errors.Is(err, ErrUnreadable) {
			t.Errorf("missing input: %v, want ErrUnreadable", err)
		}
	}

	partial := filepath.Join(dir, "partial.prototxt")
	if err := os.WriteFile(partial, []byte(`input: "x" layers { layer { name: "r" type: "relu" num_output: 3 } bottom: "x" top: "x" }`), 0o644); err != nil {
		t.Fatal(err)
	}
	log = testutil.CaptureLog(t)
	if err := UpgradeNet(partial, out); !errors.Is(err, protofile.ErrPartialUpgrade) {
		t.Errorf("partial upgrade: %v, want protofile.ErrPartialUpgrade", err)
	}
	for _, msg := range []string{"Unknown parameter num_output for layer type relu", "Encountered error(s) while upgrading prototxt; see details above."} {
		if !strings.Contains(log.String(), msg) {
			t.Errorf("log lacks %q:\n%s", msg, log)
		}
	}
	if got := string(testutil.ReadFile(t, out)); !strings.Contains(got, `type: "ReLU"`) {
		t.Errorf("partial upgrade wrote:\n%s", got)
	}
}
