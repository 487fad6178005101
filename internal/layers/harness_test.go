package layers_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/cputime"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The helpers every layer test uses: build a layer from the prototxt text of its
// LayerParameter, make bottoms of random values, set the layer up, check gradients.

// testLayer is a layer under test with the blobs it was set up on.
type testLayer struct {
	layers.Layer
	RNG         *rng.Source
	Bottom, Top []*blob.Blob
}

// newLayer builds the layer whose LayerParameter fields (what sits inside
// `layer { ... }`) are given as text, in the given phase, with a random source seeded
// 1701 like Caffe's tests.
func newLayer(t testing.TB, text string, phase caffepb.Phase) (layers.Layer, *rng.Source) {
	t.Helper()
	p := &caffepb.LayerParameter{}
	if err := prototext.Unmarshal([]byte(text), p); err != nil {
		t.Fatalf("layer text: %v", err)
	}
	p.Phase = phase.Enum()
	if p.Name == nil {
		p.Name = p.Type
	}
	r := rng.New(1701)
	l, err := layers.New(p, &layers.Context{RNG: r})
	if err != nil {
		t.Fatal(err)
	}
	return l, r
}

// setUp builds a layer as newLayer does, on the given bottoms and nTop fresh tops,
// and runs its Setup.
func setUp(t testing.TB, text string, phase caffepb.Phase, bottom []*blob.Blob, nTop int) *testLayer {
	t.Helper()
	l, r := newLayer(t, text, phase)
	top := make([]*blob.Blob, nTop)
	for i := range top {
		top[i] = blob.New()
	}
	if c, ok := l.(layers.Counter); ok {
		if err := c.BlobCounts().Check(len(bottom), len(top)); err != nil {
			t.Fatal(err)
		}
	}
	if err := layers.SetUp(l, bottom, top); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	return &testLayer{Layer: l, RNG: r, Bottom: bottom, Top: top}
}

// gaussian returns a blob of the given shape filled with N(mean, std²) draws.
func gaussian(r *rng.Source, mean, std float32, shape ...int) *blob.Blob {
	b := blob.New(shape...)
	for i := range b.Data {
		b.Data[i] = r.Gaussian(mean, std)
	}
	return b
}

// uniform returns a blob of the given shape filled with U(lo, hi) draws.
func uniform(r *rng.Source, lo, hi float32, shape ...int) *blob.Blob {
	b := blob.New(shape...)
	for i := range b.Data {
		b.Data[i] = r.Uniform(lo, hi)
	}
	return b
}

// labels returns a blob of the given shape holding integer labels in [0, classes),
// drawn as Caffe's tests draw them: caffe_rng_rand() % classes.
func labels(r *rng.Source, classes int, shape ...int) *blob.Blob {
	b := blob.New(shape...)
	for i := range b.Data {
		b.Data[i] = float32(r.Uint32() % uint32(classes))
	}
	return b
}

// gradMode says which of Caffe's checks to run.
type gradMode int

const (
	checkSingle     gradMode = iota // CheckGradient: ½Σ top² objective
	checkExhaustive                 // CheckGradientExhaustive: one top element at a time
	checkEltwise                    // CheckGradientEltwise
)

