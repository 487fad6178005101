package layers_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Flatten (test_flatten_layer.cpp) and of the views it shares with
// Reshape: the top shares the bottom's storage, is shared again when the bottom gets
// new storage, and works under in-place layers.

func TestFlattenShapes(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		bottom      []int
		want        []int
	}{
		{"default", ``, []int{2, 3, 6, 5}, []int{2, 90}},
		{"axis2", `flatten_param { axis: 2 }`, []int{2, 3, 6, 5}, []int{2, 3, 30}},
		{"end_axis", `flatten_param { axis: 0 end_axis: 1 }`, []int{2, 3, 6, 5}, []int{6, 6, 5}},
		{"end_axis_neg2", `flatten_param { end_axis: -2 }`, []int{2, 3, 6, 5}, []int{2, 18, 5}},
		{"one_axis", `flatten_param { axis: 1 end_axis: 1 }`, []int{2, 3, 6, 5}, []int{2, 3, 6, 5}},
		// end_axis just before axis flattens nothing into a new axis of 1 (Caffe's count(a, a)).
		{"empty_range", `flatten_param { axis: 2 end_axis: 1 }`, []int{2, 3, 4}, []int{2, 3, 1, 4}},
		{"2d", ``, []int{4, 7}, []int{4, 7}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := gaussian(rng.New(1), 0, 1, tc.bottom...)
			l := setUp(t, `type: "Flatten" `+tc.param, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
			if !equalShape(l.Top[0].Shape(), tc.want) {
				t.Fatalf("top shape %v, want %v", l.Top[0].Shape(), tc.want)
			}
			forward(t, l)
			if !sameMemory(l.Top[0].Data, x.Data) || !sameMemory(l.Top[0].Diff, x.Diff) {
				t.Fatal("the top does not share the bottom's values and gradient")
			}
		})
	}
}

// sameMemory reports whether two slices are the same storage.
func sameMemory(a, b []float32) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}

// Caffe's TestGradient: step 1e-2, threshold 1e-2, element-wise.
func TestFlattenGradient(t *testing.T) {
	for _, param := range []string{``, `flatten_param { axis: 2 }`, `flatten_param { axis: 0 end_axis: -2 }`} {
		t.Run(param, func(t *testing.T) {
			l := setUp(t, `type: "Flatten" `+param, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(rng.New(1701), 0, 1, 2, 3, 6, 5)}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkEltwise, gradcheck.AllBottoms)
		})
	}
}

