package layers_test

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// infogainBottoms are Caffe's test inputs: U(-0.5, 2) scores (4, 2, 5, 2) with the 5
// classes on axis 2, labels (4, 2, 1, 2) in [0, 5) and a U(0.1, 2) matrix H (1, 1, 5, 5).
func infogainBottoms(r *rng.Source) []*blob.Blob {
	return []*blob.Blob{uniform(r, -0.5, 2, 4, 2, 5, 2), labels(r, 5, 4, 2, 1, 2), uniform(r, 0.1, 2, 1, 1, 5, 5)}
}

// writeInfogainMatrix writes h as a binary BlobProto file in a temporary folder and
// returns its path; legacy writes the old num/channels/height/width shape fields.
func writeInfogainMatrix(t *testing.T, h *blob.Blob, legacy bool) string {
	t.Helper()
	bp := h.ToProto(false)
	if legacy {
		// As Caffe's old tools wrote a K×K matrix: (1, 1, K, K).
		bp = &caffepb.BlobProto{
			Num: proto.Int32(1), Channels: proto.Int32(1),
			Height: proto.Int32(int32(h.Dim(-2))), Width: proto.Int32(int32(h.Dim(-1))),
			Data: h.Data,
		}
	}
	data, err := proto.Marshal(bp)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "H.binaryproto")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestInfogainLossForward is Caffe's TestInfogainLoss: the probability top against a
// softmax computed here, and the loss against its definition, both in float64.
func TestInfogainLossForward(t *testing.T) {
	const outer, k, inner = 8, 5, 2
	r := rng.New(1701)
	bottom := infogainBottoms(r)
	l := setUp(t, `type: "InfogainLoss" infogain_loss_param { axis: 2 }`, caffepb.Phase_TRAIN, bottom, 2)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	if got, want := l.Top[1].ShapeString(), bottom[0].ShapeString(); got != want {
		t.Fatalf("probability top %s, want the scores' shape %s", got, want)
	}
	x, lab, h, prob := bottom[0].Data, bottom[1].Data, bottom[2].Data, l.Top[1].Data
	var loss float64
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			var den float64
			e := make([]float64, k)
			for c := 0; c < k; c++ {
				e[c] = math.Exp(float64(x[(o*k+c)*inner+in]))
				den += e[c]
			}
			gt := int(lab[o*inner+in])
			for c := 0; c < k; c++ {
				p := e[c] / den
				if got := float64(prob[(o*k+c)*inner+in]); math.Abs(got-p) > 1e-6 {
					t.Fatalf("probability (%d, %d, %d) %g, want %g", o, c, in, got, p)
				}
				loss -= float64(h[gt*k+c]) * math.Log(math.Max(p, 1e-20))
			}
		}
	}
	loss /= outer * inner
	if got := float64(l.Top[0].Data[0]); !testutil.Close(got, loss, 1e-6, 1e-5) {
		t.Fatalf("loss %g, want %g", got, loss)
	}
}

func TestInfogainLossGradient(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		// fromFile gives H through infogain_loss_param.source instead of bottom[2].
		fromFile bool
		// ignored labels are set to 3 at these positions.
		ignoreAt []int
		checker  *gradcheck.Checker
	}{
		// Caffe's test: step 1e-4, threshold 2e-2. With so small a step the float32
		// loss is only resolved to about 0.01 in the estimate, so the other cases,
		// whose losses are larger, use SoftmaxWithLoss's step 1e-2 and threshold 1e-2.
		{"caffe", `infogain_loss_param { axis: 2 }`, false, nil, gradcheck.New(1e-4, 2e-2)},
		{"source", `infogain_loss_param { axis: 2 source: "%s" }`, true, nil, gradcheck.New(1e-4, 2e-2)},
		{"ignore", `infogain_loss_param { axis: 2 } loss_param { ignore_label: 3 }`, false, []int{0, 5, 6, 11},
			gradcheck.New(1e-2, 1e-2)},
		{"full", `infogain_loss_param { axis: 2 } loss_param { ignore_label: 3 normalization: FULL }`, false, []int{1, 2},
			gradcheck.New(1e-2, 1e-2)},
		{"batch_size", `infogain_loss_param { axis: 2 } loss_param { normalization: BATCH_SIZE }`, false, nil,
			gradcheck.New(1e-2, 1e-2)},
		{"none", `infogain_loss_param { axis: 2 } loss_param { normalization: NONE }`, false, nil,
			gradcheck.New(1e-2, 1e-2)},
		{"axis-2", `infogain_loss_param { axis: -2 }`, false, nil, gradcheck.New(1e-2, 1e-2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			bottom := infogainBottoms(r)
			for _, i := range tc.ignoreAt {
				bottom[1].Data[i] = 3
			}
			text := tc.text
			if tc.fromFile {
				text = strings.Replace(text, "%s", writeInfogainMatrix(t, bottom[2], false), 1)
				bottom = bottom[:2]
			}
			l := setUp(t, `type: "InfogainLoss" `+text, caffepb.Phase_TRAIN, bottom, 1)
			checkGradient(t, l, tc.checker, checkExhaustive, 0)
			checkLossWeight(t, l, 0)
			for _, i := range tc.ignoreAt {
				o, in := i/2, i%2
				for c := 0; c < 5; c++ {
					if d := l.Bottom[0].Diff[(o*5+c)*2+in]; d != 0 {
						t.Fatalf("ignored position %d, class %d has gradient %g", i, c, d)
					}
				}
			}
		})
	}
}