// checkGradient runs a gradient check on a set-up layer and fails the test on any
// mismatch. c.RNG is set to the layer's random source.
func checkGradient(t testing.TB, l *testLayer, c *gradcheck.Checker, mode gradMode, checkBottom int) {
	t.Helper()
	c.RNG = l.RNG
	var (
		rep *gradcheck.Report
		err error
	)
	switch mode {
	case checkSingle:
		rep, err = c.Check(l.Layer, l.Bottom, l.Top, checkBottom)
	case checkExhaustive:
		rep, err = c.Exhaustive(l.Layer, l.Bottom, l.Top, checkBottom)
	case checkEltwise:
		rep, err = c.Eltwise(l.Layer, l.Bottom, l.Top)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, b := range rep.Blobs {
		checked += b.Checked
	}
	if checked == 0 {
		t.Fatal("the gradient check compared nothing")
	}
}

// kinked returns Caffe's checker for layers with a kink at 0 (ReLU, max, abs).
func kinked(step, threshold, kinkRange float32) *gradcheck.Checker {
	c := gradcheck.New(step, threshold)
	c.Kink, c.KinkRange = 0, kinkRange
	return c
}

// layerBench is one shape of a layer's benchmark: the layer's text, its phase, the
// bottoms' shapes, the number of tops, whether the first top is the first bottom
// (in place, as ResNet runs BatchNorm and Scale) and the parameters' values, if not
// those of the set-up (a Scale's 1 is a copy).
type layerBench struct {
	name    string
	text    string
	phase   caffepb.Phase
	bottoms [][]int
	tops    int
	inPlace bool
	params  func(r *rng.Source, p []*blob.Blob)
}

// uniformParams fills the parameters with U(0.5, 1.5) draws.
func uniformParams(r *rng.Source, p []*blob.Blob) {
	for _, b := range p {
		for i := range b.Data {
			b.Data[i] = r.Uniform(0.5, 1.5)
		}
	}
}

// setUp builds the case's layer on N(0, 1) bottoms, with N(0, 1) top gradients.
func (c layerBench) setUp(b *testing.B) *testLayer {
	b.Helper()
	r := rng.New(1)
	var bottom []*blob.Blob
	for _, s := range c.bottoms {
		bottom = append(bottom, gaussian(r, 0, 1, s...))
	}
	l, src := newLayer(b, c.text, c.phase)
	top := make([]*blob.Blob, max(c.tops, 1))
	for i := range top {
		top[i] = blob.New()
	}
	if c.inPlace {
		top[0] = bottom[0]
	}
	if err := layers.SetUp(l, bottom, top); err != nil {
		b.Fatalf("Setup: %v", err)
	}
	if c.params != nil {
		c.params(r, l.Params())
	}
	for _, t := range top {
		for i := range t.Diff {
			t.Diff[i] = r.Gaussian(0, 1)
		}
	}
	return &testLayer{Layer: l, RNG: src, Bottom: bottom, Top: top}
}

// benchLayers times the forward and backward passes of each case in both numerics,
// with one worker and with every worker: name/numerics/workers=n/forward, after a
// pass that is not timed (the first touches fresh memory). Beside
// the wall time it reports the process's CPU time per pass (cpu-ns/op), which with
// one worker is the pass's own, whatever else the machine runs.
func benchLayers(b *testing.B, cases []layerBench) {
	for _, c := range cases {
		for _, m := range numerics.Modes {
			for _, procs := range benchProcs() {
				name := fmt.Sprintf("%s/%s/workers=%d", c.name, m, procs)
				b.Run(name+"/forward", func(b *testing.B) {
					defer numerics.Set(numerics.Set(m))
					defer setProcs(procs)()
					l := c.setUp(b)
					if err := l.Forward(l.Bottom, l.Top); err != nil {
						b.Fatal(err)
					}
					cpu := cputime.Process()
					for b.Loop() {
						if err := l.Forward(l.Bottom, l.Top); err != nil {
							b.Fatal(err)
						}
					}
					reportCPU(b, cpu)
				})
				b.Run(name+"/backward", func(b *testing.B) {
					defer numerics.Set(numerics.Set(m))
					defer setProcs(procs)()
					l := c.setUp(b)
					if err := l.Forward(l.Bottom, l.Top); err != nil {
						b.Fatal(err)
					}
					down := make([]bool, len(l.Bottom))
					for i := range down {
						down[i] = true
					}
					l.Backward(l.Top, down, l.Bottom)
					cpu := cputime.Process()
					for b.Loop() {
						l.Backward(l.Top, down, l.Bottom)
					}
					reportCPU(b, cpu)
				})
			}
		}
	}
}

// reportCPU reports the CPU time used since start per iteration, as cpu-ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	if start > 0 {
		b.ReportMetric(float64(cputime.Process()-start)/float64(b.N), "cpu-ns/op")
	}
}

// inBothNumerics runs test once in each numerics, as subtests named after them: the
// layers whose fast loops differ from Caffe's hold to the same checks in both.
func inBothNumerics(t *testing.T, test func(t *testing.T)) {
	t.Helper()
	for _, m := range numerics.Modes {
		t.Run(m.String(), func(t *testing.T) {
			defer numerics.Set(numerics.Set(m))
			test(t)
		})
	}
}

