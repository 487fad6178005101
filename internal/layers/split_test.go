package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Split (Caffe's test_split_layer.cpp).

func TestSplitGradient(t *testing.T) {
	r := rng.New(1701)
	l := setUp(t, `type: "Split"`, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 2, 3, 4, 5)}, 2)
	checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkExhaustive, gradcheck.AllBottoms)
}

func TestSplitCaffeFixtures(t *testing.T) { caffeFixtures(t, "Split") }

// BenchmarkSplit: the sum of two tops' gradients on ResNet-50's res2 shape at batch 1.
func BenchmarkSplit(b *testing.B) {
	benchLayers(b, []layerBench{{name: "res2_1x256x56x56", text: `type: "Split"`, phase: caffepb.Phase_TRAIN,
		bottoms: [][]int{{1, 256, 56, 56}}, tops: 2}})
}
