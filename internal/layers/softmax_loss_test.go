package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of SoftmaxWithLoss (Caffe's test_softmax_with_loss_layer.cpp).

func TestSoftmaxWithLossGradient(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"valid", `type: "SoftmaxWithLoss"`},
		{"ignore", `type: "SoftmaxWithLoss" loss_param { ignore_label: 2 }`},
		{"full", `type: "SoftmaxWithLoss" loss_param { normalization: FULL }`},
		{"batch_size", `type: "SoftmaxWithLoss" loss_param { normalization: BATCH_SIZE }`},
		{"none", `type: "SoftmaxWithLoss" loss_param { normalization: NONE }`},
		{"unnormalized_legacy", `type: "SoftmaxWithLoss" loss_param { normalize: false }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			bottom := []*blob.Blob{gaussian(r, 0, 1, 10, 5, 2, 3), labels(r, 5, 10, 1, 2, 3)}
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, bottom, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkExhaustive, 0)
		})
	}
}

func TestSoftmaxWithLossErrors(t *testing.T) {
	r := rng.New(1)
	l := setUp(t, `type: "SoftmaxWithLoss"`, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 4, 3), labels(r, 3, 4)}, 1)
	l.Bottom[1].Data[2] = 3
	if err := l.Forward(l.Bottom, l.Top); err == nil {
		t.Fatal("label 3 of 3 classes accepted")
	}
	l2, _ := newLayer(t, `type: "SoftmaxWithLoss"`, caffepb.Phase_TRAIN)
	if err := layers.SetUp(l2, []*blob.Blob{blob.New(4, 3), blob.New(5)}, []*blob.Blob{blob.New()}); err == nil {
		t.Fatal("4 predictions with 5 labels accepted")
	}
}

func TestSoftmaxWithLossCaffeFixtures(t *testing.T) { caffeFixtures(t, "SoftmaxWithLoss") }