// sameWithWorkers runs a layer's forward and backward passes (every top's gradient
// N(0, 1), propagate_down everywhere) with 1, 2, 3 and 8 workers, on copies of the
// same bottoms, and fails unless the tops, the bottoms' and the parameters'
// gradients (and the parameters, which a forward pass may update) are the same bits
// every time: a layer whose reductions are each one goroutine's.
func sameWithWorkers(t *testing.T, text string, phase caffepb.Phase, bottom []*blob.Blob, nTop int) {
	t.Helper()
	var first [][]float32
	for _, procs := range []int{1, 2, 3, 8} {
		restore := setProcs(procs)
		bs := make([]*blob.Blob, len(bottom))
		for i, b := range bottom {
			bs[i] = copyBlob(b)
		}
		l := setUp(t, text, phase, bs, nTop)
		forward(t, l)
		r := rng.New(5)
		for _, top := range l.Top {
			for i := range top.Diff {
				top.Diff[i] = r.Gaussian(0, 1)
			}
		}
		down := make([]bool, len(bs))
		for i := range down {
			down[i] = true
		}
		l.Backward(l.Top, down, l.Bottom)
		restore()
		var got [][]float32
		for _, top := range l.Top {
			got = append(got, top.Data)
		}
		for _, b := range bs {
			got = append(got, b.Diff)
		}
		for _, p := range l.Params() {
			got = append(got, p.Data, p.Diff)
		}
		if first == nil {
			first = got
			continue
		}
		for k := range got {
			if i := sameBitsAt(first[k], got[k]); i >= 0 {
				t.Fatalf("%s with %d workers: result %d differs at %d from one worker's: %v, %v", text, procs, k, i, got[k][i], first[k][i])
			}
		}
	}
}

// sameBitsAt returns the first index where a and b hold other bits, or −1.
func sameBitsAt(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

// Helpers of the neuron layers' tests (test_neuron_layer.cpp): Caffe's bottoms and
// checkers, forward values against float64 maths, in place against out of place.

// neuronBottom is the bottom of Caffe's neuron tests: 2×3×4×5 standard normal draws.
func neuronBottom() *blob.Blob { return gaussian(rng.New(1701), 0, 1, 2, 3, 4, 5) }

// wideBottom is a second bottom for layers without parameters: two axes and a wider
// spread, so that tails and a different shape are checked too.
func wideBottom() *blob.Blob { return gaussian(rng.New(42), 0, 3, 4, 6) }

// forwardOnce sets up the layer on bottom and runs its forward.
func forwardOnce(t *testing.T, text string, phase caffepb.Phase, bottom *blob.Blob) *testLayer {
	t.Helper()
	l := setUp(t, text, phase, []*blob.Blob{bottom}, 1)
	if err := l.Forward(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	return l
}

// compareForward checks every top value against want(x) computed in float64.
func compareForward(t *testing.T, l *testLayer, atol, rtol float64, want func(x float64) float64) {
	t.Helper()
	for i, x := range l.Bottom[0].Data {
		got, w := float64(l.Top[0].Data[i]), want(float64(x))
		if !testutil.Close(got, w, atol, rtol) {
			t.Fatalf("x = %g: y = %g, want %g", x, got, w)
		}
	}
}

// extremes are inputs far out on both sides, where a careless e^x overflows.
var extremes = []float32{-1e4, -100, -50, -20, -1, 0, 1, 20, 50, 100, 1e4}

func extremeBottom() *blob.Blob {
	b := blob.New(len(extremes))
	copy(b.Data, extremes)
	return b
}

// caffeChecker is the checker of most of Caffe's neuron tests: step 1e-2, threshold
// 1e-3; kinkChecker adds a kink at 0 (ReLU, abs, ELU, PReLU).
func caffeChecker() *gradcheck.Checker { return gradcheck.New(1e-2, 1e-3) }

func kinkChecker() *gradcheck.Checker { return kinked(1e-2, 1e-3, 0.01) }

// gradCase is one gradient check of a one-bottom, one-top layer: its text and phase,
// the checker, the mode and the bottom.
type gradCase struct {
	name, text string
	phase      caffepb.Phase
	checker    func() *gradcheck.Checker
	mode       gradMode
	bottom     func() *blob.Blob
}

// checkGradients runs each case as a subtest.
func checkGradients(t *testing.T, cases []gradCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := setUp(t, tc.text, tc.phase, []*blob.Blob{tc.bottom()}, 1)
			checkGradient(t, l, tc.checker(), tc.mode, gradcheck.AllBottoms)
		})
	}
}

