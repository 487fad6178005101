package layers_test

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// convGeom is a convolution's geometry for the direct references below.
type convGeom struct {
	kernel, stride, pad, dilation []int
	group                         int
}

// convForIndex calls f with every multi-index of shape in row-major order.
func convForIndex(shape []int, f func(idx []int)) {
	idx := make([]int, len(shape))
	for _, d := range shape {
		if d == 0 {
			return
		}
	}
	for {
		f(idx)
		a := len(shape) - 1
		for ; a >= 0; a-- {
			idx[a]++
			if idx[a] < shape[a] {
				break
			}
			idx[a] = 0
		}
		if a < 0 {
			return
		}
	}
}

// flat is the row-major offset of idx in shape.
func convFlat(shape, idx []int) int {
	o := 0
	for a, d := range shape {
		o = o*d + idx[a]
	}
	return o
}

// naiveConv is a convolution straight from its definition, in float64:
//
//	y[n, o, p] = bias[o] + Σ_{c in o's group} Σ_k w[o, c, k] · x[n, g·C/G + c, p·s − pad + k·d]
//
// x is (N, C, spatial…), w (O, C/G, kernel…); the result is (N, O, out…).
func naiveConv(x *blob.Blob, w, bias []float32, numOut int, g convGeom) (y []float64, shape []int) {
	xs := x.Shape()
	n, c, in := xs[0], xs[1], xs[2:]
	out := make([]int, len(in))
	for a := range in {
		out[a] = (in[a]+2*g.pad[a]-(g.dilation[a]*(g.kernel[a]-1)+1))/g.stride[a] + 1
	}
	shape = append([]int{n, numOut}, out...)
	cg, og := c/g.group, numOut/g.group
	wshape := append([]int{numOut, cg}, g.kernel...)
	y = make([]float64, convProd(shape))
	pos := make([]int, len(in))
	convForIndex(shape, func(yi []int) {
		b, o, p := yi[0], yi[1], yi[2:]
		grp := o / og
		sum := 0.0
		if bias != nil {
			sum = float64(bias[o])
		}
		for ci := 0; ci < cg; ci++ {
			convForIndex(g.kernel, func(k []int) {
				for a := range in {
					pos[a] = p[a]*g.stride[a] - g.pad[a] + k[a]*g.dilation[a]
					if pos[a] < 0 || pos[a] >= in[a] {
						return
					}
				}
				xv := x.Data[convFlat(xs, append([]int{b, grp*cg + ci}, pos...))]
				wv := w[convFlat(wshape, append([]int{o, ci}, k...))]
				sum += float64(xv) * float64(wv)
			})
		}
		y[convFlat(shape, yi)] = sum
	})
	return y, shape
}

func convProd(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}

func visionCompare(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); d > tol*(1+math.Abs(want[i])) || math.IsNaN(d) {
			t.Fatalf("%s[%d] = %g, want %g", what, i, got[i], want[i])
		}
	}
}

// convListField writes a repeated field of convolution_param once per value.
func convListField(name string, v []int) string {
	var b strings.Builder
	for _, x := range v {
		fmt.Fprintf(&b, " %s: %d", name, x)
	}
	return b.String()
}

func (g convGeom) text(typ string, numOut int, bias bool, extra string) string {
	return fmt.Sprintf(`type: %q convolution_param { num_output: %d%s%s%s%s group: %d bias_term: %v
		weight_filler { type: "gaussian" } bias_filler { type: "gaussian" } %s }`,
		typ, numOut, convListField("kernel_size", g.kernel), convListField("stride", g.stride), convListField("pad", g.pad),
		convListField("dilation", g.dilation), g.group, bias, extra)
}

