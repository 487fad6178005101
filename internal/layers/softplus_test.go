package layers_test

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Softplus, the layer docs/new-layer.md builds, and of that guide: its
// example net, and its code, which must be the code of these files.

func TestSoftplusGradient(t *testing.T) {
	for _, tc := range []struct {
		name  string
		std   float32
		shape []int
	}{
		{"caffe_bottom", 1, []int{2, 3, 4, 5}},
		{"wide", 5, []int{4, 6}},
		{"one_axis", 0.1, []int{7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			bottom := []*blob.Blob{gaussian(r, 0, tc.std, tc.shape...)}
			l := setUp(t, `type: "Softplus"`, caffepb.Phase_TRAIN, bottom, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkEltwise, gradcheck.AllBottoms)
		})
	}
}

func TestSoftplusForward(t *testing.T) {
	x := gaussian(rng.New(1701), 0, 3, 100)
	copy(x.Data, []float32{-1e4, -100, -20, -1, 0, 1, 20, 100, 1e4})
	l := setUp(t, `type: "Softplus"`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	for i := range l.Top[0].Diff {
		l.Top[0].Diff[i] = 1
	}
	l.Backward(l.Top, []bool{true}, l.Bottom)
	for i, xi := range x.Data {
		v := float64(xi)
		// The definitions, in float64: log(1 + eˣ) and its derivative 1/(1 + e^−x).
		// Where eˣ overflows even float64, log(1 + eˣ) is x to the last bit.
		want := v
		if v < 700 {
			want = math.Log1p(math.Exp(v))
		}
		wantGrad := 1 / (1 + math.Exp(-v))
		y, dx := float64(l.Top[0].Data[i]), float64(x.Diff[i])
		if math.IsInf(y, 0) || math.IsNaN(y) || math.IsInf(dx, 0) || math.IsNaN(dx) {
			t.Fatalf("x = %g: y = %g, dy/dx = %g, want finite", v, y, dx)
		}
		if !testutil.Close(y, want, 1e-30, 1e-6) {
			t.Errorf("softplus(%g) = %g, want %g", v, y, want)
		}
		if !testutil.Close(dx, wantGrad, 1e-30, 1e-6) {
			t.Errorf("softplus'(%g) = %g, want %g", v, dx, wantGrad)
		}
	}
}

func TestSoftplusInPlace(t *testing.T) {
	r := rng.New(3)
	x := gaussian(r, 0, 4, 2, 3, 4, 5)
	dy := gaussian(r, 0, 1, 2, 3, 4, 5)

	// Out of place: bottom x, top a blob of its own.
	out := setUp(t, `type: "Softplus"`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	out.Forward(out.Bottom, out.Top)
	copy(out.Top[0].Diff, dy.Data)
	out.Backward(out.Top, []bool{true}, out.Bottom)

	// In place: one blob is both bottom and top, as `bottom: "a" top: "a"` makes it.
	io := blob.New(x.Shape()...)
	copy(io.Data, x.Data)
	l, _ := newLayer(t, `type: "Softplus"`, caffepb.Phase_TRAIN)
	both := []*blob.Blob{io}
	if err := layers.SetUp(l, both, both); err != nil {
		t.Fatal(err)
	}
	l.Forward(both, both)
	copy(io.Diff, dy.Data)
	l.Backward(both, []bool{true}, both)

	for i := range io.Data {
		if io.Data[i] != out.Top[0].Data[i] || io.Diff[i] != x.Diff[i] {
			t.Fatalf("element %d: in place y %g dx %g, out of place y %g dx %g",
				i, io.Data[i], io.Diff[i], out.Top[0].Data[i], x.Diff[i])
		}
	}
}

// docsPath is the path of a file under the repository's docs folder.
func docsPath(rel string) string {
	return filepath.Join(testutil.Root(), "docs", filepath.FromSlash(rel))
}

// TestSoftplusExampleNet builds the guide's example net and checks the gradient of
// every layer in it, as `gocaffe gradcheck` does: float inputs from a unit gaussian,
// integer labels.
func TestSoftplusExampleNet(t *testing.T) {
	param, err := protofile.ReadNetText(docsPath("examples/softplus_mlp.prototxt"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := network.New(param, network.Options{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	r := rng.New(1701)
	data, label := n.Blob("data"), n.Blob("label")
	for i := range data.Data {
		data.Data[i] = r.Gaussian(0, 1)
	}
	for i := range label.Data {
		label.Data[i] = float32(r.Intn(10))
	}
	loss, err := n.ForwardBackward()
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(float64(loss)) || loss <= 0 {
		t.Fatalf("loss %g", loss)
	}
	checked := 0
	for i := 0; i < n.NumLayers(); i++ {
		lp := n.LayerParam(i)
		if lp.GetType() == "Input" {
			continue
		}
		bottoms := gradcheck.AllBottoms
		if lp.GetType() == "SoftmaxWithLoss" {
			bottoms = 0 // not the labels
		}
		c := gradcheck.New(1e-2, 1e-3)
		rep, err := c.Check(n.Layer(i), n.Bottoms(i), n.Tops(i), bottoms)
		if err != nil {
			t.Fatalf("layer %s: %v", lp.GetName(), err)
		}
		if err := rep.Err(); err != nil {
			t.Errorf("layer %s: %v", lp.GetName(), err)
		}
		if lp.GetType() == "Softplus" {
			checked++
		}
	}
	if checked != 1 {
		t.Fatalf("%d Softplus layers in the example, want 1", checked)
	}
}

// TestNewLayerGuideMatchesCode checks that every Go block of docs/new-layer.md is
// code of softplus.go or softplus_test.go, and every prototxt block text of the
// example net, word for word: the guide cannot drift from the files it describes.
func TestNewLayerGuideMatchesCode(t *testing.T) {
	read := func(paths ...string) string {
		var b strings.Builder
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(data)
		}
		return b.String()
	}
	sources := map[string]string{
		"go":       read("softplus.go", "softplus_test.go"),
		"prototxt": read(docsPath("examples/softplus_mlp.prototxt")),
	}
	f, err := os.Open(docsPath("new-layer.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		lang   string // of the block being read, "" outside the blocks checked
		block  []string
		blocks = map[string]int{}
	)
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		switch {
		case lang == "" && strings.HasPrefix(text, "```"):
			if _, ok := sources[text[3:]]; ok {
				lang, block = text[3:], nil
			}
		case lang != "" && text == "```":
			if b := strings.Join(block, "\n") + "\n"; !strings.Contains(sources[lang], b) {
				t.Errorf("docs/new-layer.md: the %s block ending on line %d is not in the files it shows:\n%s", lang, line, b)
			}
			blocks[lang]++
			lang = ""
		case lang != "":
			block = append(block, text)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if blocks["go"] < 4 || blocks["prototxt"] < 1 {
		t.Fatalf("docs/new-layer.md has %d Go and %d prototxt blocks", blocks["go"], blocks["prototxt"])
	}
}