// inPlaceBottoms are the neuron layers' in-place bottoms, large enough for the loops
// to be split over goroutines: N(0, 4) draws, e to half of them (for layers that want
// positive inputs), and a top gradient of N(0, 1) draws.
func inPlaceBottoms() (normal, positive *blob.Blob, diff []float32) {
	r := rng.New(11)
	normal = gaussian(r, 0, 2, 4, 8, 32, 32)
	positive = blob.New(normal.Shape()...)
	for i, v := range normal.Data {
		positive.Data[i] = float32(math.Exp(float64(v) / 2))
	}
	return normal, positive, gaussian(r, 0, 1, normal.Shape()...).Data
}

// neuronInPlace runs the layer out of place and in place (top and bottom the same
// blob, as a prototxt with top == bottom makes it) on x and the top gradient diff:
// outputs and gradients must agree bit for bit (NaN where NaN).
func neuronInPlace(t *testing.T, name, text string, phase caffepb.Phase, x *blob.Blob, diff []float32) {
	t.Run(name, func(t *testing.T) {
		// Out of place.
		out := setUp(t, text, phase, []*blob.Blob{copyBlob(x)}, 1)
		out.Forward(out.Bottom, out.Top)
		copy(out.Top[0].Diff, diff)
		out.Backward(out.Top, []bool{true}, out.Bottom)

		// In place, on a fresh layer with the same random source.
		io := copyBlob(x)
		in, _ := newLayer(t, text, phase)
		blobs := []*blob.Blob{io}
		if err := layers.SetUp(in, blobs, blobs); err != nil {
			t.Fatal(err)
		}
		in.Forward(blobs, blobs)
		for i, v := range io.Data {
			if w := out.Top[0].Data[i]; v != w && !(v != v && w != w) {
				t.Fatalf("y[%d]: in place %g, out of place %g", i, v, w)
			}
		}
		copy(io.Diff, diff)
		in.Backward(blobs, []bool{true}, blobs)
		for i, v := range io.Diff {
			if w := out.Bottom[0].Diff[i]; v != w && !(v != v && w != w) {
				t.Fatalf("dx[%d] at x = %g: in place %g, out of place %g", i, x.Data[i], v, w)
			}
		}
		for p := range in.Params() {
			for i, v := range in.Params()[p].Diff {
				if w := out.Params()[p].Diff[i]; v != w {
					t.Fatalf("param %d diff[%d]: in place %g, out of place %g", p, i, v, w)
				}
			}
		}
	})
}

// refused wants each layer text refused when the layer is built.
func refused(t *testing.T, texts ...string) {
	t.Helper()
	for _, text := range texts {
		p := &caffepb.LayerParameter{}
		if err := prototext.Unmarshal([]byte(text), p); err != nil {
			t.Fatal(err)
		}
		if _, err := layers.New(p, nil); err == nil {
			t.Errorf("%s: accepted", text)
		}
	}
}

// shortSweep skips case i of a table of slow checks under go test -short unless it is
// the first or one in every n after it: the full suite checks every case.
func shortSweep(t *testing.T, i, n int) {
	t.Helper()
	if testing.Short() && i%n != 0 {
		t.Skipf("-short: one case in %d of this table runs; the full suite checks them all", n)
	}
}

// buildNet parses a net's prototxt text (name is the file name its errors give) and
// builds it, to be closed when the test ends.
func buildNet(t testing.TB, name, text string) *network.Net {
	t.Helper()
	param, err := protofile.ParseNetText(name, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	n, err := network.New(param, network.Options{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}
