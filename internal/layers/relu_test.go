package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of ReLU (Caffe's test_neuron_layer.cpp).

func TestReLUGradient(t *testing.T) {
	for _, tc := range []struct{ name, text string }{
		{"default", `type: "ReLU"`},
		{"leaky", `type: "ReLU" relu_param { negative_slope: 0.01 }`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 2, 3, 4, 5)}, 1)
			checkGradient(t, l, kinked(1e-2, 1e-3, 0.01), checkEltwise, gradcheck.AllBottoms)
		})
	}
}

func TestReLUInPlace(t *testing.T) {
	r := rng.New(3)
	x := gaussian(r, 0, 1, 4, 5)
	orig := append([]float32(nil), x.Data...)
	l, _ := newLayer(t, `type: "ReLU" relu_param { negative_slope: 0.5 }`, caffepb.Phase_TRAIN)
	io := []*blob.Blob{x}
	if err := layers.SetUp(l, io, io); err != nil {
		t.Fatal(err)
	}
	l.Forward(io, io)
	for i := range x.Diff {
		x.Diff[i] = 1
	}
	l.Backward(io, []bool{true}, io)
	for i, v := range orig {
		wantY, wantD := v, float32(1)
		if v <= 0 {
			wantY, wantD = 0.5*v, 0.5
		}
		if x.Data[i] != wantY || x.Diff[i] != wantD {
			t.Fatalf("element %d: y %g dx %g, want %g %g", i, x.Data[i], x.Diff[i], wantY, wantD)
		}
	}
}

func TestReLUCaffeFixtures(t *testing.T) { caffeFixtures(t, "ReLU") }
