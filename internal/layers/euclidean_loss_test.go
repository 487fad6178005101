package layers_test

import (
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// checkLossWeight checks that a set-up loss layer scales its gradients by the loss
// weight the net writes into top[0].Diff[0], and overwrites rather than adds to the
// bottoms' gradients: two Backward calls, with weights 1 and then 3.7, must give
// gradients in the ratio 3.7.
func checkLossWeight(t *testing.T, l *testLayer, gradBottoms ...int) {
	t.Helper()
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	down := make([]bool, len(l.Bottom))
	for _, i := range gradBottoms {
		down[i] = true
	}
	l.Top[0].Diff[0] = 1
	l.Backward(l.Top, down, l.Bottom)
	unit := make([][]float32, len(l.Bottom))
	for _, i := range gradBottoms {
		unit[i] = append([]float32(nil), l.Bottom[i].Diff...)
	}
	const weight = 3.7
	l.Top[0].Diff[0] = weight
	l.Backward(l.Top, down, l.Bottom)
	nonzero := 0
	for _, i := range gradBottoms {
		for j, g := range l.Bottom[i].Diff {
			want := weight * float64(unit[i][j])
			if !testutil.Close(float64(g), want, 1e-7, 1e-5) {
				t.Fatalf("bottom %d element %d: gradient %g with loss weight %g, want %g (%g × the gradient with weight 1)",
					i, j, g, weight, want, weight)
			}
			if g != 0 {
				nonzero++
			}
		}
	}
	if nonzero == 0 {
		t.Fatal("every gradient is zero: the loss weight check compared nothing")
	}
}

func TestEuclideanLossGradient(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []int
	}{
		{"caffe", []int{10, 5, 1, 1}, []int{10, 5, 1, 1}},
		// Caffe only asks for the same size per item, not the same shape.
		{"reshaped_target", []int{4, 6}, []int{4, 2, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			bottom := []*blob.Blob{gaussian(r, 0, 1, tc.a...), gaussian(r, 0, 1, tc.b...)}
			l := setUp(t, `type: "EuclideanLoss"`, caffepb.Phase_TRAIN, bottom, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkExhaustive, gradcheck.AllBottoms)
			checkLossWeight(t, l, 0, 1)
		})
	}
}

func TestEuclideanLossForward(t *testing.T) {
	r := rng.New(1701)
	bottom := []*blob.Blob{gaussian(r, 0, 1, 10, 5, 1, 1), gaussian(r, 0, 1, 10, 5, 1, 1)}
	l := setUp(t, `type: "EuclideanLoss"`, caffepb.Phase_TRAIN, bottom, 1)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	var want float64
	for i, a := range bottom[0].Data {
		d := float64(a) - float64(bottom[1].Data[i])
		want += d * d
	}
	want /= 2 * 10
	if got := float64(l.Top[0].Data[0]); !testutil.Close(got, want, 1e-6, 1e-6) {
		t.Fatalf("loss %g, want %g", got, want)
	}
	if want < 0.1 {
		t.Fatalf("the test's loss %g is trivial", want)
	}
	// The gradients are ±(a − b)/N, opposite for the two bottoms.
	l.Top[0].Diff[0] = 1
	l.Backward(l.Top, []bool{true, true}, l.Bottom)
	for i := range bottom[0].Data {
		wantA := (float64(bottom[0].Data[i]) - float64(bottom[1].Data[i])) / 10
		if !testutil.Close(float64(bottom[0].Diff[i]), wantA, 1e-7, 1e-6) || bottom[1].Diff[i] != -bottom[0].Diff[i] {
			t.Fatalf("element %d: gradients %g, %g, want %g, %g", i, bottom[0].Diff[i], bottom[1].Diff[i], wantA, -wantA)
		}
	}
}

func TestEuclideanLossContract(t *testing.T) {
	l, _ := newLayer(t, `type: "EuclideanLoss"`, caffepb.Phase_TRAIN)
	g, ok := l.(layers.BackwardGate)
	if !ok || !g.AllowForceBackward(0) || !g.AllowForceBackward(1) {
		t.Fatal("EuclideanLoss must allow force_backward to both bottoms")
	}
	if _, ok := l.(layers.Loss); !ok {
		t.Fatal("EuclideanLoss is a loss layer")
	}
}

func TestEuclideanLossErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b []int
	}{
		{"size_per_item", []int{10, 5}, []int{10, 4}},
		{"batch", []int{10, 5}, []int{9, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := newLayer(t, `type: "EuclideanLoss"`, caffepb.Phase_TRAIN)
			err := layers.SetUp(l, []*blob.Blob{blob.New(tc.a...), blob.New(tc.b...)}, []*blob.Blob{blob.New()})
			if err == nil {
				t.Fatal("Setup accepted bottoms of different sizes")
			}
			if !strings.Contains(err.Error(), blob.ShapeString(tc.a)) || !strings.Contains(err.Error(), blob.ShapeString(tc.b)) {
				t.Fatalf("the error does not show both shapes: %v", err)
			}
		})
	}
}

func TestEuclideanLossCaffeFixtures(t *testing.T) { caffeFixtures(t, "EuclideanLoss") }
