package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

func TestGradcheckCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mlp.prototxt")
	os.WriteFile(path, []byte(mlpNet), 0o644)
	code, out := runCapture(t, "gradcheck", "--model="+path, "--seed=7")
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out)
	}
	for _, want := range []string{"ip1_relu1_0_split", "param 0", "bottom 0", "all 7 layers passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out = runCapture(t, "gradcheck", "-model", path, "-layer", "ip2")
	if code != 0 || strings.Contains(out, "ip_aux") || !strings.Contains(out, "all 1 layers passed") {
		t.Fatalf("--layer=ip2 (exit %d):\n%s", code, out)
	}
	// A threshold too tight for float32 arithmetic makes layers fail: exit status 1.
	code, out = runCapture(t, "gradcheck", "--model="+path, "--threshold=1e-9")
	if code != 1 || !strings.Contains(out, "FAILED") {
		t.Fatalf("impossible threshold (exit %d):\n%s", code, out)
	}
}

// The net of docs/new-layer.md: the guide's own command must pass.
func TestGradcheckSoftplusExample(t *testing.T) {
	model := filepath.Join(testutil.Root(), "docs", "examples", "softplus_mlp.prototxt")
	if _, err := os.Stat(model); err != nil {
		t.Fatalf("the guide's example net is missing: %v", err)
	}
	code, out := runCapture(t, "gradcheck", "--model="+model)
	if code != 0 || !strings.Contains(out, "Softplus") {
		t.Fatalf("exit status %d:\n%s", code, out)
	}
}
