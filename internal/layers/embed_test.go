package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Embed (test_embed_layer.cpp).

// embedIDs is Caffe's (4, 1, 1, 1) bottom holding the ids 4, 2, 2, 3.
func embedIDs() *blob.Blob {
	b := blob.New(4, 1, 1, 1)
	copy(b.Data, []float32{4, 2, 2, 3})
	return b
}

const embedText = `type: "Embed" embed_param { num_output: 10 input_dim: 5
	weight_filler { type: "uniform" min: -10 max: 10 } bias_filler { type: "uniform" min: -10 max: 10 } `

// Caffe's TestSetUp, TestForward and TestForwardWithBias.
func TestEmbedForward(t *testing.T) {
	for _, bias := range []bool{false, true} {
		text := embedText + "bias_term: false }"
		if bias {
			text = embedText + "bias_term: true }"
		}
		ids := labels(rng.New(3), 5, 4, 1, 1, 1)
		l := setUp(t, text, caffepb.Phase_TRAIN, []*blob.Blob{ids}, 1)
		if !equalShape(l.Top[0].Shape(), []int{4, 1, 1, 1, 10}) {
			t.Fatalf("top shape %v, want [4 1 1 1 10]", l.Top[0].Shape())
		}
		wantBlobs := 1
		if bias {
			wantBlobs = 2
		}
		if len(l.Params()) != wantBlobs || !equalShape(l.Params()[0].Shape(), []int{5, 10}) {
			t.Fatalf("%d blobs, weight %v; want %d, [5 10]", len(l.Params()), l.Params()[0].Shape(), wantBlobs)
		}
		forward(t, l)
		w := l.Params()[0].Data
		for m, v := range ids.Data {
			for j := 0; j < 10; j++ {
				want := w[int(v)*10+j]
				if bias {
					want += l.Params()[1].Data[j]
				}
				if got := l.Top[0].Data[m*10+j]; got != want {
					t.Fatalf("bias %v: top[%d, %d] = %g, want %g", bias, m, j, got, want)
				}
			}
		}
	}
}

// Caffe's TestGradient and TestGradientWithBias: step 1e-2, threshold 1e-3,
// exhaustive over the parameters only (ids have no gradient); and with a repeated id
// in a 2-D bottom.
func TestEmbedGradient(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		ids        func() *blob.Blob
	}{
		{"no_bias", embedText + "bias_term: false }", embedIDs},
		{"bias", embedText + "bias_term: true }", embedIDs},
		{"2d_repeated", `type: "Embed" embed_param { num_output: 3 input_dim: 6 weight_filler { type: "gaussian" } bias_filler { type: "gaussian" } }`,
			func() *blob.Blob { b := blob.New(2, 3); copy(b.Data, []float32{0, 5, 0, 2, 5, 5}); return b }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := setUp(t, tc.text, caffepb.Phase_TRAIN, []*blob.Blob{tc.ids()}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, gradcheck.NoBottoms)
		})
	}
}

func TestEmbedContract(t *testing.T) {
	l, _ := newLayer(t, embedText+"}", caffepb.Phase_TRAIN)
	if g, ok := l.(layers.BackwardGate); !ok || g.AllowForceBackward(0) {
		t.Fatal("Embed's ids have no gradient: it must refuse force_backward")
	}
}

func TestEmbedErrors(t *testing.T) {
	ids := func() []*blob.Blob { return []*blob.Blob{embedIDs()} }
	wantError(t, setUpError(`type: "Embed" embed_param { input_dim: 5 }`, caffepb.Phase_TRAIN, ids(), 1), "embed_param.num_output")
	wantError(t, setUpError(`type: "Embed" embed_param { num_output: 5 }`, caffepb.Phase_TRAIN, ids(), 1), "embed_param.input_dim")
	wantError(t, setUpError(`type: "Embed" embed_param { num_output: 5 input_dim: 5 weight_filler { type: "nope" } }`, caffepb.Phase_TRAIN, ids(), 1),
		"embed_param.weight_filler", "nope")
	for _, bad := range []float32{5, -1, 2.5} {
		b := embedIDs()
		b.Data[2] = bad
		l := setUp(t, embedText+"}", caffepb.Phase_TRAIN, []*blob.Blob{b}, 1)
		wantError(t, l.Forward(l.Bottom, l.Top), "position 2", "embed_param.input_dim")
	}
}

func TestEmbedCaffeFixtures(t *testing.T) { caffeFixtures(t, "Embed") }
