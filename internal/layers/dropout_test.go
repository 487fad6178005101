package layers_test

import (
	"math"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Dropout (Caffe's test_neuron_layer.cpp).

// TestDropoutGradient is Caffe's gradient check of the layer, with its step, threshold,
// kink and mode.
func TestDropoutGradient(t *testing.T) {
	checkGradients(t, []gradCase{
		{"train", `type: "Dropout"`, caffepb.Phase_TRAIN, caffeChecker, checkEltwise, neuronBottom},
		{"train_0.75", `type: "Dropout" dropout_param { dropout_ratio: 0.75 }`, caffepb.Phase_TRAIN, caffeChecker, checkEltwise, neuronBottom},
		{"train_0.2_wide", `type: "Dropout" dropout_param { dropout_ratio: 0.2 }`, caffepb.Phase_TRAIN, caffeChecker, checkEltwise, wideBottom},
		{"test", `type: "Dropout"`, caffepb.Phase_TEST, caffeChecker, checkEltwise, neuronBottom},
	})
}

// dropoutForward is Caffe's TestDropoutForward: in TRAIN every output is 0 or the
// input times 1/(1 − p), and the share of zeros is within 1.96 standard errors of p.
func dropoutForward(t *testing.T, text string, ratio float64) {
	l := forwardOnce(t, text, caffepb.Phase_TRAIN, neuronBottom())
	scale := float32(1 / (1 - ratio))
	x, y := l.Bottom[0].Data, l.Top[0].Data
	kept := 0
	for i := range y {
		if y[i] != 0 {
			kept++
			if y[i] != x[i]*scale {
				t.Fatalf("kept y[%d] = %g, want %g·%g", i, y[i], x[i], scale)
			}
		}
	}
	count := float64(len(y))
	stdErr := math.Sqrt(ratio * (1 - ratio) / count)
	if empirical := 1 - float64(kept)/count; math.Abs(empirical-ratio) > 1.96*stdErr {
		t.Fatalf("dropped %.3f of the inputs, want %g ± %.3f", empirical, ratio, 1.96*stdErr)
	}
	// Backward drops the same elements and scales the rest alike.
	for i := range l.Top[0].Diff {
		l.Top[0].Diff[i] = float32(i + 1)
	}
	l.Backward(l.Top, []bool{true}, l.Bottom)
	for i, d := range l.Bottom[0].Diff {
		want := float32(0)
		if y[i] != 0 {
			want = float32(i+1) * scale
		}
		if d != want {
			t.Fatalf("dx[%d] = %g, want %g", i, d, want)
		}
	}
}

func TestDropoutHalf(t *testing.T) { dropoutForward(t, `type: "Dropout"`, 0.5) }

func TestDropoutThreeQuarters(t *testing.T) {
	dropoutForward(t, `type: "Dropout" dropout_param { dropout_ratio: 0.75 }`, 0.75)
}

func TestDropoutTestPhase(t *testing.T) {
	l := forwardOnce(t, `type: "Dropout"`, caffepb.Phase_TEST, neuronBottom())
	for i := range l.Top[0].Diff {
		l.Top[0].Diff[i] = float32(i)
	}
	l.Backward(l.Top, []bool{true}, l.Bottom)
	for i, x := range l.Bottom[0].Data {
		if l.Top[0].Data[i] != x || l.Bottom[0].Diff[i] != float32(i) {
			t.Fatalf("TEST phase: y %g for x %g, dx %g for dy %d", l.Top[0].Data[i], x, l.Bottom[0].Diff[i], i)
		}
	}
}

// TestDropoutMaskFromRNG checks that each TRAIN forward draws a new mask from the
// layer's random source, and the same mask again once that source is reseeded.
func TestDropoutMaskFromRNG(t *testing.T) {
	l := setUp(t, `type: "Dropout"`, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(rng.New(1), 1, 0.1, 1000)}, 1)
	forward := func() []float32 {
		if err := l.Forward(l.Bottom, l.Top); err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), l.Top[0].Data...)
	}
	l.RNG.Seed(9)
	a, b := forward(), forward()
	l.RNG.Seed(9)
	c := forward()
	differ := false
	for i := range a {
		differ = differ || (a[i] == 0) != (b[i] == 0)
		if a[i] != c[i] {
			t.Fatalf("after reseeding, y[%d] = %g, was %g", i, c[i], a[i])
		}
	}
	if !differ {
		t.Fatal("two forwards drew the same mask")
	}
}

