package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of the Im2col layer (test_im2col_layer.cpp).

var im2colCases = []struct {
	name, param string
	bottom      []int
	g           convGeom
}{
	// Caffe's TestSetup/TestForward/TestGradient: (2, 3, 6, 5), kernel 3, stride 2.
	{"k3_s2", `kernel_size: 3 stride: 2`, []int{2, 3, 6, 5}, convGeom{[]int{3, 3}, []int{2, 2}, []int{0, 0}, []int{1, 1}, 1}},
	// TestDilatedGradient, TestRect(Gradient), padding, force_nd and 3-D.
	{"dilated", `kernel_size: 3 stride: 2 pad: 1 dilation: 2`, []int{1, 2, 7, 6}, convGeom{[]int{3, 3}, []int{2, 2}, []int{1, 1}, []int{2, 2}, 1}},
	{"rect", `kernel_h: 5 kernel_w: 3 stride: 2`, []int{2, 3, 6, 5}, convGeom{[]int{5, 3}, []int{2, 2}, []int{0, 0}, []int{1, 1}, 1}},
	{"pad_hw", `kernel_size: 2 pad_h: 1 pad_w: 0 stride_h: 1 stride_w: 2`, []int{1, 2, 4, 5}, convGeom{[]int{2, 2}, []int{1, 2}, []int{1, 0}, []int{1, 1}, 1}},
	{"force_nd", `kernel_size: 3 stride: 2 force_nd_im2col: true`, []int{2, 3, 6, 5}, convGeom{[]int{3, 3}, []int{2, 2}, []int{0, 0}, []int{1, 1}, 1}},
	{"3d", `kernel_size: 2 kernel_size: 3 kernel_size: 2 pad: 1 stride: 2`, []int{1, 2, 3, 4, 2}, convGeom{[]int{2, 3, 2}, []int{2, 2, 2}, []int{1, 1, 1}, []int{1, 1, 1}, 1}},
}

// im2colReference lays out the windows from their definition:
//
//	top[n, (c·k0 + i0)·k1 + i1…, o0, o1, …] = x[n, c, o0·s0 − p0 + i0·d0, …], 0 in the padding.
func im2colReference(x *blob.Blob, g convGeom) ([]float64, []int) {
	xs := x.Shape()
	n, c, in := xs[0], xs[1], xs[2:]
	out := make([]int, len(in))
	kvol := 1
	for a := range in {
		out[a] = (in[a]+2*g.pad[a]-(g.dilation[a]*(g.kernel[a]-1)+1))/g.stride[a] + 1
		kvol *= g.kernel[a]
	}
	shape := append([]int{n, c * kvol}, out...)
	y := make([]float64, convProd(shape))
	pos := make([]int, len(in))
	convForIndex(shape, func(yi []int) {
		b, row, o := yi[0], yi[1], yi[2:]
		ch := row / kvol
		k := make([]int, len(in))
		rem := row % kvol
		for a := len(in) - 1; a >= 0; a-- {
			k[a] = rem % g.kernel[a]
			rem /= g.kernel[a]
		}
		for a := range in {
			pos[a] = o[a]*g.stride[a] - g.pad[a] + k[a]*g.dilation[a]
			if pos[a] < 0 || pos[a] >= in[a] {
				return
			}
		}
		y[convFlat(shape, yi)] = float64(x.Data[convFlat(xs, append([]int{b, ch}, pos...))])
	})
	return y, shape
}

func TestIm2colForward(t *testing.T) {
	for _, tc := range im2colCases {
		t.Run(tc.name, func(t *testing.T) {
			x := gaussian(rng.New(1701), 0, 1, tc.bottom...)
			l := setUp(t, `type: "Im2col" convolution_param { `+tc.param+` }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
			want, shape := im2colReference(x, tc.g)
			if !equalShape(l.Top[0].Shape(), shape) {
				t.Fatalf("top shape %v, want %v", l.Top[0].Shape(), shape)
			}
			forward(t, l)
			visionCompare(t, "top", l.Top[0].Data, want, 0)
		})
	}
}

// Caffe's TestGradient, TestDilatedGradient, TestGradientForceND, TestRectGradient:
// step 1e-2, threshold 1e-2, exhaustive.
func TestIm2colGradient(t *testing.T) {
	for _, tc := range im2colCases {
		t.Run(tc.name, func(t *testing.T) {
			x := gaussian(rng.New(1701), 0, 1, tc.bottom...)
			l := setUp(t, `type: "Im2col" convolution_param { `+tc.param+` }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

func TestIm2colErrors(t *testing.T) {
	x := func() []*blob.Blob { return []*blob.Blob{blob.New(2, 3, 6, 5)} }
	for _, tc := range []struct {
		param string
		want  []string
	}{
		{``, []string{"kernel_size"}},
		{`kernel_size: 3 kernel_h: 3 kernel_w: 3`, []string{"kernel_size", "kernel_h"}},
		{`kernel_size: 2 kernel_size: 2 kernel_size: 2`, []string{"kernel_size", "3 times"}},
		{`kernel_size: 7`, []string{"output size"}},
		{`kernel_size: 2 stride: 0`, []string{"stride"}},
		{`kernel_size: 2 axis: 4`, []string{"convolution_param.axis"}},
		{`kernel_size: 2 axis: 3`, []string{"spatial axis"}},
	} {
		t.Run(tc.param, func(t *testing.T) {
			wantError(t, setUpError(`type: "Im2col" convolution_param { `+tc.param+` }`, caffepb.Phase_TRAIN, x(), 1), tc.want...)
		})
	}
}
