package layers_test

import (
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// accuracyOf runs an Accuracy layer on the given scores and labels and returns its
// tops' values (the per-class top is asked for when nTop is 2).
func accuracyOf(t *testing.T, text string, x, lab *blob.Blob, nTop int) [][]float32 {
	t.Helper()
	l := setUp(t, text, caffepb.Phase_TEST, []*blob.Blob{x, lab}, nTop)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	out := make([][]float32, nTop)
	for i, tp := range l.Top {
		out[i] = tp.Data
	}
	return out
}

// TestAccuracyByHand checks cases counted by hand, Caffe's tie rule above all: a
// class scoring the same as the true class counts as better than it.
func TestAccuracyByHand(t *testing.T) {
	nan := float32(math.NaN())
	for _, tc := range []struct {
		name, text string
		shape      []int
		scores     []float32
		labels     []float32
		want       float32
		perClass   []float32 // nil: no second top
	}{
		{"top1", `type: "Accuracy"`, []int{3, 3},
			[]float32{0.1, 0.9, 0, 0.5, 0.2, 0.3, -1, -2, -0.5},
			[]float32{1, 1, 2}, 2.0 / 3, nil},
		{"all_equal_top1", `type: "Accuracy"`, []int{2, 3},
			[]float32{1, 1, 1, 0, 0, 0}, []float32{0, 2}, 0, nil},
		// Three-way tie: the true class has two classes "at least as good", so it is
		// in the top 3 but not the top 2.
		{"all_equal_top2", `type: "Accuracy" accuracy_param { top_k: 2 }`, []int{1, 3},
			[]float32{1, 1, 1}, []float32{1}, 0, nil},
		{"all_equal_top3", `type: "Accuracy" accuracy_param { top_k: 3 }`, []int{1, 3},
			[]float32{1, 1, 1}, []float32{1}, 1, nil},
		// A tie with a lower-numbered class still counts against.
		{"tie_top1", `type: "Accuracy"`, []int{1, 3}, []float32{2, 2, 0}, []float32{1}, 0, nil},
		{"tie_top2", `type: "Accuracy" accuracy_param { top_k: 2 }`, []int{1, 3}, []float32{2, 2, 0}, []float32{1}, 1, nil},
		// Ranks of the true class: 3rd, 1st, 4th, 2nd.
		{"top2", `type: "Accuracy" accuracy_param { top_k: 2 }`, []int{4, 4},
			[]float32{4, 3, 2, 1, 0, 9, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8},
			[]float32{2, 1, 0, 2}, 0.5, nil},
		{"ignore", `type: "Accuracy" accuracy_param { ignore_label: -1 }`, []int{4, 2},
			[]float32{1, 0, 1, 0, 0, 1, 0, 1},
			[]float32{0, -1, 0, -1}, 0.5, nil},
		{"ignore_all", `type: "Accuracy" accuracy_param { ignore_label: 7 }`, []int{2, 2},
			[]float32{1, 0, 0, 1}, []float32{7, 7}, 0, nil},
		// An ignore_label that is also a class ignores that class.
		{"ignore_class", `type: "Accuracy" accuracy_param { ignore_label: 0 }`, []int{3, 2},
			[]float32{1, 0, 0, 1, 1, 0}, []float32{0, 1, 1}, 0.5, nil},
		// Per class: class 0 right 1 of 2, class 1 right 1 of 1, class 2 never seen.
		{"per_class", `type: "Accuracy"`, []int{3, 3},
			[]float32{1, 0, 0, 1, 2, 0, 0, 1, 0},
			[]float32{0, 0, 1}, 2.0 / 3, []float32{0.5, 1, 0}},
		{"per_class_ignore", `type: "Accuracy" accuracy_param { ignore_label: -1 }`, []int{4, 2},
			[]float32{1, 0, 0, 1, 1, 0, 1, 0},
			[]float32{0, 0, -1, 1}, 1.0 / 3, []float32{0.5, 0}},
		// Classes on the last axis: scores (2, 2, 3), labels (2, 2).
		{"axis_last", `type: "Accuracy" accuracy_param { axis: -1 }`, []int{2, 2, 3},
			[]float32{1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1},
			[]float32{0, 0, 2, 1}, 0.5, nil},
		// Classes on axis 1 with a spatial axis: scores (1, 2, 3), labels (1, 3).
		{"axis1_spatial", `type: "Accuracy"`, []int{1, 2, 3},
			[]float32{1, 0, 5, 0, 1, 4},
			[]float32{0, 1, 1}, 2.0 / 3, []float32{1, 0.5}},
		// A NaN score never counts as right. Caffe's comparison
		// alone counts a NaN true class as right, nothing being >= NaN, and a diverged
		// net scored accuracy = 1.
		{"nan_truth", `type: "Accuracy"`, []int{1, 2}, []float32{float32(math.NaN()), 1}, []float32{0}, 0, nil},
		{"nan_all", `type: "Accuracy"`, []int{2, 2}, []float32{nan, nan, nan, nan}, []float32{0, 1}, 0, nil},
		{"nan_other", `type: "Accuracy"`, []int{1, 3}, []float32{5, nan, 1}, []float32{0}, 0, nil},
		{"nan_other_top2", `type: "Accuracy" accuracy_param { top_k: 2 }`, []int{1, 3}, []float32{5, 1, nan}, []float32{0}, 0, nil},
		{"nan_one_position", `type: "Accuracy"`, []int{2, 2}, []float32{1, 0, nan, 0}, []float32{0, 0}, 0.5, []float32{0.5, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, lab := blob.New(tc.shape...), blob.New(len(tc.labels))
			copy(x.Data, tc.scores)
			copy(lab.Data, tc.labels)
			nTop := 1
			if tc.perClass != nil {
				nTop = 2
			}
			got := accuracyOf(t, tc.text, x, lab, nTop)
			if len(got[0]) != 1 || !testutil.Close(float64(got[0][0]), float64(tc.want), 0, 1e-6) {
				t.Fatalf("accuracy %v, want %g", got[0], tc.want)
			}
			if tc.perClass != nil {
				if err := testutil.CompareSlices(got[1], tc.perClass, 0, 1e-6); err != nil {
					t.Fatalf("per-class accuracy %v, want %v: %v", got[1], tc.perClass, err)
				}
			}
		})
	}
}

// accuracyReference is the accuracy of Caffe's tests: a position is right when fewer
// than topK classes score strictly higher than the true class (the scores are random
// normals, so there are no ties); per class as well. Labels equal to ignore (when
// hasIgnore) are skipped.
func accuracyReference(x, lab []float32, outer, classes, inner, topK int, hasIgnore bool, ignore int) (float64, []float64) {
	right, seen := make([]float64, classes), make([]float64, classes)
	var nRight, n float64
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			l := int(lab[o*inner+in])
			if hasIgnore && l == ignore {
				continue
			}
			truth := x[(o*classes+l)*inner+in]
			rank := 0
			for c := 0; c < classes; c++ {
				if x[(o*classes+c)*inner+in] > truth {
					rank++
				}
			}
			n++
			seen[l]++
			if rank < topK {
				nRight++
				right[l]++
			}
		}
	}
	for c := range right {
		if seen[c] > 0 {
			right[c] /= seen[c]
		}
	}
	return nRight / n, right
}

