package layers_test

import (
	"math"
	"strconv"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of the small utility layers: Silence, Parameter, Clip, Swish and
// BatchReindex (test_neuron_layer.cpp, test_batch_reindex_layer.cpp).

func TestSilence(t *testing.T) {
	r := rng.New(1)
	a, b := gaussian(r, 0, 1, 2, 3), gaussian(r, 0, 1, 4)
	for i := range a.Diff {
		a.Diff[i] = 5
	}
	for i := range b.Diff {
		b.Diff[i] = 5
	}
	l := setUp(t, `type: "Silence"`, caffepb.Phase_TRAIN, []*blob.Blob{a, b}, 0)
	if err := l.Forward(l.Bottom, nil); err != nil {
		t.Fatal(err)
	}
	l.Backward(nil, []bool{true, false}, l.Bottom)
	if a.Diff[0] != 0 || a.Diff[5] != 0 || b.Diff[0] != 5 {
		t.Fatalf("gradients %v %v: want the first zeroed, the second untouched", a.Diff, b.Diff)
	}
	c := l.Layer.(layers.Counter).BlobCounts()
	if c.Check(1, 0) != nil || c.Check(3, 0) != nil || c.Check(1, 1) == nil || c.Check(0, 0) == nil {
		t.Fatalf("blob counts %+v, want at least one bottom and no top", c)
	}
}

// A Parameter layer's top is its blob: values and gradient.
func TestParameter(t *testing.T) {
	l := setUp(t, `type: "Parameter" parameter_param { shape { dim: 2 dim: 3 } }`, caffepb.Phase_TRAIN, nil, 1)
	p := l.Params()
	if len(p) != 1 || !equalShape(p[0].Shape(), []int{2, 3}) || p[0].Data[4] != 0 {
		t.Fatalf("params %v, want one zero (2, 3) blob", p)
	}
	if !equalShape(l.Top[0].Shape(), []int{2, 3}) {
		t.Fatalf("top shape %v", l.Top[0].Shape())
	}
	// Weights loaded into new storage: Forward follows.
	p[0].Data = []float32{1, 2, 3, 4, 5, 6}
	forward(t, l)
	if l.Top[0].Data[4] != 5 || !sameMemory(l.Top[0].Data, p[0].Data) || !sameMemory(l.Top[0].Diff, p[0].Diff) {
		t.Fatalf("top %v does not share the blob", l.Top[0].Data)
	}
	l.Top[0].Diff[2] = 7
	l.Backward(l.Top, nil, nil)
	if p[0].Diff[2] != 7 {
		t.Fatalf("param gradient %v, want 7 at 2", p[0].Diff)
	}
	wantError(t, setUpError(`type: "Parameter" parameter_param { shape { dim: -2 } }`, caffepb.Phase_TRAIN, nil, 1), "parameter_param.shape")
}

// A Parameter blob learns through the layer that reads it: its gradient in a net is
// that layer's bottom gradient.
func TestParameterInNet(t *testing.T) {
	text := `name: "p" force_backward: true
layer { name: "x" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
layer { name: "w" type: "Parameter" top: "w" parameter_param { shape { dim: 2 dim: 3 } } }
layer { name: "prod" type: "Eltwise" bottom: "x" bottom: "w" top: "y" eltwise_param { operation: PROD } }
layer { name: "loss" type: "Reduction" bottom: "y" top: "loss" loss_weight: 1 }`
	param, err := protofile.ParseNetText("p.prototxt", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	n, err := network.New(param, network.Options{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	x := n.Blob("x")
	for i := range x.Data {
		x.Data[i] = float32(i + 1)
	}
	w := n.Learnable()[0]
	for i := range w.Data {
		w.Data[i] = 2
	}
	loss, err := n.ForwardBackward()
	if err != nil {
		t.Fatal(err)
	}
	if loss != 2*21 {
		t.Fatalf("loss %g, want 42", loss)
	}
	for i, g := range w.Diff {
		if g != float32(i+1) {
			t.Fatalf("parameter gradient %v, want x", w.Diff)
		}
	}
}

// clipBottom is the neuron tests' (2, 3, 4, 5) normal draws, moved off the kinks at
// −1 and 2 by more than the checker's step.
func clipBottom() *blob.Blob {
	b := gaussian(rng.New(1701), 0, 1, 2, 3, 4, 5)
	for i, v := range b.Data {
		for _, k := range []float32{-1, 2} {
			if math.Abs(float64(v-k)) < 0.02 {
				b.Data[i] = k + 0.05
			}
		}
	}
	return b
}

// Caffe's TestClip and TestClipGradient (clip_param { min: -1 max: 2 }; step 1e-2,
// threshold 1e-3, element-wise), and in place.
func TestClip(t *testing.T) {
	for _, tc := range []struct {
		param  string
		lo, hi float32
	}{{`min: -1 max: 2`, -1, 2}, {`min: 0 max: 0.5`, 0, 0.5}} {
		x := clipBottom()
		l := setUp(t, `type: "Clip" clip_param { `+tc.param+` }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
		forward(t, l)
		dy := gaussian(rng.New(2), 0, 1, 2, 3, 4, 5)
		backwardWith(l, dy.Data)
		for i, v := range x.Data {
			want, wantDx := v, dy.Data[i]
			if v < tc.lo {
				want, wantDx = tc.lo, 0
			} else if v > tc.hi {
				want, wantDx = tc.hi, 0
			}
			if l.Top[0].Data[i] != want || x.Diff[i] != wantDx {
				t.Fatalf("%s: x = %g: y %g dx %g, want %g %g", tc.param, v, l.Top[0].Data[i], x.Diff[i], want, wantDx)
			}
		}
		if tc.lo == -1 {
			g := setUp(t, `type: "Clip" clip_param { `+tc.param+` }`, caffepb.Phase_TRAIN, []*blob.Blob{clipBottom()}, 1)
			checkGradient(t, g, gradcheck.New(1e-2, 1e-3), checkEltwise, gradcheck.AllBottoms)
		}
		checkInPlace(t, `type: "Clip" clip_param { `+tc.param+` }`, caffepb.Phase_TRAIN, []*blob.Blob{clipBottom()}, dy)
	}
	// The bounds themselves pass the gradient, as in Caffe.
	x := blob.New(2)
	copy(x.Data, []float32{-1, 2})
	l := setUp(t, `type: "Clip" clip_param { min: -1 max: 2 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	forward(t, l)
	backwardWith(l, []float32{3, 4})
	if x.Diff[0] != 3 || x.Diff[1] != 4 {
		t.Fatalf("gradient at the bounds %v, want [3 4]", x.Diff)
	}
	wantError(t, setUpError(`type: "Clip" clip_param { min: 1 max: 0 }`, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(2)}, 1), "clip_param", "min")
}

// Caffe's TestSwish, TestSwishWithBeta, TestSwishAsLinear (beta 0: y = x/2) and
// TestSwishGradient(WithBeta) (step 1e-2, threshold 1e-3, element-wise), and in place.
func TestSwish(t *testing.T) {
	for _, beta := range []float64{1, 1.5, 0, -0.7} {
		text := `type: "Swish" swish_param { beta: ` + strconv.FormatFloat(beta, 'g', -1, 64) + ` }`
		x := gaussian(rng.New(1701), 0, 1, 2, 3, 4, 5)
		l := setUp(t, text, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
		forward(t, l)
		dy := gaussian(rng.New(2), 0, 1, 2, 3, 4, 5)
		backwardWith(l, dy.Data)
		want, wantDx := make([]float64, x.Count()), make([]float64, x.Count())
		for i, v := range x.Data {
			xv := float64(v)
			s := 1 / (1 + math.Exp(-beta*xv))
			want[i] = xv * s
			wantDx[i] = float64(dy.Data[i]) * (s + beta*xv*s*(1-s))
		}
		visionCompare(t, "swish", l.Top[0].Data, want, 1e-6)
		visionCompare(t, "swish gradient", x.Diff, wantDx, 1e-5)
		g := setUp(t, text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(rng.New(1701), 0, 1, 2, 3, 4, 5)}, 1)
		checkGradient(t, g, gradcheck.New(1e-2, 1e-3), checkEltwise, gradcheck.AllBottoms)
		checkInPlace(t, text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(rng.New(1701), 0, 1, 2, 3, 4, 5)}, dy)
	}
}

// batchReindexBottoms are Caffe's (5, 4, 3, 2) uniform bottom and the given indices.
func batchReindexBottoms(idx []float32) []*blob.Blob {
	x := uniform(rng.New(1701), 0, 1, 5, 4, 3, 2)
	perm := blob.New(len(idx))
	copy(perm.Data, idx)
	return []*blob.Blob{x, perm}
}

// Caffe's TestForward and TestGradient (step 1e-4, threshold 1e-2, exhaustive, the
// data only).
func TestBatchReindex(t *testing.T) {
	for _, idx := range [][]float32{{4, 0, 1, 0, 3}, {2, 2, 2}, {0, 1, 2, 3, 4, 4, 3}} {
		bs := batchReindexBottoms(idx)
		l := setUp(t, `type: "BatchReindex"`, caffepb.Phase_TRAIN, bs, 1)
		if !equalShape(l.Top[0].Shape(), []int{len(idx), 4, 3, 2}) {
			t.Fatalf("top shape %v", l.Top[0].Shape())
		}
		forward(t, l)
		dy := gaussian(rng.New(2), 0, 1, len(idx), 4, 3, 2)
		backwardWith(l, dy.Data)
		wantDx := make([]float64, bs[0].Count())
		for m, v := range idx {
			for j := 0; j < 24; j++ {
				if l.Top[0].Data[m*24+j] != bs[0].Data[int(v)*24+j] {
					t.Fatalf("indices %v: top[%d, %d] = %g, want bottom[%g, %d]", idx, m, j, l.Top[0].Data[m*24+j], v, j)
				}
				wantDx[int(v)*24+j] += float64(dy.Data[m*24+j])
			}
		}
		visionCompare(t, "data gradient", bs[0].Diff, wantDx, 1e-6)

		g := setUp(t, `type: "BatchReindex"`, caffepb.Phase_TRAIN, batchReindexBottoms(idx), 1)
		checkGradient(t, g, gradcheck.New(1e-4, 1e-2), checkExhaustive, 0)
	}
	l, _ := newLayer(t, `type: "BatchReindex"`, caffepb.Phase_TRAIN)
	if g, ok := l.(layers.BackwardGate); !ok || !g.AllowForceBackward(0) || g.AllowForceBackward(1) {
		t.Fatal("BatchReindex gives a gradient to the data, never to the indices")
	}
	for _, bad := range []float32{5, -1} {
		bs := batchReindexBottoms([]float32{0, bad})
		l := setUp(t, `type: "BatchReindex"`, caffepb.Phase_TRAIN, bs, 1)
		wantError(t, l.Forward(l.Bottom, l.Top), "position 1", "out of the batch")
	}
	wantError(t, setUpError(`type: "BatchReindex"`, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(5, 2), blob.New(2, 1)}, 1), "1 axis")
}

// In a net, a silenced blob is no output.
func TestSilenceInNet(t *testing.T) {
	text := `name: "s"
layer { name: "x" type: "Input" top: "x" top: "unused" input_param { shape { dim: 2 dim: 3 } shape { dim: 4 } } }
layer { name: "silence" type: "Silence" bottom: "unused" }
layer { name: "relu" type: "ReLU" bottom: "x" top: "y" }`
	param, err := protofile.ParseNetText("s.prototxt", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	n, err := network.New(param, network.Options{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if out := n.Outputs(); len(out) != 1 || out[0] != "y" {
		t.Fatalf("outputs %v, want [y]", out)
	}
	if _, err := n.ForwardBackward(); err != nil {
		t.Fatal(err)
	}
}