// convCases are the parameter sets of the forward and gradient tests: Caffe's pad,
// stride, dilation, group, rectangular, bias-less and N-D cases.
var convCases = []struct {
	name   string
	bottom []int
	numOut int
	g      convGeom
	bias   bool
	extra  string
}{
	{"k3_s2", []int{2, 3, 6, 4}, 2, convGeom{[]int{3, 3}, []int{2, 2}, []int{0, 0}, []int{1, 1}, 1}, true, ""},
	{"k3_pad1", []int{2, 3, 5, 4}, 2, convGeom{[]int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}, 1}, true, ""},
	{"k3_pad2_stride3", []int{2, 2, 7, 6}, 3, convGeom{[]int{3, 3}, []int{3, 3}, []int{2, 2}, []int{1, 1}, 1}, true, ""},
	{"dilation2_pad2", []int{2, 2, 5, 5}, 2, convGeom{[]int{3, 3}, []int{1, 1}, []int{2, 2}, []int{2, 2}, 1}, true, ""},
	{"dilation2_stride2", []int{1, 2, 7, 6}, 2, convGeom{[]int{2, 3}, []int{2, 1}, []int{1, 0}, []int{2, 2}, 1}, true, ""},
	{"group2", []int{2, 4, 5, 4}, 4, convGeom{[]int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}, 2}, true, ""},
	{"depthwise", []int{2, 3, 6, 4}, 3, convGeom{[]int{3, 3}, []int{2, 2}, []int{0, 0}, []int{1, 1}, 3}, true, ""},
	{"rect", []int{2, 3, 6, 7}, 2, convGeom{[]int{3, 2}, []int{1, 2}, []int{1, 0}, []int{1, 1}, 1}, true, ""},
	{"no_bias", []int{2, 3, 6, 4}, 2, convGeom{[]int{3, 3}, []int{2, 2}, []int{1, 1}, []int{1, 1}, 1}, false, ""},
	{"1x1", []int{2, 3, 4, 3}, 4, convGeom{[]int{1, 1}, []int{1, 1}, []int{0, 0}, []int{1, 1}, 1}, true, ""},
	{"1x1_stride2", []int{2, 3, 5, 4}, 2, convGeom{[]int{1, 1}, []int{2, 2}, []int{0, 0}, []int{1, 1}, 1}, true, ""},
	{"force_nd", []int{2, 3, 6, 4}, 2, convGeom{[]int{3, 2}, []int{2, 1}, []int{1, 1}, []int{1, 2}, 1}, true, "force_nd_im2col: true"},
	{"3d", []int{2, 2, 4, 5, 3}, 2, convGeom{[]int{3, 3, 2}, []int{2, 1, 1}, []int{1, 0, 1}, []int{1, 1, 1}, 1}, true, ""},
	{"3d_dilated_group", []int{1, 4, 5, 4, 4}, 2, convGeom{[]int{2, 2, 2}, []int{1, 2, 1}, []int{0, 1, 1}, []int{2, 1, 2}, 2}, true, ""},
	{"1d", []int{2, 3, 9}, 2, convGeom{[]int{3}, []int{2}, []int{1}, []int{1}, 1}, true, ""},
}

func TestConvolutionForwardMatchesNaive(t *testing.T) {
	for _, tc := range convCases {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			x := gaussian(r, 0, 1, tc.bottom...)
			l := setUp(t, tc.g.text("Convolution", tc.numOut, tc.bias, tc.extra), caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
			if err := l.Forward(l.Bottom, l.Top); err != nil {
				t.Fatal(err)
			}
			var bias []float32
			if tc.bias {
				bias = l.Params()[1].Data
			}
			want, shape := naiveConv(x, l.Params()[0].Data, bias, tc.numOut, tc.g)
			if !equalShape(l.Top[0].Shape(), shape) {
				t.Fatalf("top shape %v, want %v", l.Top[0].Shape(), shape)
			}
			visionCompare(t, "top", l.Top[0].Data, want, 1e-5)
		})
	}
}

