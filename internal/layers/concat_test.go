package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Concat (test_concat_layer.cpp).

// concatBottoms are Caffe's: (2,3,6,5), (2,5,6,5) and (5,3,6,5), here gaussian so
// that every value is distinct.
func concatBottoms() (b0, b1, b2 *blob.Blob) {
	r := rng.New(1701)
	return gaussian(r, 0, 1, 2, 3, 6, 5), gaussian(r, 0, 1, 2, 5, 6, 5), gaussian(r, 0, 1, 5, 3, 6, 5)
}

// concatReference joins the bottoms along axis by index arithmetic.
func concatReference(bottoms []*blob.Blob, axis int) []float32 {
	var out []float32
	outer := bottoms[0].CountRange(0, axis)
	for o := 0; o < outer; o++ {
		for _, b := range bottoms {
			rows := b.CountFrom(axis)
			out = append(out, b.Data[o*rows:(o+1)*rows]...)
		}
	}
	return out
}

func TestConcatForward(t *testing.T) {
	b0, b1, b2 := concatBottoms()
	r := rng.New(3)
	for _, tc := range []struct {
		name, param string
		bottoms     []*blob.Blob
		axis        int
		shape       []int
	}{
		{"num", `concat_param { axis: 0 }`, []*blob.Blob{b0, b2}, 0, []int{7, 3, 6, 5}},
		{"channels", ``, []*blob.Blob{b0, b1}, 1, []int{2, 8, 6, 5}},
		{"channels_negative", `concat_param { axis: -3 }`, []*blob.Blob{b0, b1}, 1, []int{2, 8, 6, 5}},
		{"concat_dim", `concat_param { concat_dim: 1 }`, []*blob.Blob{b0, b1}, 1, []int{2, 8, 6, 5}},
		{"last_axis_three", `concat_param { axis: -1 }`,
			[]*blob.Blob{gaussian(r, 0, 1, 2, 3, 1), gaussian(r, 0, 1, 2, 3, 4), gaussian(r, 0, 1, 2, 3, 2)}, 2, []int{2, 3, 7}},
		// Blocks of several pieces each (axisParts), split over the workers.
		{"large", ``, []*blob.Blob{gaussian(r, 0, 1, 3, 5, 61, 67), gaussian(r, 0, 1, 3, 1, 61, 67), gaussian(r, 0, 1, 3, 9, 61, 67)},
			1, []int{3, 15, 61, 67}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := setUp(t, `type: "Concat" `+tc.param, caffepb.Phase_TRAIN, tc.bottoms, 1)
			if !equalShape(l.Top[0].Shape(), tc.shape) {
				t.Fatalf("top shape %v, want %v", l.Top[0].Shape(), tc.shape)
			}
			forward(t, l)
			want := concatReference(tc.bottoms, tc.axis)
			for i, w := range want {
				if l.Top[0].Data[i] != w {
					t.Fatalf("top[%d] = %g, want %g", i, l.Top[0].Data[i], w)
				}
			}
			// Backward is the forward's inverse: the top's gradient cut back apart.
			dy := gaussian(r, 0, 1, tc.shape...)
			backwardWith(l, dy.Data)
			got := concatReference(func() []*blob.Blob {
				ds := make([]*blob.Blob, len(tc.bottoms))
				for i, b := range tc.bottoms {
					ds[i] = blob.New(b.Shape()...)
					copy(ds[i].Data, b.Diff)
				}
				return ds
			}(), tc.axis)
			for i, g := range got {
				if g != dy.Data[i] {
					t.Fatalf("gradient %d: %g, want %g", i, g, dy.Data[i])
				}
			}
		})
	}
}

// Caffe's TestForwardTrivial: one bottom, the top is a view of it.
func TestConcatTrivial(t *testing.T) {
	b0, _, _ := concatBottoms()
	l := setUp(t, `type: "Concat"`, caffepb.Phase_TRAIN, []*blob.Blob{b0}, 1)
	forward(t, l)
	if !equalShape(l.Top[0].Shape(), b0.Shape()) || !sameMemory(l.Top[0].Data, b0.Data) || !sameMemory(l.Top[0].Diff, b0.Diff) {
		t.Fatal("with one bottom the top is not a view of it")
	}
	// Caffe's TestGradientTrivial: step 1e-2, threshold 1e-2, element-wise.
	checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkEltwise, gradcheck.AllBottoms)
}

// Caffe's TestGradientNum, TestGradientChannels, TestGradientChannelsBottomOneOnly:
// step 1e-2, threshold 1e-2.
func TestConcatGradient(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		bottoms     func() []*blob.Blob
		check       int
	}{
		{"num", `concat_param { axis: 0 }`, func() []*blob.Blob { b0, _, b2 := concatBottoms(); return []*blob.Blob{b0, b2} }, gradcheck.AllBottoms},
		{"channels", ``, func() []*blob.Blob { b0, b1, _ := concatBottoms(); return []*blob.Blob{b0, b1} }, gradcheck.AllBottoms},
		{"channels_bottom_one_only", ``, func() []*blob.Blob { b0, b1, _ := concatBottoms(); return []*blob.Blob{b0, b1} }, 1},
		{"last_axis_three", `concat_param { axis: 2 }`, func() []*blob.Blob {
			r := rng.New(4)
			return []*blob.Blob{gaussian(r, 0, 1, 2, 3, 1), gaussian(r, 0, 1, 2, 3, 4), gaussian(r, 0, 1, 2, 3, 2)}
		}, gradcheck.AllBottoms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := setUp(t, `type: "Concat" `+tc.param, caffepb.Phase_TRAIN, tc.bottoms(), 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkSingle, tc.check)
		})
	}
}

func TestConcatErrors(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		shapes      [][]int
		want        []string
	}{
		{"axis_and_dim", `concat_param { axis: 1 concat_dim: 1 }`, [][]int{{2, 3}, {2, 3}}, []string{"concat_param", "axis", "concat_dim"}},
		{"shape", ``, [][]int{{2, 3, 4}, {2, 3, 5}}, []string{"same shape", "2 3 5 (30)"}},
		{"axes", ``, [][]int{{2, 3, 4}, {2, 3}}, []string{"number of axes", "2 3 (6)"}},
		{"axis", `concat_param { axis: 3 }`, [][]int{{2, 3, 4}, {2, 3, 4}}, []string{"concat_param.axis"}},
		{"concat_dim", `concat_param { concat_dim: 3 }`, [][]int{{2, 3, 4}, {2, 3, 4}}, []string{"concat_param.concat_dim", "3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var bs []*blob.Blob
			for _, s := range tc.shapes {
				bs = append(bs, blob.New(s...))
			}
			wantError(t, setUpError(`type: "Concat" `+tc.param, caffepb.Phase_TRAIN, bs, 1), tc.want...)
		})
	}
}

// BenchmarkConcat: SqueezeNet 1.1's fire2 expand (batch 8) joined along the channels.
func BenchmarkConcat(b *testing.B) {
	benchLayers(b, []layerBench{{name: "fire2_8x64x55x55x2", text: `type: "Concat"`, phase: caffepb.Phase_TRAIN,
		bottoms: [][]int{{8, 64, 55, 55}, {8, 64, 55, 55}}, tops: 1}})
}

func TestConcatCaffeFixtures(t *testing.T) { caffeFixtures(t, "Concat") }
