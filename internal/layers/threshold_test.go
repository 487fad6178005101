package layers_test

import (
	"fmt"
	"testing"

	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Threshold (Caffe's test_neuron_layer.cpp). The layer has no
// gradient, as in Caffe, so no gradient check: TestThresholdForward checks that the
// net may not ask for one.

func TestThresholdForward(t *testing.T) {
	for _, th := range []float32{0, 0.2, -0.5} {
		l := forwardOnce(t, fmt.Sprintf(`type: "Threshold" threshold_param { threshold: %g }`, th), caffepb.Phase_TRAIN, neuronBottom())
		ones := 0
		for i, x := range l.Bottom[0].Data {
			y := l.Top[0].Data[i]
			if y != 0 && y != 1 {
				t.Fatalf("threshold output %g, want 0 or 1", y)
			}
			if (y == 1) != (x > th) {
				t.Fatalf("threshold %g: x = %g gave %g", th, x, y)
			}
			ones += int(y)
		}
		if ones == 0 || ones == len(l.Top[0].Data) {
			t.Fatalf("threshold %g: %d ones of %d, the inputs should fall on both sides", th, ones, len(l.Top[0].Data))
		}
		// Like Caffe's, the layer gives no gradient: the net must not ask for one...
		if g, ok := l.Layer.(layers.BackwardGate); !ok || g.AllowForceBackward(0) {
			t.Fatal("Threshold lets the net ask for its bottom's gradient")
		}
		// ...and should anything ask, the step's gradient is 0 and overwrites the old one.
		for i := range l.Bottom[0].Diff {
			l.Bottom[0].Diff[i], l.Top[0].Diff[i] = 7, 1
		}
		l.Backward(l.Top, []bool{true}, l.Bottom)
		for _, d := range l.Bottom[0].Diff {
			if d != 0 {
				t.Fatalf("threshold backward left %g", d)
			}
		}
	}
}

// TestThresholdInPlace: in place (top and bottom the same blob) as out of place, bit
// for bit, on a bottom large enough for the loops to be split over goroutines.
func TestThresholdInPlace(t *testing.T) {
	normal, _, diff := inPlaceBottoms()
	neuronInPlace(t, "threshold", `type: "Threshold" threshold_param { threshold: 0.3 }`, caffepb.Phase_TRAIN, normal, diff)
}

func TestThresholdCaffeFixtures(t *testing.T) { caffeFixtures(t, "Threshold") }