// Caffe's TestGradient family: step 1e-2, threshold 1e-3, exhaustive.
func TestConvolutionGradient(t *testing.T) {
	for i, tc := range convCases {
		t.Run(tc.name, func(t *testing.T) {
			shortSweep(t, i, 7) // k3_s2, rect and 1d: the 3-D ones are the slowest
			r := rng.New(1701)
			l := setUp(t, tc.g.text("Convolution", tc.numOut, tc.bias, tc.extra), caffepb.Phase_TRAIN,
				[]*blob.Blob{gaussian(r, 0, 1, tc.bottom...)}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

// Two bottoms share the filters and give two tops, as in Caffe's TestGradient.
func TestConvolutionTwoBottomsGradient(t *testing.T) {
	r := rng.New(1701)
	g := convGeom{[]int{3, 3}, []int{2, 2}, []int{0, 0}, []int{1, 1}, 1}
	l := setUp(t, g.text("Convolution", 2, true, ""), caffepb.Phase_TRAIN,
		[]*blob.Blob{gaussian(r, 0, 1, 2, 3, 6, 4), gaussian(r, 0, 1, 2, 3, 6, 4)}, 2)
	checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, gradcheck.AllBottoms)
}

// The channel axis need not be 1: with axis 2 the first two axes are images.
func TestConvolutionAxis(t *testing.T) {
	r := rng.New(1701)
	x := gaussian(r, 0, 1, 2, 2, 3, 5, 4)
	g := convGeom{[]int{3, 2}, []int{1, 1}, []int{1, 0}, []int{1, 1}, 1}
	l := setUp(t, g.text("Convolution", 2, true, "axis: 2"), caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	if got := l.Top[0].ShapeString(); got != "2 2 2 5 3 (120)" {
		t.Fatalf("top shape %s", got)
	}
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	flatX := blob.New(4, 3, 5, 4)
	copy(flatX.Data, x.Data)
	want, _ := naiveConv(flatX, l.Params()[0].Data, l.Params()[1].Data, 2, g)
	visionCompare(t, "top", l.Top[0].Data, want, 1e-5)
	checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, gradcheck.AllBottoms)
}

// Caffe's TestSetup: output sizes, and group does not change them.
func TestConvolutionSetup(t *testing.T) {
	r := rng.New(1701)
	for _, tc := range []struct {
		text string
		want string
	}{
		{`type: "Convolution" convolution_param { num_output: 4 kernel_size: 3 stride: 2 }`, "2 4 2 1 (16)"},
		{`type: "Convolution" convolution_param { num_output: 3 kernel_size: 3 stride: 2 group: 3 }`, "2 3 2 1 (12)"},
		{`type: "Convolution" convolution_param { num_output: 5 kernel_size: 3 pad: 1 }`, "2 5 6 4 (240)"},
		{`type: "Convolution" convolution_param { num_output: 1 kernel_h: 6 kernel_w: 4 }`, "2 1 1 1 (2)"},
		{`type: "Convolution" convolution_param { num_output: 1 kernel_size: 3 dilation: 2 pad: 1 }`, "2 1 4 2 (16)"},
	} {
		l := setUp(t, tc.text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 2, 3, 6, 4)}, 1)
		if got := l.Top[0].ShapeString(); got != tc.want {
			t.Errorf("%s: top %s, want %s", tc.text, got, tc.want)
		}
	}
}

// Caffe's TestSimpleConvolution and TestSimpleConvolutionGroup: ones convolved with
// ones over 3×3×3 windows give 27, plus the bias 0.1; by groups, channel c of the
// input holding c gives 9c + 0.1.
func TestConvolutionSimple(t *testing.T) {
	const common = `weight_filler { type: "constant" value: 1 } bias_filler { type: "constant" value: 0.1 }`
	x := blob.New(2, 3, 6, 4)
	for i := range x.Data {
		x.Data[i] = 1
	}
	l := setUp(t, `type: "Convolution" convolution_param { num_output: 4 kernel_size: 3 stride: 2 `+common+` }`,
		caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	for i, v := range l.Top[0].Data {
		if math.Abs(float64(v)-27.1) > 1e-4 {
			t.Fatalf("top[%d] = %g, want 27.1", i, v)
		}
	}

	for i := range x.Data {
		x.Data[i] = float32(i / (6 * 4) % 3) // the channel index
	}
	l = setUp(t, `type: "Convolution" convolution_param { num_output: 3 kernel_size: 3 stride: 2 group: 3 `+common+` }`,
		caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	top := l.Top[0]
	for i, v := range top.Data {
		c := i / (top.Dim(2) * top.Dim(3)) % 3
		if want := float64(9*c) + 0.1; math.Abs(float64(v)-want) > 1e-4 {
			t.Fatalf("top[%d] (channel %d) = %g, want %g", i, c, v, want)
		}
	}
}

// Caffe's TestSobelConvolution: the Sobel operator as one 3×3 filter equals the
// separable [1 2 1]ᵀ column filter followed by the [−1 0 1] row filter, with the
// strides split between them.
func TestConvolutionSobel(t *testing.T) {
	r := rng.New(1701)
	x := gaussian(r, 0, 1, 2, 3, 6, 4)

	full := setUp(t, `type: "Convolution" convolution_param { num_output: 1 kernel_size: 3 stride: 2 bias_term: false }`,
		caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	w := full.Params()[0].Data
	for c := 0; c < 3; c++ {
		copy(w[c*9:], []float32{-1, 0, 1, -2, 0, 2, -1, 0, 1})
	}
	if err := full.Forward(full.Bottom, full.Top); err != nil {
		t.Fatal(err)
	}

	col := setUp(t, `type: "Convolution" convolution_param { num_output: 1 kernel_h: 3 kernel_w: 1 stride_h: 2 stride_w: 1 bias_term: false }`,
		caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	w = col.Params()[0].Data
	for c := 0; c < 3; c++ {
		copy(w[c*3:], []float32{1, 2, 1})
	}
	if err := col.Forward(col.Bottom, col.Top); err != nil {
		t.Fatal(err)
	}
	row := setUp(t, `type: "Convolution" convolution_param { num_output: 1 kernel_h: 1 kernel_w: 3 stride_h: 1 stride_w: 2 bias_term: false }`,
		caffepb.Phase_TRAIN, []*blob.Blob{col.Top[0]}, 1)
	copy(row.Params()[0].Data, []float32{-1, 0, 1})
	if err := row.Forward(row.Bottom, row.Top); err != nil {
		t.Fatal(err)
	}

	if !equalShape(full.Top[0].Shape(), row.Top[0].Shape()) {
		t.Fatalf("shapes %v and %v", full.Top[0].Shape(), row.Top[0].Shape())
	}
	for i, v := range full.Top[0].Data {
		if d := math.Abs(float64(v - row.Top[0].Data[i])); d > 1e-4 {
			t.Fatalf("top[%d]: full %g, separable %g", i, v, row.Top[0].Data[i])
		}
	}
}

// TestConvolutionNDMatches2D: the general N-D im2col gives the 2-D code's numbers,
// forward and backward (Caffe's TestNDAgainst2D).
func TestConvolutionNDMatches2D(t *testing.T) {
	g := convGeom{[]int{3, 2}, []int{2, 1}, []int{1, 1}, []int{1, 2}, 1}
	run := func(extra string) (*testLayer, []float32) {
		r := rng.New(1701)
		l := setUp(t, g.text("Convolution", 3, true, extra), caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 2, 3, 6, 5)}, 1)
		if err := l.Forward(l.Bottom, l.Top); err != nil {
			t.Fatal(err)
		}
		for i := range l.Top[0].Diff {
			l.Top[0].Diff[i] = r.Gaussian(0, 1)
		}
		l.Backward(l.Top, []bool{true}, l.Bottom)
		return l, l.Bottom[0].Diff
	}
	a, da := run("")
	b, db := run("force_nd_im2col: true")
	for i := range a.Top[0].Data {
		if a.Top[0].Data[i] != b.Top[0].Data[i] {
			t.Fatalf("top[%d]: 2-D %g, N-D %g", i, a.Top[0].Data[i], b.Top[0].Data[i])
		}
	}
	for i := range da {
		if da[i] != db[i] {
			t.Fatalf("bottom diff[%d]: 2-D %g, N-D %g", i, da[i], db[i])
		}
	}
	for p := range a.Params() {
		for i, v := range a.Params()[p].Diff {
			if v != b.Params()[p].Diff[i] {
				t.Fatalf("param %d diff[%d]: 2-D %g, N-D %g", p, i, v, b.Params()[p].Diff[i])
			}
		}
	}
}

// TestConvolutionWorkers: splitting the batch over workers changes only the order of
// the additions of the parameter gradients, and a given split repeats exactly.
func TestConvolutionWorkers(t *testing.T) {
	run := func(procs int) *testLayer {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		r := rng.New(1701)
		g := convGeom{[]int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}, 1}
		l := setUp(t, g.text("Convolution", 4, true, ""), caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 7, 3, 6, 5)}, 1)
		if err := l.Forward(l.Bottom, l.Top); err != nil {
			t.Fatal(err)
		}
		for i := range l.Top[0].Diff {
			l.Top[0].Diff[i] = r.Gaussian(0, 1)
		}
		for _, p := range l.Params() {
			for i := range p.Diff {
				p.Diff[i] = 0.5 // parameter gradients accumulate
			}
		}
		l.Backward(l.Top, []bool{true}, l.Bottom)
		return l
	}
	serial, par, again := run(1), run(3), run(3)
	same := func(what string, a, b []float32, tol float64) {
		t.Helper()
		for i := range a {
			if d := math.Abs(float64(a[i] - b[i])); d > tol*(1+math.Abs(float64(a[i]))) {
				t.Fatalf("%s[%d]: %g vs %g", what, i, a[i], b[i])
			}
		}
	}
	same("top", serial.Top[0].Data, par.Top[0].Data, 0)
	same("bottom diff", serial.Bottom[0].Diff, par.Bottom[0].Diff, 0)
	for p := range serial.Params() {
		same(fmt.Sprintf("param %d diff", p), serial.Params()[p].Diff, par.Params()[p].Diff, 1e-5)
		same(fmt.Sprintf("param %d diff (repeat)", p), par.Params()[p].Diff, again.Params()[p].Diff, 0)
	}
}

// TestConvolutionReshape: a new batch size resizes the top and the buffers.
func TestConvolutionReshape(t *testing.T) {
	r := rng.New(1701)
	g := convGeom{[]int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}, 1}
	l := setUp(t, g.text("Convolution", 2, true, ""), caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, 1, 3, 5, 4)}, 1)
	for _, n := range []int{5, 2, 3} {
		x := gaussian(r, 0, 1, n, 3, 5, 4)
		l.Bottom[0] = x
		if err := l.Reshape(l.Bottom, l.Top); err != nil {
			t.Fatal(err)
		}
		if err := l.Forward(l.Bottom, l.Top); err != nil {
			t.Fatal(err)
		}
		want, _ := naiveConv(x, l.Params()[0].Data, l.Params()[1].Data, 2, g)
		visionCompare(t, fmt.Sprintf("batch %d top", n), l.Top[0].Data, want, 1e-5)
	}
	if allocs := testing.AllocsPerRun(10, func() { l.Reshape(l.Bottom, l.Top) }); allocs != 0 {
		t.Errorf("Reshape to the same shape allocates %v times", allocs)
	}
	l.Bottom[0] = gaussian(r, 0, 1, 2, 4, 5, 4)
	if err := l.Reshape(l.Bottom, l.Top); err == nil || !strings.Contains(err.Error(), "channels") {
		t.Fatalf("Reshape with 4 channels for 3: %v", err)
	}
}

