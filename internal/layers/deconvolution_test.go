package layers_test

import (
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// naiveDeconv is a deconvolution straight from its definition, in float64: every
// input value spreads over the output through its filter,
//
//	y[n, g·O/G + o, i·s − pad + k·d] += w[c, o, k] · x[n, c, i]   for c in group g
//
// x is (N, C, spatial…), w (C, O/G, kernel…); the result is (N, O, out…) with
// out = s(in − 1) + d(k − 1) + 1 − 2·pad.
func naiveDeconv(x *blob.Blob, w, bias []float32, numOut int, g convGeom) (y []float64, shape []int) {
	xs := x.Shape()
	n, c, in := xs[0], xs[1], xs[2:]
	out := make([]int, len(in))
	for a := range in {
		out[a] = g.stride[a]*(in[a]-1) + g.dilation[a]*(g.kernel[a]-1) + 1 - 2*g.pad[a]
	}
	shape = append([]int{n, numOut}, out...)
	cg, og := c/g.group, numOut/g.group
	wshape := append([]int{c, og}, g.kernel...)
	y = make([]float64, convProd(shape))
	if bias != nil {
		convForIndex(shape, func(yi []int) { y[convFlat(shape, yi)] = float64(bias[yi[1]]) })
	}
	pos := make([]int, len(in))
	convForIndex(xs, func(xi []int) {
		b, ci, p := xi[0], xi[1], xi[2:]
		grp := ci / cg
		xv := float64(x.Data[convFlat(xs, xi)])
		for o := 0; o < og; o++ {
			convForIndex(g.kernel, func(k []int) {
				for a := range in {
					pos[a] = p[a]*g.stride[a] - g.pad[a] + k[a]*g.dilation[a]
					if pos[a] < 0 || pos[a] >= out[a] {
						return
					}
				}
				wv := float64(w[convFlat(wshape, append([]int{ci, o}, k...))])
				y[convFlat(shape, append([]int{b, grp*og + o}, pos...))] += wv * xv
			})
		}
	})
	return y, shape
}

var deconvCases = []struct {
	name   string
	bottom []int
	numOut int
	g      convGeom
	bias   bool
	extra  string
}{
	{"k2_s1", []int{2, 3, 3, 2}, 2, convGeom{[]int{2, 2}, []int{1, 1}, []int{0, 0}, []int{1, 1}, 1}, true, ""},
	{"k3_s2", []int{2, 3, 3, 2}, 2, convGeom{[]int{3, 3}, []int{2, 2}, []int{0, 0}, []int{1, 1}, 1}, true, ""},
	{"k4_s2_pad1", []int{2, 2, 3, 3}, 3, convGeom{[]int{4, 4}, []int{2, 2}, []int{1, 1}, []int{1, 1}, 1}, true, ""},
	{"k3_s3_pad2", []int{1, 2, 3, 3}, 2, convGeom{[]int{3, 3}, []int{3, 3}, []int{2, 2}, []int{1, 1}, 1}, true, ""},
	{"dilation2", []int{2, 2, 3, 3}, 2, convGeom{[]int{3, 3}, []int{1, 1}, []int{1, 1}, []int{2, 2}, 1}, true, ""},
	{"group2", []int{2, 4, 3, 3}, 4, convGeom{[]int{3, 3}, []int{1, 1}, []int{0, 0}, []int{1, 1}, 2}, true, ""},
	{"depthwise", []int{2, 3, 3, 2}, 3, convGeom{[]int{3, 3}, []int{2, 2}, []int{1, 1}, []int{1, 1}, 3}, true, ""},
	{"rect", []int{2, 2, 3, 4}, 2, convGeom{[]int{3, 2}, []int{2, 1}, []int{1, 0}, []int{1, 1}, 1}, true, ""},
	{"no_bias", []int{2, 3, 3, 2}, 2, convGeom{[]int{3, 3}, []int{2, 2}, []int{1, 1}, []int{1, 1}, 1}, false, ""},
	{"1x1", []int{2, 3, 3, 3}, 2, convGeom{[]int{1, 1}, []int{1, 1}, []int{0, 0}, []int{1, 1}, 1}, true, ""},
	{"force_nd", []int{2, 2, 3, 2}, 2, convGeom{[]int{3, 2}, []int{2, 1}, []int{1, 0}, []int{1, 2}, 1}, true, "force_nd_im2col: true"},
	{"3d", []int{2, 2, 2, 3, 2}, 2, convGeom{[]int{2, 3, 2}, []int{2, 1, 1}, []int{0, 1, 0}, []int{1, 1, 1}, 1}, true, ""},
}

func TestDeconvolutionForwardMatchesNaive(t *testing.T) {
	for _, tc := range deconvCases {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			x := gaussian(r, 0, 1, tc.bottom...)
			l := setUp(t, tc.g.text("Deconvolution", tc.numOut, tc.bias, tc.extra), caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
			if err := l.Forward(l.Bottom, l.Top); err != nil {
				t.Fatal(err)
			}
			var bias []float32
			if tc.bias {
				bias = l.Params()[1].Data
			}
			want, shape := naiveDeconv(x, l.Params()[0].Data, bias, tc.numOut, tc.g)
			if !equalShape(l.Top[0].Shape(), shape) {
				t.Fatalf("top shape %v, want %v", l.Top[0].Shape(), shape)
			}
			visionCompare(t, "top", l.Top[0].Data, want, 1e-5)
		})
	}
}