// TestInfogainLossSourceMatchesCaffe runs Caffe's fixture through the two-bottom form
// that reads H from a file, which is how Caffe itself made the fixture's gradient.
func TestInfogainLossSourceMatchesCaffe(t *testing.T) {
	f, _, err := loadFixture(filepath.Join(fixtureDir(), "infogainloss_3bottom.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, legacy := range []bool{false, true} {
		path := writeInfogainMatrix(t, f.Bottoms[2].blob(), legacy)
		bottom := []*blob.Blob{f.Bottoms[0].blob(), f.Bottoms[1].blob()}
		l := setUp(t, `type: "InfogainLoss" infogain_loss_param { source: "`+path+`" }`, caffepb.Phase_TRAIN, bottom, 1)
		if err := l.Forward(l.Bottom, l.Top); err != nil {
			t.Fatal(err)
		}
		compareBlob(t, "top", l.Top[0].Data, f.Tops[0])
		l.Top[0].Diff[0] = (*f.TopDiffs[0].Data)[0]
		l.Backward(l.Top, []bool{true, false}, l.Bottom)
		compareBlob(t, "bottom diff", l.Bottom[0].Diff, f.BottomDiffs[0])
	}
}

// With H = I the loss is SoftmaxWithLoss's, but for the clamp of tiny probabilities.
func TestInfogainLossIdentityIsSoftmaxLoss(t *testing.T) {
	r := rng.New(1701)
	x, lab := gaussian(r, 0, 2, 6, 4, 3), labels(r, 4, 6, 3)
	identity := blob.New(4, 4)
	for i := 0; i < 4; i++ {
		identity.Data[i*4+i] = 1
	}
	info := setUp(t, `type: "InfogainLoss" loss_param { ignore_label: 2 }`, caffepb.Phase_TRAIN,
		[]*blob.Blob{x, lab, identity}, 1)
	soft := setUp(t, `type: "SoftmaxWithLoss" loss_param { ignore_label: 2 }`, caffepb.Phase_TRAIN,
		[]*blob.Blob{x, lab}, 1)
	for _, l := range []*testLayer{info, soft} {
		if err := l.Forward(l.Bottom, l.Top); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := float64(info.Top[0].Data[0]), float64(soft.Top[0].Data[0]); !testutil.Close(a, b, 1e-6, 1e-5) {
		t.Fatalf("InfogainLoss with H = I gives %g, SoftmaxWithLoss %g", a, b)
	}
	info.Top[0].Diff[0], soft.Top[0].Diff[0] = 1, 1
	info.Backward(info.Top, []bool{true, false, false}, info.Bottom)
	gradInfo := append([]float32(nil), x.Diff...)
	soft.Backward(soft.Top, []bool{true, false}, soft.Bottom)
	if err := testutil.CompareSlices(gradInfo, x.Diff, 1e-7, 1e-5); err != nil {
		t.Fatalf("gradients of InfogainLoss with H = I and SoftmaxWithLoss differ: %v", err)
	}
}

func TestInfogainLossContract(t *testing.T) {
	l, _ := newLayer(t, `type: "InfogainLoss"`, caffepb.Phase_TRAIN)
	g, ok := l.(layers.BackwardGate)
	if !ok || !g.AllowForceBackward(0) || g.AllowForceBackward(1) || g.AllowForceBackward(2) {
		t.Fatal("InfogainLoss must allow force_backward to the scores only")
	}
	c := l.(layers.Counter).BlobCounts()
	for _, n := range [][2]int{{2, 1}, {3, 1}, {2, 2}, {3, 2}} {
		if err := c.Check(n[0], n[1]); err != nil {
			t.Fatalf("%d bottoms and %d tops: %v", n[0], n[1], err)
		}
	}
	for _, n := range [][2]int{{1, 1}, {4, 1}, {2, 3}} {
		if err := c.Check(n[0], n[1]); err == nil {
			t.Fatalf("%d bottoms and %d tops accepted", n[0], n[1])
		}
	}
}

func TestInfogainLossErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no_such_H.binaryproto")
	corrupt := filepath.Join(dir, "corrupt.binaryproto")
	if err := os.WriteFile(corrupt, []byte{0x0a, 0xff, 0xff}, 0o644); err != nil {
		t.Fatal(err)
	}
	wrongSize := writeInfogainMatrix(t, blob.New(1, 1, 4, 4), false)
	scores := func() []*blob.Blob { return []*blob.Blob{blob.New(6, 5), blob.New(6)} }
	for _, tc := range []struct {
		name, text string
		bottom     []*blob.Blob
		want       []string // all must appear in the error
	}{
		{"no_source", `type: "InfogainLoss"`, scores(), []string{"infogain_loss_param.source"}},
		{"missing_file", `type: "InfogainLoss" infogain_loss_param { source: "` + missing + `" }`, scores(),
			[]string{"infogain_loss_param.source", missing}},
		{"corrupt_file", `type: "InfogainLoss" infogain_loss_param { source: "` + corrupt + `" }`, scores(),
			[]string{"infogain_loss_param.source", corrupt}},
		{"file_H_size", `type: "InfogainLoss" infogain_loss_param { source: "` + wrongSize + `" }`, scores(),
			[]string{wrongSize, "1 1 4 4 (16)", "5×5"}},
		{"bottom_H_size", `type: "InfogainLoss"`, append(scores(), blob.New(5, 4)), []string{"bottom[2]", "5 4 (20)"}},
		{"label_count", `type: "InfogainLoss"`, []*blob.Blob{blob.New(6, 5, 2), blob.New(6), blob.New(5, 5)},
			[]string{"infogain_loss_param.axis", "6 (6)"}},
		{"axis", `type: "InfogainLoss" infogain_loss_param { axis: 2 }`, append(scores(), blob.New(5, 5)),
			[]string{"infogain_loss_param.axis"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := newLayer(t, tc.text, caffepb.Phase_TRAIN)
			err := layers.SetUp(l, tc.bottom, []*blob.Blob{blob.New()})
			if err == nil {
				t.Fatal("Setup succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not mention %q", err, w)
				}
			}
		})
	}

	t.Run("normalize", func(t *testing.T) {
		p := &caffepb.LayerParameter{Name: proto.String("info"), Type: proto.String("InfogainLoss"),
			LossParam: &caffepb.LossParameter{Normalize: proto.Bool(true)}}
		_, err := layers.New(p, nil)
		if err == nil || !strings.Contains(err.Error(), "loss_param.normalize") {
			t.Fatalf("error %v, want one naming loss_param.normalize", err)
		}
	})

	t.Run("label_range", func(t *testing.T) {
		r := rng.New(1)
		l := setUp(t, `type: "InfogainLoss"`, caffepb.Phase_TRAIN,
			[]*blob.Blob{gaussian(r, 0, 1, 6, 5), labels(r, 5, 6), uniform(r, 0, 1, 5, 5)}, 1)
		for _, bad := range []float32{5, -1} {
			l.Bottom[1].Data[4] = bad
			err := l.Forward(l.Bottom, l.Top)
			if err == nil || !strings.Contains(err.Error(), "out of range") {
				t.Fatalf("label %g of 5 classes: error %v", bad, err)
			}
		}
	})
}

func TestInfogainLossCaffeFixtures(t *testing.T) { caffeFixtures(t, "InfogainLoss") }