// TestAccuracyForward is Caffe's TestForward, TestForwardTopK, TestForwardPerClass,
// TestForwardIgnoreLabel and TestForwardWithSpatialAxes: random scores against the
// reference, each forward repeated three times (the layer must not carry state).
func TestAccuracyForward(t *testing.T) {
	for _, tc := range []struct {
		name, text         string
		shape, labelShape  []int
		outer, inner, topK int
		ignoreAt           []int // labels set to -1, ignored with ignore_label -1
		hasIgnore          bool
	}{
		{"top1", `type: "Accuracy"`, []int{100, 10}, []int{100}, 100, 1, 1, nil, false},
		{"top3", `type: "Accuracy" accuracy_param { top_k: 3 }`, []int{100, 10}, []int{100}, 100, 1, 3, nil, false},
		{"ignore", `type: "Accuracy" accuracy_param { ignore_label: -1 }`, []int{100, 10}, []int{100}, 100, 1, 1,
			[]int{2, 5, 32}, true},
		{"spatial", `type: "Accuracy" accuracy_param { axis: 1 }`, []int{2, 10, 4, 5}, []int{2, 4, 5}, 2, 20, 1, nil, false},
		{"spatial_top5", `type: "Accuracy" accuracy_param { top_k: 5 }`, []int{2, 10, 4, 5}, []int{2, 4, 5}, 2, 20, 5, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			x, lab := gaussian(r, 0, 1, tc.shape...), labels(r, 10, tc.labelShape...)
			for _, i := range tc.ignoreAt {
				lab.Data[i] = -1
			}
			for _, nTop := range []int{1, 2} {
				l := setUp(t, tc.text, caffepb.Phase_TEST, []*blob.Blob{x, lab}, nTop)
				want, wantPerClass := accuracyReference(x.Data, lab.Data, tc.outer, 10, tc.inner, tc.topK, tc.hasIgnore, -1)
				if want == 0 || want == 1 {
					t.Fatalf("the test's accuracy %g is trivial", want)
				}
				for iter := 0; iter < 3; iter++ {
					if err := l.Forward(l.Bottom, l.Top); err != nil {
						t.Fatal(err)
					}
					if got := float64(l.Top[0].Data[0]); !testutil.Close(got, want, 0, 1e-6) {
						t.Fatalf("forward %d: accuracy %g, want %g", iter, got, want)
					}
					if nTop == 2 {
						for c, w := range wantPerClass {
							if got := float64(l.Top[1].Data[c]); !testutil.Close(got, w, 0, 1e-6) {
								t.Fatalf("forward %d: class %d accuracy %g, want %g", iter, c, got, w)
							}
						}
					}
				}
			}
		})
	}
}

