package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

func TestDrawCommand(t *testing.T) {
	dir := t.TempDir()
	model := testutil.Path("caffe-examples/examples/mnist/lenet_train_test.prototxt")
	dot := filepath.Join(dir, "lenet.dot")
	if code := run(newRootCmd(), []string{"draw", "--model=" + model, dot, "--phase=TEST"}); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	data, err := os.ReadFile(dot)
	if err != nil || !bytes.HasPrefix(data, []byte(`digraph "LeNet"`)) || !bytes.Contains(data, []byte("accuracy_Accuracy")) {
		t.Fatalf("%v\n%s", err, data)
	}
	if _, err := exec.LookPath("dot"); err != nil {
		t.Skip("Graphviz's dot is not installed: .ci/run installs it")
	}
	for _, ext := range []string{"svg", "png"} {
		out := filepath.Join(dir, "lenet."+ext)
		if code := run(newRootCmd(), []string{"draw", "-model", model, out}); code != 0 {
			t.Fatalf("%s: exit status %d", ext, code)
		}
		img, _ := os.ReadFile(out)
		if ext == "svg" && !strings.Contains(string(img), "<svg") || ext == "png" && !bytes.HasPrefix(img, []byte("\x89PNG")) {
			t.Fatalf("%s output is not an image", ext)
		}
	}
	if code := run(newRootCmd(), []string{"draw", "-model", model, filepath.Join(dir, "x.bmp")}); code == 0 {
		t.Fatal("unknown extension accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "x.bmp")); err == nil {
		t.Fatal("a failed draw left a file")
	}
}
