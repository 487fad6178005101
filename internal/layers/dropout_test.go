package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// BenchmarkDropout: SqueezeNet 1.1's drop9 (batch 8), in TRAIN (the mask drawn on
// every forward pass) and in TEST.
func BenchmarkDropout(b *testing.B) {
	shape := [][]int{{8, 512, 13, 13}}
	benchLayers(b, []layerBench{
		{name: "drop9_8x512x13x13/train", text: `type: "Dropout"`, phase: caffepb.Phase_TRAIN, bottoms: shape, tops: 1, inPlace: true},
		{name: "drop9_8x512x13x13/test", text: `type: "Dropout"`, phase: caffepb.Phase_TEST, bottoms: shape, tops: 1, inPlace: true},
	})
}