// TestConvolutionErrors: bad parameters are errors that name the parameter.
func TestConvolutionErrors(t *testing.T) {
	for _, typ := range []string{"Convolution", "Deconvolution"} {
		for _, tc := range []struct {
			param, want string
			shape       []int
		}{
			{`num_output: 2 kernel_size: 0`, "kernel size", nil},
			{`num_output: 2`, "kernel_size", nil},
			{`kernel_size: 3`, "num_output", nil},
			{`num_output: 2 kernel_size: 3 kernel_h: 3 kernel_w: 3`, "kernel_size", nil},
			{`num_output: 2 kernel_h: 3`, "kernel_h", nil},
			{`num_output: 2 kernel_size: 3 group: 2`, "group", []int{2, 3, 6, 6}},
			{`num_output: 3 kernel_size: 3 group: 2`, "num_output", []int{2, 4, 6, 6}},
			{`num_output: 2 kernel_size: 3 group: 0`, "group", nil},
			{`num_output: 2 kernel_size: 3 stride: 0`, "stride", nil},
			{`num_output: 2 kernel_size: 3 dilation: 0`, "dilation", nil},
			{`num_output: 2 kernel_size: 3 kernel_size: 3 kernel_size: 3`, "kernel_size", nil},
			{`num_output: 2 kernel_size: 3 pad: 1 pad: 1 pad: 1`, "pad", nil},
			{`num_output: 2 kernel_h: 3 kernel_w: 3`, "kernel_h", []int{1, 2, 4, 4, 4}},
			{`num_output: 2 kernel_size: 3 stride: 1 stride_h: 1 stride_w: 1`, "stride", nil},
			{`num_output: 2 kernel_size: 3 axis: 4`, "axis", nil},
		} {
			shape := tc.shape
			if shape == nil {
				shape = []int{2, 3, 6, 6}
			}
			err := visionSetUpErr(fmt.Sprintf(`type: %q convolution_param { %s }`, typ, tc.param), blob.New(shape...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s { %s } on %v: error %v, want one naming %s", typ, tc.param, shape, err, tc.want)
			}
		}
	}
	// A kernel bigger than the padded input leaves no output.
	err := visionSetUpErr(`type: "Convolution" convolution_param { num_output: 2 kernel_size: 7 }`, blob.New(2, 3, 6, 6))
	if err == nil || !strings.Contains(err.Error(), "output size") {
		t.Errorf("kernel 7 over 6×6: error %v, want one about the output size", err)
	}
	err = visionSetUpErr(`type: "Deconvolution" convolution_param { num_output: 2 kernel_size: 1 pad: 1 }`, blob.New(2, 3, 1, 1))
	if err == nil || !strings.Contains(err.Error(), "output size") {
		t.Errorf("deconvolution to nothing: error %v, want one about the output size", err)
	}
}

// visionSetUpErr builds and sets up a layer, returning the first error.
func visionSetUpErr(text string, bottom ...*blob.Blob) error {
	p := &caffepb.LayerParameter{}
	if err := prototext.Unmarshal([]byte(text), p); err != nil {
		return err
	}
	p.Name, p.Phase = p.Type, caffepb.Phase_TRAIN.Enum()
	l, err := layers.New(p, &layers.Context{RNG: rng.New(1701)})
	if err != nil {
		return err
	}
	return layers.SetUp(l, bottom, []*blob.Blob{blob.New()})
}

// BenchmarkConvolution times forward and backward on the shapes of LeNet's conv2 and
// cifar10_quick's conv1, with each GEMM kernel, with every worker and with one (the
// serial baseline: no batch split and a single-threaded GEMM).
func BenchmarkConvolution(b *testing.B) {
	shapes := []struct {
		name   string
		bottom []int
		text   string
	}{
		{"lenet_conv1_b64", []int{64, 1, 28, 28}, `type: "Convolution" convolution_param { num_output: 20 kernel_size: 5 stride: 1 weight_filler { type: "xavier" } bias_filler { type: "constant" } }`},
		{"lenet_conv2_b64", []int{64, 20, 12, 12}, `type: "Convolution" convolution_param { num_output: 50 kernel_size: 5 stride: 1 weight_filler { type: "xavier" } bias_filler { type: "constant" } }`},
		{"cifar_conv1_b100", []int{100, 3, 32, 32}, `type: "Convolution" convolution_param { num_output: 32 pad: 2 kernel_size: 5 stride: 1 weight_filler { type: "gaussian" std: 0.0001 } bias_filler { type: "constant" } }`},
		{"cifar_conv2_b100", []int{100, 32, 16, 16}, `type: "Convolution" convolution_param { num_output: 32 pad: 2 kernel_size: 5 stride: 1 weight_filler { type: "gaussian" std: 0.01 } bias_filler { type: "constant" } }`},
	}
	gemms := []struct {
		name string
		g    blas.Gemmer
	}{{"gonum", blas.Gonum{}}, {"fast", blas.Fast{}}}
	for _, s := range shapes {
		for _, gm := range gemms {
			for _, procs := range benchProcs() {
				name := fmt.Sprintf("%s/gemm=%s/workers=%d", s.name, gm.name, procs)
				b.Run(name+"/forward", func(b *testing.B) {
					defer setProcs(procs)()
					defer useGemm(gm.name, gm.g)()
					l := visionBenchLayer(b, s.text, s.bottom)
					for b.Loop() {
						l.Forward(l.Bottom, l.Top)
					}
				})
				b.Run(name+"/backward", func(b *testing.B) {
					defer setProcs(procs)()
					defer useGemm(gm.name, gm.g)()
					l := visionBenchLayer(b, s.text, s.bottom)
					l.Forward(l.Bottom, l.Top)
					down := []bool{true}
					for b.Loop() {
						l.Backward(l.Top, down, l.Bottom)
					}
				})
			}
		}
	}
}

// benchProcs lists the worker counts of the benchmarks: 1, the serial baseline, and
// every core.
func benchProcs() []int { return []int{1, runtime.GOMAXPROCS(0)} }

// setProcs sets GOMAXPROCS (and with it the number of workers) and returns the
// function that restores it.
func setProcs(n int) func() {
	old := runtime.GOMAXPROCS(n)
	return func() { runtime.GOMAXPROCS(old) }
}

// useGemm puts g behind blas.Gemm and returns the function that restores the
// previous kernel.
func useGemm(name string, g blas.Gemmer) func() { return blas.Use(name, g) }

func visionBenchLayer(b *testing.B, text string, shape []int) *testLayer {
	r := rng.New(1)
	l := setUp(b, text, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, shape...)}, 1)
	for i := range l.Top[0].Diff {
		l.Top[0].Diff[i] = r.Gaussian(0, 1)
	}
	return l
}