func TestDropoutBadRatio(t *testing.T) {
	for _, ratio := range []string{"1", "1.5", "-0.1", "nan"} {
		p := &caffepb.LayerParameter{}
		if err := prototext.Unmarshal([]byte(`type: "Dropout" dropout_param { dropout_ratio: `+ratio+` }`), p); err != nil {
			t.Fatal(err)
		}
		if _, err := layers.New(p, nil); err == nil {
			t.Errorf("dropout_ratio %s accepted", ratio)
		}
	}
}

// TestDropoutCaffeMask: the TRAIN mask is Caffe's caffe_rng_bernoulli(count,
// 1. - ratio, mask) on the net's source — for ratio 0.5 and seed 1701 the first 64
// keep bits Boost 1.74 draws (rng's testdata/boost_1_74.txt) — and a dropped input
// is multiplied by 0, as in Caffe, so a dropped negative value is −0.
func TestDropoutCaffeMask(t *testing.T) {
	boost := "1010001001001110000110111011011001100101000000111000011000100111"
	l := setUp(t, `type: "Dropout"`, caffepb.Phase_TRAIN, []*blob.Blob{neuronBottom()}, 1)
	l.RNG.Seed(1701)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	negZero := 0
	for i, x := range l.Bottom[0].Data[:len(boost)] {
		y := l.Top[0].Data[i]
		want := x * 2
		if boost[i] == '0' {
			want = x * 0
		}
		if math.Float32bits(y) != math.Float32bits(want) {
			t.Fatalf("y[%d] = %g for x = %g, want %g (Boost's mask bit %c)", i, y, x, want, boost[i])
		}
		if math.Float32bits(y) == 0x80000000 {
			negZero++
		}
	}
	if negZero == 0 {
		t.Error("no dropped negative input gave -0")
	}
}

// TestDropoutInPlace: in place (top and bottom the same blob) as out of place, bit
// for bit, on a bottom large enough for the loops to be split over goroutines.
func TestDropoutInPlace(t *testing.T) {
	normal, _, diff := inPlaceBottoms()
	for _, tc := range []struct {
		name, text string
		phase      caffepb.Phase
		x          *blob.Blob
	}{
		{"train", `type: "Dropout" dropout_param { dropout_ratio: 0.3 }`, caffepb.Phase_TRAIN, normal},
		{"test", `type: "Dropout"`, caffepb.Phase_TEST, normal},
	} {
		neuronInPlace(t, tc.name, tc.text, tc.phase, tc.x, diff)
	}
}

func TestDropoutCaffeFixtures(t *testing.T) { caffeFixtures(t, "Dropout") }

// BenchmarkDropout: SqueezeNet 1.1's drop9 (batch 8), in TRAIN (the mask drawn on
// every forward pass) and in TEST.
func BenchmarkDropout(b *testing.B) {
	shape := [][]int{{8, 512, 13, 13}}
	benchLayers(b, []layerBench{
		{name: "drop9_8x512x13x13/train", text: `type: "Dropout"`, phase: caffepb.Phase_TRAIN, bottoms: shape, tops: 1, inPlace: true},
		{name: "drop9_8x512x13x13/test", text: `type: "Dropout"`, phase: caffepb.Phase_TEST, bottoms: shape, tops: 1, inPlace: true},
	})
}