// viewReshare checks a view layer (Flatten, Reshape) against a bottom that is given
// new storage behind its back, as a data layer reshaping to a bigger batch does.
func viewReshare(t *testing.T, text string, shape []int) {
	x := gaussian(rng.New(2), 0, 1, shape...)
	l := setUp(t, text, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	topShape := append([]int(nil), l.Top[0].Shape()...)

	// New storage of the same shape, without a Reshape of the layer: Forward and
	// Backward must follow it.
	x.Data = append([]float32(nil), x.Data...)
	x.Diff = make([]float32, len(x.Diff))
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	forward(t, l)
	if !sameMemory(l.Top[0].Data, x.Data) || !equalShape(l.Top[0].Shape(), topShape) {
		t.Fatalf("after Forward the top (%v) does not view the bottom's new values", l.Top[0].Shape())
	}
	if l.Top[0].Data[5] != 5 {
		t.Fatalf("top value 5 is %g", l.Top[0].Data[5])
	}

	// The top is given gradient storage of its own after Forward: Backward copies the
	// gradient written there down, then shares again.
	l.Top[0].Diff = make([]float32, x.Count())
	for i := range l.Top[0].Diff {
		l.Top[0].Diff[i] = float32(-i)
	}
	l.Backward(l.Top, []bool{true}, l.Bottom)
	if x.Diff[7] != -7 || !sameMemory(l.Top[0].Diff, x.Diff) {
		t.Fatalf("after Backward the bottom gradient is %g (want -7), shared %v", x.Diff[7], sameMemory(l.Top[0].Diff, x.Diff))
	}

	// A bigger batch: the layer's Reshape shares the new storage.
	big := append([]int{shape[0] * 2}, shape[1:]...)
	x.Reshape(big...)
	if err := l.Reshape(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	if !sameMemory(l.Top[0].Data, x.Data) || !sameMemory(l.Top[0].Diff, x.Diff) || l.Top[0].Count() != x.Count() {
		t.Fatalf("after Reshape to %v the top %v does not view the bottom", big, l.Top[0].Shape())
	}
}

func TestFlattenReshare(t *testing.T) {
	viewReshare(t, `type: "Flatten"`, []int{2, 3, 4})
}

func TestFlattenErrors(t *testing.T) {
	x := blob.New(2, 3, 4)
	wantError(t, setUpError(`type: "Flatten" flatten_param { axis: 3 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1), "flatten_param.axis")
	wantError(t, setUpError(`type: "Flatten" flatten_param { end_axis: -4 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1), "flatten_param.end_axis")
	wantError(t, setUpError(`type: "Flatten" flatten_param { axis: 2 end_axis: 0 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1), "flatten_param.end_axis")
	l, _ := newLayer(t, `type: "Flatten"`, caffepb.Phase_TRAIN)
	wantError(t, layers.SetUp(l, []*blob.Blob{x}, []*blob.Blob{x}), "in-place")
}

// viewNet is a net around a view layer: x → view → [in-place layer] → InnerProduct
// → EuclideanLoss against a target, with force_backward so that x gets a gradient.
func viewNet(view, inPlace string, ipInPlace bool) string {
	top := "v"
	if !ipInPlace {
		top = "act"
	}
	return fmt.Sprintf(`
name: "views"
force_backward: true
state { phase: TRAIN }
layer { name: "x" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 dim: 2 dim: 2 } } }
layer { name: "target" type: "Input" top: "target" input_param { shape { dim: 2 dim: 4 } } }
layer { name: "view" bottom: "x" top: "v" %s }
layer { name: "act" bottom: "v" top: %q %s }
layer { name: "ip" type: "InnerProduct" bottom: %q top: "ip"
        inner_product_param { num_output: 4 weight_filler { type: "gaussian" } bias_filler { type: "gaussian" } } }
layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "target" top: "loss" }
`, view, top, inPlace, top)
}

// runViewNet builds the net, fills x and the target, runs forward and backward and
// returns the loss, x's values after forward and x's gradient.
func runViewNet(t *testing.T, text string) (loss float32, xAfter, dx []float32) {
	t.Helper()
	n := buildNet(t, "views.prototxt", text)
	r := rng.New(5)
	x, target := n.Blob("x"), n.Blob("target")
	for i := range x.Data {
		x.Data[i] = r.Gaussian(0, 1)
	}
	for i := range target.Data {
		target.Data[i] = r.Gaussian(0, 1)
	}
	loss, err := n.ForwardBackward()
	if err != nil {
		t.Fatal(err)
	}
	return loss, append([]float32(nil), x.Data...), append([]float32(nil), x.Diff...)
}

// TestViewsUnderInPlaceLayers puts in-place layers (ReLU, Scale, BatchNorm, Dropout
// in TEST) on the top of Flatten and Reshape in a net and compares loss and input
// gradient with the same net computed out of place. In place the layer writes
// through the view into the input's values, as in Caffe.
func TestViewsUnderInPlaceLayers(t *testing.T) {
	views := map[string]string{
		"flatten":            `type: "Flatten"`,
		"reshape":            `type: "Reshape" reshape_param { shape { dim: 0 dim: -1 } }`,
		"flatten_axis2_then": `type: "Flatten" flatten_param { axis: 2 }`,
	}
	acts := map[string]string{
		"relu":      `type: "ReLU"`,
		"scale":     `type: "Scale" scale_param { filler { type: "gaussian" } bias_term: true bias_filler { type: "gaussian" } }`,
		"batchnorm": `type: "BatchNorm"`,
		"power":     `type: "Power" power_param { power: 2 shift: 1 }`,
	}
	for vname, view := range views {
		for aname, act := range acts {
			t.Run(vname+"/"+aname, func(t *testing.T) {
				lossOut, xOut, dxOut := runViewNet(t, viewNet(view, act, false))
				lossIn, xIn, dxIn := runViewNet(t, viewNet(view, act, true))
				if !testutil.Close(float64(lossIn), float64(lossOut), 0, 1e-6) {
					t.Fatalf("loss in place %g, out of place %g", lossIn, lossOut)
				}
				if err := testutil.CompareSlices(dxIn, dxOut, 1e-7, 1e-5); err != nil {
					t.Fatalf("input gradient in place differs from out of place: %v", err)
				}
				// Out of place the input is untouched; in place the layer wrote through.
				r := rng.New(5)
				for i, v := range xOut {
					if want := r.Gaussian(0, 1); v != want {
						t.Fatalf("out of place, x[%d] changed from %g to %g", i, want, v)
					}
				}
				if aname == "relu" {
					for i, v := range xIn {
						if v < 0 {
							t.Fatalf("in place, x[%d] = %g: the ReLU did not write through the view", i, v)
						}
					}
				}
			})
		}
	}
}

// TestViewNetGradient checks the input gradient of a net with a view under an
// in-place ReLU against finite differences of the whole net's loss (the input is
// restored before every forward: the ReLU clobbers it).
func TestViewNetGradient(t *testing.T) {
	for _, view := range []string{`type: "Flatten"`, `type: "Reshape" reshape_param { shape { dim: 2 dim: 12 } }`} {
		t.Run(view, func(t *testing.T) {
			n := buildNet(t, "views.prototxt", viewNet(view, `type: "ReLU"`, true))
			r := rng.New(9)
			x, target := n.Blob("x"), n.Blob("target")
			x0 := make([]float32, x.Count())
			for i := range x0 {
				x0[i] = r.Gaussian(0, 1)
				if math.Abs(float64(x0[i])) < 0.05 {
					x0[i] = 0.5 // away from the ReLU's kink
				}
			}
			for i := range target.Data {
				target.Data[i] = r.Gaussian(0, 1)
			}
			lossAt := func() float64 {
				l, err := n.Forward()
				if err != nil {
					t.Fatal(err)
				}
				return float64(l)
			}
			copy(x.Data, x0)
			if _, err := n.ForwardBackward(); err != nil {
				t.Fatal(err)
			}
			dx := append([]float32(nil), x.Diff...)
			const h = 1e-2
			for i := range x0 {
				copy(x.Data, x0)
				x.Data[i] += h
				pos := lossAt()
				copy(x.Data, x0)
				x.Data[i] -= h
				neg := lossAt()
				est := (pos - neg) / (2 * h)
				if !testutil.Close(float64(dx[i]), est, 1e-3, 1e-2) {
					t.Fatalf("dloss/dx[%d] = %g, finite difference %g", i, dx[i], est)
				}
			}
		})
	}
}

// TestViewInPlaceRefusedByNet: a view cannot be its own bottom.
func TestViewInPlaceRefusedByNet(t *testing.T) {
	for _, view := range []string{`type: "Flatten"`, `type: "Reshape" reshape_param { shape { dim: -1 } }`} {
		text := `name: "n"
layer { name: "x" type: "Input" top: "x" input_param { shape { dim: 2 dim: 3 } } }
layer { name: "view" bottom: "x" top: "x" ` + view + ` }`
		param, err := protofile.ParseNetText("inplace.prototxt", []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		_, err = network.New(param, network.Options{Quiet: true})
		wantError(t, err, "view", "in-place")
	}
}

func TestFlattenCaffeFixtures(t *testing.T) { caffeFixtures(t, "Flatten") }