func TestConvolutionCaffeFixtures(t *testing.T) { caffeFixtures(t, "Convolution") }

// TestConvolutionBatchOneChannelSplit: on a batch of one, im2col and col2im are
// shared between the cores by channels; every value must be the one a single core
// gives, in both numerics, with strides and padding (col2im adds overlapping
// windows) and with groups.
func TestConvolutionBatchOneChannelSplit(t *testing.T) {
	inBothNumerics(t, testConvolutionBatchOneChannelSplit)
}

func testConvolutionBatchOneChannelSplit(t *testing.T) {
	for _, tc := range []struct {
		g      convGeom
		ch, hw int
	}{
		{convGeom{[]int{3, 3}, []int{2, 2}, []int{1, 1}, []int{1, 1}, 1}, 5, 9},
		{convGeom{[]int{7, 7}, []int{2, 2}, []int{3, 3}, []int{1, 1}, 1}, 3, 15},
		{convGeom{[]int{3, 3}, []int{1, 1}, []int{1, 1}, []int{1, 1}, 2}, 6, 7},
		{convGeom{[]int{1, 1}, []int{2, 2}, []int{0, 0}, []int{1, 1}, 1}, 4, 8},
	} {
		run := func(procs int) *testLayer {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			r := rng.New(1701)
			l := setUp(t, tc.g.text("Convolution", 4, true, ""), caffepb.Phase_TRAIN,
				[]*blob.Blob{gaussian(r, 0, 1, 1, tc.ch, tc.hw, tc.hw)}, 1)
			if err := l.Forward(l.Bottom, l.Top); err != nil {
				t.Fatal(err)
			}
			for i := range l.Top[0].Diff {
				l.Top[0].Diff[i] = r.Gaussian(0, 1)
			}
			l.Backward(l.Top, []bool{true}, l.Bottom)
			return l
		}
		one, three := run(1), run(3)
		for _, c := range []struct {
			what string
			a, b []float32
		}{
			{"top", one.Top[0].Data, three.Top[0].Data},
			{"bottom diff", one.Bottom[0].Diff, three.Bottom[0].Diff},
			{"weight diff", one.Params()[0].Diff, three.Params()[0].Diff},
		} {
			for i := range c.a {
				if math.Float32bits(c.a[i]) != math.Float32bits(c.b[i]) {
					t.Fatalf("%v: %s[%d] is %v on one core, %v on three", tc.g, c.what, i, c.a[i], c.b[i])
				}
			}
		}
	}
}
