package layers_test

import (
	"math"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// contrastiveBottoms are Caffe's test inputs: two sets of U(-1, 1) features (n, 2, 1, 1),
// whose distances straddle the default margin 1, and random similarity flags.
func contrastiveBottoms(r *rng.Source, n int) []*blob.Blob {
	return []*blob.Blob{uniform(r, -1, 1, n, 2, 1, 1), uniform(r, -1, 1, n, 2, 1, 1), labels(r, 2, n, 1, 1, 1)}
}

// contrastiveReference is the loss from its definition, in float64.
func contrastiveReference(a, b, y []float32, dim int, margin float64, legacy bool) float64 {
	n := len(y)
	var loss float64
	for i := 0; i < n; i++ {
		var sq float64
		for c := i * dim; c < (i+1)*dim; c++ {
			d := float64(a[c]) - float64(b[c])
			sq += d * d
		}
		switch {
		case y[i] != 0:
			loss += sq
		case legacy:
			loss += math.Max(margin-sq, 0)
		default:
			m := math.Max(margin-math.Sqrt(sq), 0)
			loss += m * m
		}
	}
	return loss / float64(n) / 2
}

func TestContrastiveLossForward(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		margin     float64
		legacy     bool
	}{
		{"default", `type: "ContrastiveLoss"`, 1, false},
		{"legacy", `type: "ContrastiveLoss" contrastive_loss_param { legacy_version: true }`, 1, true},
		{"margin", `type: "ContrastiveLoss" contrastive_loss_param { margin: 1.5 }`, 1.5, false},
		{"margin_legacy", `type: "ContrastiveLoss" contrastive_loss_param { margin: 0.5 legacy_version: true }`, 0.5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			bottom := contrastiveBottoms(r, 512)
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, bottom, 1)
			if err := l.Forward(l.Bottom, l.Top); err != nil {
				t.Fatal(err)
			}
			want := contrastiveReference(bottom[0].Data, bottom[1].Data, bottom[2].Data, 2, tc.margin, tc.legacy)
			if got := float64(l.Top[0].Data[0]); !testutil.Close(got, want, 1e-6, 1e-5) {
				t.Fatalf("loss %g, want %g", got, want)
			}
		})
	}
}

func TestContrastiveLossGradient(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"default", `type: "ContrastiveLoss"`},
		{"legacy", `type: "ContrastiveLoss" contrastive_loss_param { legacy_version: true }`},
		{"margin", `type: "ContrastiveLoss" contrastive_loss_param { margin: 1.5 }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, contrastiveBottoms(r, 512), 1)
			// Caffe checks the two feature bottoms one after the other.
			checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkExhaustive, 0)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkExhaustive, 1)
			checkLossWeight(t, l, 0, 1)
		})
	}
}

// Hand-worked pairs in 2-D with margin 2: a similar pair at distance 5, a dissimilar
// one at distance 1 (inside the margin) and one at distance 5 (beyond it).
func TestContrastiveLossByHand(t *testing.T) {
	a, b, y := blob.New(3, 2), blob.New(3, 2), blob.New(3)
	copy(a.Data, []float32{3, 4, 1, 0, 0, 0})
	copy(b.Data, []float32{0, 0, 0, 0, 3, 4})
	copy(y.Data, []float32{1, 0, 0})
	for _, tc := range []struct {
		name, text string
		loss       float64
		gradA      []float64
	}{
		// (25 + (2−1)² + 0) / 6
		{"default", `type: "ContrastiveLoss" contrastive_loss_param { margin: 2 }`, 26.0 / 6,
			[]float64{1, 4.0 / 3, -1.0 / 3 / 1.0001, 0, 0, 0}},
		// (25 + max(2 − 1, 0) + max(2 − 25, 0)) / 6
		{"legacy", `type: "ContrastiveLoss" contrastive_loss_param { margin: 2 legacy_version: true }`, 26.0 / 6,
			[]float64{1, 4.0 / 3, -1.0 / 3, 0, 0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, []*blob.Blob{a, b, y}, 1)
			if err := l.Forward(l.Bottom, l.Top); err != nil {
				t.Fatal(err)
			}
			if got := float64(l.Top[0].Data[0]); !testutil.Close(got, tc.loss, 0, 1e-6) {
				t.Fatalf("loss %g, want %g", got, tc.loss)
			}
			l.Top[0].Diff[0] = 1
			l.Backward(l.Top, []bool{true, true, false}, l.Bottom)
			for i, want := range tc.gradA {
				if !testutil.Close(float64(a.Diff[i]), want, 1e-7, 1e-5) || b.Diff[i] != -a.Diff[i] {
					t.Fatalf("element %d: gradients %g, %g, want %g, %g", i, a.Diff[i], b.Diff[i], want, -want)
				}
			}
		})
	}
}

func TestContrastiveLossContract(t *testing.T) {
	l, _ := newLayer(t, `type: "ContrastiveLoss"`, caffepb.Phase_TRAIN)
	g, ok := l.(layers.BackwardGate)
	if !ok || !g.AllowForceBackward(0) || !g.AllowForceBackward(1) || g.AllowForceBackward(2) {
		t.Fatal("ContrastiveLoss must allow force_backward to the features, not the similarity flags")
	}
	if err := l.(layers.Counter).BlobCounts().Check(2, 1); err == nil {
		t.Fatal("ContrastiveLoss accepted 2 bottoms")
	}
}

func TestContrastiveLossErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		a, b, y    []int
		wantInText string
	}{
		{"channels", []int{4, 2, 1, 1}, []int{4, 3, 1, 1}, []int{4}, "4 3 1 1 (12)"},
		{"batch", []int{4, 2}, []int{5, 2}, []int{4}, "5 2 (10)"},
		{"spatial", []int{4, 2, 2, 1}, []int{4, 2, 2, 1}, []int{4}, "4 2 2 1 (16)"},
		{"flags", []int{4, 2}, []int{4, 2}, []int{3}, "3 (3)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := newLayer(t, `type: "ContrastiveLoss"`, caffepb.Phase_TRAIN)
			err := layers.SetUp(l, []*blob.Blob{blob.New(tc.a...), blob.New(tc.b...), blob.New(tc.y...)}, []*blob.Blob{blob.New()})
			if err == nil || !strings.Contains(err.Error(), tc.wantInText) {
				t.Fatalf("error %v, want one showing %q", err, tc.wantInText)
			}
		})
	}
}

func TestContrastiveLossCaffeFixtures(t *testing.T) { caffeFixtures(t, "ContrastiveLoss") }
