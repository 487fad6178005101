package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

// checkPNG decodes a PNG and wants a picture with something drawn on it.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() < 100 || b.Dy() < 100 {
		t.Fatalf("%s is %v", path, b)
	}
	colors := map[[4]uint32]bool{}
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, a := img.At(x, y).RGBA()
			colors[[4]uint32{r, g, bl, a}] = true
		}
	}
	if len(colors) < 3 {
		t.Errorf("%s has %d colours: nothing drawn", path, len(colors))
	}
}

// TestPlot draws the charts of Caffe's train.log and of a gocaffe log, and both
// logs on one chart.
func TestPlot(t *testing.T) {
	dir := testutil.CopyDir(t, "fixtures/nets/lenet_mnist")
	t.Chdir(dir)
	solver := strings.NewReplacer("max_iter: 100", "max_iter: 10", "test_interval: 50", "test_interval: 5",
		"test_iter: 10", "test_iter: 2", "snapshot: 50", "snapshot_after_train: false").Replace(string(testutil.ReadFile(t, "lenet_solver.prototxt")))
	if err := os.WriteFile("short_solver.prototxt", []byte(solver), 0o644); err != nil {
		t.Fatal(err)
	}
	log, err := gocaffe(t, "train", "-solver", "short_solver.prototxt", "-weights", "init.caffemodel")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("gocaffe.log", []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, tt := range []struct {
		args []string
		file string
	}{
		{[]string{"train.log"}, "caffe.png"},
		{[]string{"gocaffe.log"}, "gocaffe.png"},
		{[]string{"train.log", "gocaffe.log", "--chart=6"}, "both_loss.png"},
		{[]string{"gocaffe.log", "--chart=test-accuracy", "--x=seconds"}, "acc.png"},
	} {
		args := append([]string{"plot", "--out=" + filepath.Join(out, tt.file)}, tt.args...)
		if _, err := gocaffe(t, args...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		checkPNG(t, filepath.Join(out, tt.file))
	}
	if _, err := gocaffe(t, "plot", "--out="+filepath.Join(out, "c.svg"), "train.log", "--chart=4"); err != nil {
		t.Fatal(err)
	}
	if svg := testutil.ReadFile(t, filepath.Join(out, "c.svg")); !strings.Contains(string(svg), "<svg") {
		t.Error("not an SVG")
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"plot", "train.log"}, "--out is required"},
		{[]string{"plot", "train.log", "--out=x.jpg"}, ".png or .svg"},
		{[]string{"plot", "train.log", "--out=x.png", "--chart=9"}, "0..7"},
		{[]string{"plot", "train.log", "--out=x.png", "--chart=accuracy"}, `unknown --chart "accuracy"`},
		{[]string{"plot", "lenet_solver.prototxt", "--out=x.png"}, "not a training log"},
		{[]string{"plot", "none.log", "--out=x.png"}, "none.log"},
	} {
		_, err := gocaffe(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.want)
		}
	}
}
