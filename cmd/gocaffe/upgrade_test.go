package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

// TestUpgradeCommand runs `gocaffe upgrade` as a user would: --solver (in Caffe's
// spelling too) chooses the solver's upgrade, and the exit status is Caffe's: 0 on
// success, 1 after a partial upgrade or a wrong argument count, 2 when the input
// cannot be read. The upgrades themselves are tested in internal/convert.
func TestUpgradeCommand(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.prototxt")
	partial := filepath.Join(dir, "partial.prototxt")
	os.WriteFile(bad, []byte("layers {\n  type: CONVOLUTON\n}\n"), 0o644)
	os.WriteFile(partial, []byte(`input: "x" layers { layer { name: "r" type: "relu" num_output: 3 } bottom: "x" top: "x" }`), 0o644)
	out := filepath.Join(dir, "out.prototxt")
	for _, tt := range []struct {
		args []string
		code int
		file string // what out must then hold, if anything
	}{
		{[]string{testutil.Path("caffe-examples/legacy/v0/lenet_train.prototxt"), out}, 0, "fixtures/upgrade/lenet_train.prototxt"},
		{[]string{"-solver", testutil.Path("caffe-examples/legacy/solver/lenet_solver_adam.prototxt"), out}, 0, "fixtures/upgrade/lenet_solver_adam.prototxt"},
		{[]string{"--solver", testutil.Path("caffe-examples/legacy/solver/lenet_solver_rmsprop.prototxt"), out}, 0, "fixtures/upgrade/lenet_solver_rmsprop.prototxt"},
		{[]string{partial, out}, 1, ""},
		{[]string{bad}, 1, ""},
		{[]string{bad, out}, 2, ""},
		{[]string{"--solver", bad, out}, 2, ""},
		{[]string{filepath.Join(dir, "missing.prototxt"), out}, 2, ""},
	} {
		log := testutil.CaptureLog(t)
		args := append([]string{"upgrade"}, tt.args...)
		if code := run(newRootCmd(), args); code != tt.code {
			t.Errorf("gocaffe %s: exit status %d, want %d\n%s", strings.Join(args, " "), code, tt.code, log)
			continue
		}
		if tt.file != "" && !bytes.Equal(testutil.ReadFile(t, out), testutil.ReadFile(t, testutil.Path(tt.file))) {
			t.Errorf("gocaffe %s wrote other bytes than Caffe's %s", strings.Join(args, " "), tt.file)
		}
	}
}
