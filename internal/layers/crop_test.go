package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Crop (test_crop_layer.cpp).

// cropBottoms are Caffe's: data (2, 4, 5, 4) and a size blob (2, 3, 4, 2), with a
// trailing axis each for the 5-D cases.
func cropBottoms(fiveD bool) []*blob.Blob {
	r := rng.New(1701)
	if fiveD {
		return []*blob.Blob{gaussian(r, 0, 1, 2, 4, 5, 4, 2), gaussian(r, 0, 1, 2, 3, 4, 2, 1)}
	}
	return []*blob.Blob{gaussian(r, 0, 1, 2, 4, 5, 4), gaussian(r, 0, 1, 2, 3, 4, 2)}
}

var cropCases = []struct {
	name, param string
	fiveD       bool
	shape       []int
	offsets     []int // per axis of the data
}{
	{"all", `crop_param { axis: 0 }`, false, []int{2, 3, 4, 2}, []int{0, 0, 0, 0}},
	{"all_offset", `crop_param { axis: 0 offset: 0 offset: 1 offset: 1 offset: 2 }`, false, []int{2, 3, 4, 2}, []int{0, 1, 1, 2}},
	{"default_axis2", ``, false, []int{2, 4, 4, 2}, []int{0, 0, 0, 0}},
	{"hw", `crop_param { axis: 2 offset: 1 offset: 2 }`, false, []int{2, 4, 4, 2}, []int{0, 0, 1, 2}},
	{"single_offset", `crop_param { axis: 1 offset: 1 }`, false, []int{2, 3, 4, 2}, []int{0, 1, 1, 1}},
	{"negative_axis", `crop_param { axis: -1 offset: 2 }`, false, []int{2, 4, 5, 2}, []int{0, 0, 0, 2}},
	{"5d", `crop_param { axis: 2 offset: 1 offset: 2 offset: 0 }`, true, []int{2, 4, 4, 2, 1}, []int{0, 0, 1, 2, 0}},
}

// Caffe's TestSetupShape*, TestCropAll, TestCropAllOffset, TestCropHW, TestCrop5D:
// top[i…] = data[i… + offset…]; backward puts the gradient back in the window and
// zeroes the rest.
func TestCropForward(t *testing.T) {
	for _, tc := range cropCases {
		t.Run(tc.name, func(t *testing.T) {
			bs := cropBottoms(tc.fiveD)
			x := bs[0]
			l := setUp(t, `type: "Crop" `+tc.param, caffepb.Phase_TRAIN, bs, 1)
			if !equalShape(l.Top[0].Shape(), tc.shape) {
				t.Fatalf("top shape %v, want %v", l.Top[0].Shape(), tc.shape)
			}
			forward(t, l)
			for i := range bs[1].Diff {
				bs[1].Diff[i] = 7 // must be overwritten with 0
			}
			dy := gaussian(rng.New(3), 0, 1, tc.shape...)
			backwardWith(l, dy.Data)
			wantDx := make([]float64, x.Count())
			idx := make([]int, len(tc.shape))
			for i := range l.Top[0].Data {
				rem := i
				for a := len(tc.shape) - 1; a >= 0; a-- {
					idx[a] = rem%tc.shape[a] + tc.offsets[a]
					rem /= tc.shape[a]
				}
				j := x.Offset(idx...)
				if l.Top[0].Data[i] != x.Data[j] {
					t.Fatalf("top[%d] = %g, want data[%v] = %g", i, l.Top[0].Data[i], idx, x.Data[j])
				}
				wantDx[j] = float64(dy.Data[i])
			}
			visionCompare(t, "data gradient", x.Diff, wantDx, 0)
			for i, v := range bs[1].Diff {
				if v != 0 {
					t.Fatalf("size blob gradient [%d] = %g, want 0", i, v)
				}
			}
		})
	}
}

// Caffe's TestDimensionsCheck: the size blob may be bigger in the axes not cropped.
func TestCropDimensionsCheck(t *testing.T) {
	r := rng.New(1)
	l := setUp(t, `type: "Crop"`, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 2, 4, 5, 4), blob.New(2, 5, 4, 2)}, 1)
	if !equalShape(l.Top[0].Shape(), []int{2, 4, 4, 2}) {
		t.Fatalf("top shape %v, want [2 4 4 2]", l.Top[0].Shape())
	}
}

// Caffe's TestCropAllGradient, TestCropHWGradient, TestCrop5DGradient and more:
// step 1e-2, threshold 1e-3, exhaustive over both bottoms.
func TestCropGradient(t *testing.T) {
	for _, tc := range cropCases {
		t.Run(tc.name, func(t *testing.T) {
			l := setUp(t, `type: "Crop" `+tc.param, caffepb.Phase_TRAIN, cropBottoms(tc.fiveD), 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

func TestCropErrors(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		size        []int
		want        []string
	}{
		{"out_of_bounds", `crop_param { axis: 2 offset: 2 }`, []int{2, 3, 4, 2}, []string{"dimension 2", "size 4", "offset 2"}},
		{"too_big", `crop_param { axis: 1 }`, []int{2, 5, 4, 2}, []string{"dimension 1", "size 5"}},
		{"offsets_count", `crop_param { axis: 1 offset: 1 offset: 1 }`, []int{2, 3, 4, 2}, []string{"crop_param.offset", "2 offsets"}},
		{"axis", `crop_param { axis: 4 }`, []int{2, 3, 4, 2}, []string{"crop_param.axis"}},
		{"size_axes", ``, []int{2, 3, 4}, []string{"fewer axes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, setUpError(`type: "Crop" `+tc.param, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(2, 4, 5, 4), blob.New(tc.size...)}, 1), tc.want...)
		})
	}
}

func TestCropCaffeFixtures(t *testing.T) { caffeFixtures(t, "Crop") }