func TestAccuracyShapes(t *testing.T) {
	r := rng.New(1701)
	l := setUp(t, `type: "Accuracy"`, caffepb.Phase_TEST, []*blob.Blob{gaussian(r, 0, 1, 100, 10), labels(r, 10, 100)}, 2)
	if got := l.Top[0].NumAxes(); got != 0 {
		t.Fatalf("accuracy top has %d axes, want a scalar", got)
	}
	if got := l.Top[1].ShapeString(); got != "10 (10)" {
		t.Fatalf("per-class top %s, want 10 (10)", got)
	}
}

func TestAccuracyContract(t *testing.T) {
	l, _ := newLayer(t, `type: "Accuracy"`, caffepb.Phase_TEST)
	if _, ok := l.(layers.Loss); ok {
		t.Fatal("Accuracy is not a loss layer: it must not get a default loss weight")
	}
	g, ok := l.(layers.BackwardGate)
	if !ok || g.AllowForceBackward(0) || g.AllowForceBackward(1) {
		t.Fatal("Accuracy must refuse force_backward to both bottoms")
	}
	c := l.(layers.Counter).BlobCounts()
	if c.Check(2, 1) != nil || c.Check(2, 2) != nil || c.Check(2, 3) == nil || c.Check(1, 1) == nil {
		t.Fatalf("blob counts %+v, want 2 bottoms and 1 or 2 tops", c)
	}
}

func TestAccuracyErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		x, lab     []int
		want       []string
	}{
		{"top_k", `type: "Accuracy" accuracy_param { top_k: 11 }`, []int{4, 10}, []int{4}, []string{"top_k", "11", "10"}},
		{"label_count", `type: "Accuracy"`, []int{4, 10}, []int{5}, []string{"5 (5)", "4"}},
		{"spatial_label_count", `type: "Accuracy"`, []int{2, 10, 3}, []int{2}, []string{"2 (2)", "6"}},
		{"axis", `type: "Accuracy" accuracy_param { axis: 2 }`, []int{4, 10}, []int{4}, []string{"accuracy_param.axis"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := newLayer(t, tc.text, caffepb.Phase_TEST)
			err := layers.SetUp(l, []*blob.Blob{blob.New(tc.x...), blob.New(tc.lab...)}, []*blob.Blob{blob.New()})
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

	t.Run("top_k_zero", func(t *testing.T) {
		p := &caffepb.LayerParameter{Name: proto.String("acc"), Type: proto.String("Accuracy"),
			AccuracyParam: &caffepb.AccuracyParameter{TopK: proto.Uint32(0)}}
		if _, err := layers.New(p, nil); err == nil || !strings.Contains(err.Error(), "accuracy_param.top_k") {
			t.Fatalf("error %v, want one naming accuracy_param.top_k", err)
		}
	})

	t.Run("label_range", func(t *testing.T) {
		r := rng.New(1)
		for _, bad := range []float32{10, -1, 1e9} {
			l := setUp(t, `type: "Accuracy"`, caffepb.Phase_TEST, []*blob.Blob{gaussian(r, 0, 1, 4, 10), labels(r, 10, 4)}, 2)
			l.Bottom[1].Data[3] = bad
			err := l.Forward(l.Bottom, l.Top)
			if err == nil || !strings.Contains(err.Error(), "out of range") {
				t.Fatalf("label %g of 10 classes: error %v", bad, err)
			}
		}
	})
}

func TestAccuracyCaffeFixtures(t *testing.T) { caffeFixtures(t, "Accuracy") }
