package layers_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/filler"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// multinomialBottoms are Caffe's test inputs: probabilities (10, 5, 1, 1) from the
// positive_unitball filler (each row on the probability simplex) and labels in [0, 5).
func multinomialBottoms(t *testing.T, r *rng.Source) []*blob.Blob {
	t.Helper()
	p := blob.New(10, 5, 1, 1)
	if err := filler.Fill(p, &caffepb.FillerParameter{Type: proto.String("positive_unitball")}, r); err != nil {
		t.Fatal(err)
	}
	return []*blob.Blob{p, labels(r, 5, 10, 1, 1, 1)}
}

func TestMultinomialLogisticLossGradient(t *testing.T) {
	for _, seed := range []uint32{1701, 17, 2024} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rng.New(seed)
			l := setUp(t, `type: "MultinomialLogisticLoss"`, caffepb.Phase_TRAIN, multinomialBottoms(t, r), 1)
			// Caffe's test: step 1e-2, threshold 2e-2, and probabilities within 0.05
			// of 0 skipped, where 1/p changes too fast for a finite difference.
			checkGradient(t, l, kinked(1e-2, 2e-2, 0.05), checkExhaustive, 0)
			checkLossWeight(t, l, 0)
		})
	}
}

func TestMultinomialLogisticLossForward(t *testing.T) {
	r := rng.New(1701)
	bottom := multinomialBottoms(t, r)
	// A zero probability of the true class costs −log(1e-20), not infinity.
	bottom[0].Data[3*5+int(bottom[1].Data[3])] = 0
	l := setUp(t, `type: "MultinomialLogisticLoss"`, caffepb.Phase_TRAIN, bottom, 1)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	var want float64
	for n := 0; n < 10; n++ {
		p := float64(bottom[0].Data[n*5+int(bottom[1].Data[n])])
		want -= math.Log(math.Max(p, 1e-20))
	}
	want /= 10
	if got := float64(l.Top[0].Data[0]); !testutil.Close(got, want, 1e-6, 1e-5) {
		t.Fatalf("loss %g, want %g", got, want)
	}
	if want < 46.0/10 {
		t.Fatalf("the clamped zero probability is missing from the reference loss %g", want)
	}
	// The gradient is −1/(N·p) at the true class only; clamped p gives −1/(N·1e-20).
	l.Top[0].Diff[0] = 1
	l.Backward(l.Top, []bool{true, false}, l.Bottom)
	for n := 0; n < 10; n++ {
		for k := 0; k < 5; k++ {
			i := n*5 + k
			want := 0.0
			if k == int(bottom[1].Data[n]) {
				want = -1 / (10 * math.Max(float64(bottom[0].Data[i]), 1e-20))
			}
			if got := float64(bottom[0].Diff[i]); !testutil.Close(got, want, 0, 1e-6) {
				t.Fatalf("item %d class %d: gradient %g, want %g", n, k, got, want)
			}
		}
	}
}

func TestMultinomialLogisticLossErrors(t *testing.T) {
	r := rng.New(1701)
	l := setUp(t, `type: "MultinomialLogisticLoss"`, caffepb.Phase_TRAIN, multinomialBottoms(t, r), 1)
	for _, bad := range []float32{5, -1, 100} {
		l.Bottom[1].Data[7] = bad
		err := l.Forward(l.Bottom, l.Top)
		if err == nil || !strings.Contains(err.Error(), "out of range") || !strings.Contains(err.Error(), "item 7") {
			t.Fatalf("label %g of 5 classes: error %v", bad, err)
		}
	}

	l2, _ := newLayer(t, `type: "MultinomialLogisticLoss"`, caffepb.Phase_TRAIN)
	if err := layers.SetUp(l2, []*blob.Blob{blob.New(10, 5), blob.New(9)}, []*blob.Blob{blob.New()}); err == nil ||
		!strings.Contains(err.Error(), "9 (9)") {
		t.Fatalf("9 labels for 10 items: error %v", err)
	}
}

func TestMultinomialLogisticLossCaffeFixtures(t *testing.T) {
	caffeFixtures(t, "MultinomialLogisticLoss")
}
