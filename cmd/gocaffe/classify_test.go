package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// gocaffeOut runs gocaffe with args and returns what it printed on standard output.
func gocaffeOut(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	_, err := gocaffeTo(t, &out, args...)
	return out.String(), err
}

// writePNG writes an image file.
func writePNG(t *testing.T, path string, im image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, im); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// mnistImages writes the first n digits of the MNIST test fixture as size×size PNG
// files (upscaled from 28×28 when size is larger, so that both sides resize) and
// returns their labels.
func mnistImages(t *testing.T, dir string, n, size int) []int {
	t.Helper()
	ims, err := datum.OpenMNISTImages(testutil.Path("fixtures/nets/lenet_mnist/t10k-images-1000-idx3-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer ims.Close()
	lbs, err := datum.OpenMNISTLabels(testutil.Path("fixtures/nets/lenet_mnist/t10k-labels-1000-idx1-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer lbs.Close()
	buf := make([]byte, 28*28)
	var labels []int
	for i := 0; i < n; i++ {
		if err := ims.Next(buf); err != nil {
			t.Fatal(err)
		}
		l, err := lbs.Next()
		if err != nil {
			t.Fatal(err)
		}
		g := image.NewGray(image.Rect(0, 0, size, size))
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				g.Pix[y*size+x] = buf[(y*28/size)*28+x*28/size]
			}
		}
		writePNG(t, filepath.Join(dir, fmt.Sprintf("digit%03d.png", i)), g)
		labels = append(labels, int(l))
	}
	return labels
}

// cifarImages writes the first n images of the CIFAR-10 fixture as PNG files, every
// third one enlarged to 40×40, and returns their labels.
func cifarImages(t *testing.T, dir string, n int) []int {
	t.Helper()
	f, err := datum.OpenCIFAR10(testutil.Path("fixtures/nets/cifar10_synth/test_batch.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var labels []int
	for i := 0; i < n; i++ {
		r, err := f.Next()
		if err != nil {
			t.Fatal(err)
		}
		size := 32
		if i%3 == 2 {
			size = 40
		}
		im := image.NewRGBA(image.Rect(0, 0, size, size))
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				p := (y*32/size)*32 + x*32/size
				im.Set(x, y, color.RGBA{r.Pixels[p], r.Pixels[1024+p], r.Pixels[2048+p], 255})
			}
		}
		writePNG(t, filepath.Join(dir, fmt.Sprintf("img%03d.png", i)), im)
		labels = append(labels, int(r.Label))
	}
	return labels
}

// scoringNet turns a deploy prototxt into a TEST net over a database: its Input layer
// becomes a Data layer (batches of one, the transform given) and an ArgMax layer adds
// the top class and its score as an output, which gocaffe test prints for every batch.
func scoringNet(t *testing.T, deploy, source, out string, tr *caffepb.TransformationParameter) {
	t.Helper()
	p, err := protofile.ReadNetText(deploy)
	if err != nil {
		t.Fatal(err)
	}
	in := p.Layer[0]
	if in.GetType() != "Input" {
		t.Fatalf("%s: first layer is %s, want Input", deploy, in.GetType())
	}
	p.Layer[0] = &caffepb.LayerParameter{
		Name: proto.String("data"), Type: proto.String("Data"),
		Top:            []string{in.Top[0], "label"},
		TransformParam: tr,
		DataParam: &caffepb.DataParameter{Source: proto.String(source), BatchSize: proto.Uint32(1),
			Backend: caffepb.DataParameter_LMDB.Enum()},
	}
	last := p.Layer[len(p.Layer)-1].Top[0]
	p.Layer = append(p.Layer, &caffepb.LayerParameter{
		Name: proto.String("top1"), Type: proto.String("ArgMax"), Bottom: []string{last}, Top: []string{"top1"},
		ArgmaxParam: &caffepb.ArgMaxParameter{OutMaxVal: proto.Bool(true)},
	})
	if err := protofile.WriteText(out, p); err != nil {
		t.Fatal(err)
	}
}

// TestClassifyMatchesTest is the promise of gocaffe classify: on a folder of images it
// gives, for every image, the top class gocaffe test finds when the same images are
// converted to a database (convert imageset, same resize) and read with the same
// preprocessing — and the same score. LeNet on MNIST digits (grey, scale, resized from 40×40) and
// cifar10_quick on CIFAR-10 images (colour, mean file, some resized from 40×40).
func TestClassifyMatchesTest(t *testing.T) {
	for _, tc := range []struct {
		name, deploy, weights string
		n                     int
		images                func(t *testing.T, dir string, n int) []int
		convert               []string
		transform             *caffepb.TransformationParameter
		classify              []string
		minCorrect            int
	}{
		{
			name: "lenet", deploy: "caffe-examples/examples/mnist/lenet.prototxt",
			weights: "fixtures/realworld/ethereon_lenet_iter_10000.caffemodel", n: 30,
			images:    func(t *testing.T, dir string, n int) []int { return mnistImages(t, dir, n, 40) },
			convert:   []string{"--gray", "--resize_height=28", "--resize_width=28"},
			transform: &caffepb.TransformationParameter{Scale: proto.Float32(0.00390625)},
			classify:  []string{"--scale=0.00390625"},
			// ethereon's weights score 0.9914 on MNIST's test set.
			minCorrect: 28,
		},
		{
			name: "cifar10_quick", deploy: "caffe-examples/examples/cifar10/cifar10_quick.prototxt",
			weights: "fixtures/nets/cifar10_synth/cifar10_quick_iter_40.caffemodel", n: 24,
			images:  cifarImages,
			convert: []string{"--resize_height=32", "--resize_width=32"},
			transform: &caffepb.TransformationParameter{
				MeanFile: proto.String(testutil.Path("fixtures/nets/cifar10_synth/mean.binaryproto"))},
			classify: []string{"--mean_file=" + testutil.Path("fixtures/nets/cifar10_synth/mean.binaryproto")},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			imgs := filepath.Join(dir, "images")
			if err := os.Mkdir(imgs, 0o755); err != nil {
				t.Fatal(err)
			}
			labels := tc.images(t, imgs, tc.n)
			var list strings.Builder
			for i, l := range labels {
				entries, _ := os.ReadDir(imgs)
				fmt.Fprintf(&list, "%s %d\n", entries[i].Name(), l)
			}
			listFile := filepath.Join(dir, "list.txt")
			if err := os.WriteFile(listFile, []byte(list.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			dbPath := filepath.Join(dir, "images_lmdb")
			args := append([]string{"convert", "imageset"}, tc.convert...)
			if _, err := gocaffe(t, append(args, imgs+"/", listFile, dbPath)...); err != nil {
				t.Fatal(err)
			}
			model := filepath.Join(dir, "score.prototxt")
			scoringNet(t, testutil.Path(tc.deploy), dbPath, model, tc.transform)
			weights := testutil.Path(tc.weights)
			log, err := gocaffe(t, "test", "--model="+model, "--weights="+weights, "--iterations="+strconv.Itoa(tc.n))
			if err != nil {
				t.Fatal(err)
			}
			batches, _ := scores(t, log)
			want := batches["top1"] // class, score, class, score, ...
			if len(want) != 2*tc.n {
				t.Fatalf("gocaffe test printed %d top1 values, want %d", len(want), 2*tc.n)
			}

			args = append([]string{"classify", "--model=" + testutil.Path(tc.deploy), "--weights=" + weights,
				"--json", "--top_k=3", "--batch_size=7"}, tc.classify...)
			out, err := gocaffeOut(t, append(args, imgs)...)
			if err != nil {
				t.Fatal(err)
			}
			var got []classifiedImage
			dec := json.NewDecoder(strings.NewReader(out))
			for dec.More() {
				var ci classifiedImage
				if err := dec.Decode(&ci); err != nil {
					t.Fatalf("%v in\n%s", err, out)
				}
				got = append(got, ci)
			}
			if len(got) != tc.n {
				t.Fatalf("classify printed %d images, want %d", len(got), tc.n)
			}
			correct := 0
			for i, ci := range got {
				if wantName := fmt.Sprintf("%03d.png", i); !strings.HasSuffix(ci.Path, wantName) {
					t.Errorf("image %d is %s, want …%s (name order)", i, ci.Path, wantName)
				}
				if len(ci.Classes) != 3 {
					t.Fatalf("image %d: %d classes, want 3", i, len(ci.Classes))
				}
				if float64(ci.Classes[0].Class) != want[2*i] {
					t.Errorf("%s: classify's top class %d, gocaffe test's %v", ci.Path, ci.Classes[0].Class, want[2*i])
				}
				// The score too, to the digits the log prints: the same preprocessing.
				if !testutil.Close(float64(ci.Classes[0].Score), want[2*i+1], 0, 1e-5) {
					t.Errorf("%s: classify's top score %v, gocaffe test's %v", ci.Path, ci.Classes[0].Score, want[2*i+1])
				}
				if ci.Classes[0].Score < ci.Classes[1].Score || ci.Classes[1].Score < ci.Classes[2].Score {
					t.Errorf("%s: classes not in decreasing order: %+v", ci.Path, ci.Classes)
				}
				if ci.Classes[0].Class == labels[i] {
					correct++
				}
			}
			if correct < tc.minCorrect {
				t.Errorf("%d of %d images classified correctly, want at least %d", correct, tc.n, tc.minCorrect)
			}
		})
	}
}

// TestClassifyText checks the text output (classification.cpp's layout), labels, image
// lists and --channel_swap.
func TestClassifyText(t *testing.T) {
	dir := t.TempDir()
	mnistImages(t, dir, 2, 28)
	labels := filepath.Join(dir, "labels.txt")
	os.WriteFile(labels, []byte("zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n"), 0o644)
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("digit001.png 2\n"), 0o644)
	out, err := gocaffeOut(t, "classify", "--model="+testutil.Path("caffe-examples/examples/mnist/lenet.prototxt"),
		"--weights="+testutil.Path("fixtures/realworld/ethereon_lenet_iter_10000.caffemodel"),
		"--scale=0.00390625", "--labels="+labels, "--top_k=2", "--root_folder="+dir+"/",
		filepath.Join(dir, "digit000.png"), list)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 {
		t.Fatalf("got %d lines, want 6:\n%s", len(lines), out)
	}
	for i, want := range []string{
		"---------- Prediction for " + filepath.Join(dir, "digit000.png") + " ----------",
		`"seven"`, "",
		"---------- Prediction for " + dir + "/digit001.png ----------",
		`"two"`,
	} {
		if want != "" && !strings.HasSuffix(lines[i], want) {
			t.Errorf("line %d: %q, want …%q", i, lines[i], want)
		}
	}
	if !strings.HasPrefix(lines[1], "1.0000 - ") && !strings.HasPrefix(lines[1], "0.9") {
		t.Errorf("line 1: %q, want a probability near 1", lines[1])
	}
}

func TestClassifyErrors(t *testing.T) {
	dir := t.TempDir()
	mnistImages(t, dir, 1, 28)
	img := filepath.Join(dir, "digit000.png")
	bad := filepath.Join(dir, "bad.png")
	os.WriteFile(bad, []byte("not an image"), 0o644)
	labels := filepath.Join(dir, "labels.txt")
	os.WriteFile(labels, []byte("a\nb\n"), 0o644)
	model := "--model=" + testutil.Path("caffe-examples/examples/mnist/lenet.prototxt")
	weights := "--weights=" + testutil.Path("fixtures/realworld/ethereon_lenet_iter_10000.caffemodel")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"classify", weights, img}, "--model"},
		{[]string{"classify", model, img}, "--weights"},
		{[]string{"classify", model, weights, bad}, "bad.png"},
		{[]string{"classify", model, weights, filepath.Join(dir, "none.png")}, "none.png"},
		{[]string{"classify", model, weights, "--labels=" + labels, img}, "2 labels for the 10 classes"},
		{[]string{"classify", model, weights, "--channel_swap=2,1,0", img}, "channel swap"},
		{[]string{"classify", model, weights, "--mean_value=1,2", img}, "2 mean values"},
		{[]string{"classify", model, weights, "--mean_file=" + testutil.Path("fixtures/nets/cifar10_synth/mean.binaryproto"), img}, "mean file"},
		{[]string{"classify", model, weights, "--top_k=0", img}, "--top_k"},
		{[]string{"classify", model, weights, "--mean_value=x", img}, "not a number"},
	} {
		_, err := gocaffeOut(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.args[1:], err, tt.want)
		}
	}
}