// Caffe's TestGradient family for deconvolution: step 1e-2, threshold 1e-3, exhaustive.
func TestDeconvolutionGradient(t *testing.T) {
	for i, tc := range deconvCases {
		t.Run(tc.name, func(t *testing.T) {
			shortSweep(t, i, 3)
			r := rng.New(1701)
			l := setUp(t, tc.g.text("Deconvolution", tc.numOut, tc.bias, tc.extra), caffepb.Phase_TRAIN,
				[]*blob.Blob{gaussian(r, 0, 1, tc.bottom...)}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

// Caffe's TestSetup: the output grows to s(H − 1) + k − 2p.
func TestDeconvolutionSetup(t *testing.T) {
	r := rng.New(1701)
	for _, tc := range []struct{ text, want, weight string }{
		{`type: "Deconvolution" convolution_param { num_output: 4 kernel_size: 3 stride: 2 }`, "2 4 13 9 (936)", "3 4 3 3 (108)"},
		{`type: "Deconvolution" convolution_param { num_output: 3 kernel_size: 3 stride: 2 group: 3 }`, "2 3 13 9 (702)", "3 1 3 3 (27)"},
		{`type: "Deconvolution" convolution_param { num_output: 2 kernel_size: 4 stride: 2 pad: 1 }`, "2 2 12 8 (384)", "3 2 4 4 (96)"},
	} {
		l := setUp(t, tc.text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 2, 3, 6, 4)}, 1)
		if got := l.Top[0].ShapeString(); got != tc.want {
			t.Errorf("%s: top %s, want %s", tc.text, got, tc.want)
		}
		if got := l.Params()[0].ShapeString(); got != tc.weight {
			t.Errorf("%s: weight %s, want %s", tc.text, got, tc.weight)
		}
	}
}

// Caffe's TestSimpleDeconvolution: ones through a 3×3 filter of ones with stride 2
// give 3 per input channel where one window covers the output, more where windows
// overlap (every other row and column inside the border), plus the bias 0.1.
func TestDeconvolutionSimple(t *testing.T) {
	x := blob.New(2, 3, 6, 4)
	for i := range x.Data {
		x.Data[i] = 1
	}
	l := setUp(t, `type: "Deconvolution" convolution_param { num_output: 4 kernel_size: 3 stride: 2
		weight_filler { type: "constant" value: 1 } bias_filler { type: "constant" value: 0.1 } }`,
		caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	top := l.Top[0]
	h, w := top.Dim(2), top.Dim(3)
	for n := 0; n < top.Dim(0); n++ {
		for c := 0; c < top.Dim(1); c++ {
			for y := 0; y < h; y++ {
				for xx := 0; xx < w; xx++ {
					want := 3.1
					hOverlap := y%2 == 0 && y > 0 && y < h-1
					wOverlap := xx%2 == 0 && xx > 0 && xx < w-1
					switch {
					case hOverlap && wOverlap:
						want += 9
					case hOverlap || wOverlap:
						want += 3
					}
					if got := top.Data[top.Offset(n, c, y, xx)]; math.Abs(float64(got)-want) > 1e-4 {
						t.Fatalf("top(%d,%d,%d,%d) = %g, want %g", n, c, y, xx, got, want)
					}
				}
			}
		}
	}
}

// TestDeconvolutionIsConvolutionTranspose: with the same weights and no bias,
// ⟨deconv(x), y⟩ = ⟨x, conv(y)⟩.
func TestDeconvolutionIsConvolutionTranspose(t *testing.T) {
	r := rng.New(1701)
	const params = `num_output: 3 kernel_size: 3 stride: 2 pad: 1 dilation: 1 group: 1 bias_term: false weight_filler { type: "gaussian" }`
	x := gaussian(r, 0, 1, 2, 4, 4, 3)
	deconv := setUp(t, `type: "Deconvolution" convolution_param { `+params+` }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	y := gaussian(r, 0, 1, deconv.Top[0].Shape()...)
	conv := setUp(t, `type: "Convolution" convolution_param { num_output: 4 kernel_size: 3 stride: 2 pad: 1 bias_term: false }`,
		caffepb.Phase_TRAIN, []*blob.Blob{y}, 1)
	// Convolution's weight (4, 3, 3, 3) and deconvolution's (C_in 4, 3, 3, 3) are the same array.
	copy(conv.Params()[0].Data, deconv.Params()[0].Data)
	if err := deconv.Forward(deconv.Bottom, deconv.Top); err != nil {
		t.Fatal(err)
	}
	if err := conv.Forward(conv.Bottom, conv.Top); err != nil {
		t.Fatal(err)
	}
	if !equalShape(conv.Top[0].Shape(), x.Shape()) {
		t.Fatalf("conv of the deconv's output has shape %v, want %v", conv.Top[0].Shape(), x.Shape())
	}
	var lhs, rhs float64
	for i, v := range deconv.Top[0].Data {
		lhs += float64(v) * float64(y.Data[i])
	}
	for i, v := range conv.Top[0].Data {
		rhs += float64(v) * float64(x.Data[i])
	}
	if math.Abs(lhs-rhs) > 1e-4*(1+math.Abs(lhs)) {
		t.Fatalf("<deconv x, y> = %g, <x, conv y> = %g", lhs, rhs)
	}
}

func TestDeconvolutionCaffeFixtures(t *testing.T) { caffeFixtures(t, "Deconvolution") }
