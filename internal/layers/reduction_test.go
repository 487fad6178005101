package layers_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Reduction (test_reduction_layer.cpp).

// reductionBottom is Caffe's: (2, 3, 4, 5) uniform [0, 1] draws; with negative
// values too, for ASUM.
func reductionBottom(signed bool) *blob.Blob {
	if signed {
		return uniform(rng.New(1701), -1, 1, 2, 3, 4, 5)
	}
	return uniform(rng.New(1701), 0, 1, 2, 3, 4, 5)
}

var reductionOps = []struct {
	op string
	f  func(v float64) float64
}{
	{"SUM", func(v float64) float64 { return v }},
	{"MEAN", func(v float64) float64 { return v }}, // divided by D below
	{"ASUM", math.Abs},
	{"SUMSQ", func(v float64) float64 { return v * v }},
}

// Caffe's TestSetUp, TestSetUpWithAxis1/2 and the forward tests of every operation,
// with and without coeff, over axes 0, 1, 3 and -1, against float64 sums.
func TestReductionForward(t *testing.T) {
	for _, op := range reductionOps {
		for _, coeff := range []float32{1, 2.3, -0.5} {
			for _, axis := range []int{0, 1, 3, -2} {
				name := fmt.Sprintf("%s/coeff%g/axis%d", op.op, coeff, axis)
				t.Run(name, func(t *testing.T) {
					x := reductionBottom(op.op == "ASUM")
					text := fmt.Sprintf(`type: "Reduction" reduction_param { operation: %s coeff: %g axis: %d }`, op.op, coeff, axis)
					l := setUp(t, text, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
					a := axis
					if a < 0 {
						a += 4
					}
					if !equalShape(l.Top[0].Shape(), x.Shape()[:a]) {
						t.Fatalf("top shape %v, want %v", l.Top[0].Shape(), x.Shape()[:a])
					}
					forward(t, l)
					outer, dim := x.CountRange(0, a), x.CountFrom(a)
					for o := 0; o < outer; o++ {
						var s float64
						for _, v := range x.Data[o*dim : (o+1)*dim] {
							s += op.f(float64(v))
						}
						if op.op == "MEAN" {
							s /= float64(dim)
						}
						s *= float64(coeff)
						if got := float64(l.Top[0].Data[o]); !testutil.Close(got, s, 1e-6, 1e-5) {
							t.Fatalf("top[%d] = %g, want %g", o, got, s)
						}
					}
				})
			}
		}
	}
}

// Caffe's gradient tests of every operation (step 1e-2, threshold 2e-3, exhaustive),
// with coeff 1 and 2.3, on axes 0 and 1, and on the last axis. ASUM's bottom has
// negative values too, so its check skips the values within a step of the kink at 0.
func TestReductionGradient(t *testing.T) {
	for _, op := range reductionOps {
		for _, tc := range []struct {
			coeff float32
			axis  int
		}{{1, 0}, {2.3, 0}, {2.3, 1}, {-1.5, -1}} {
			t.Run(fmt.Sprintf("%s/coeff%g/axis%d", op.op, tc.coeff, tc.axis), func(t *testing.T) {
				text := fmt.Sprintf(`type: "Reduction" reduction_param { operation: %s coeff: %g axis: %d }`, op.op, tc.coeff, tc.axis)
				l := setUp(t, text, caffepb.Phase_TRAIN, []*blob.Blob{reductionBottom(op.op == "ASUM")}, 1)
				c := gradcheck.New(1e-2, 2e-3)
				if op.op == "ASUM" {
					c = kinked(1e-2, 2e-3, 1e-2)
				}
				checkGradient(t, l, c, checkExhaustive, gradcheck.AllBottoms)
			})
		}
	}
}

// ASUM's gradient at 0 is 0, Caffe's sign.
func TestReductionAbsSumAtZero(t *testing.T) {
	x := blob.New(1, 3)
	copy(x.Data, []float32{-2, 0, 3})
	l := setUp(t, `type: "Reduction" reduction_param { operation: ASUM axis: 1 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	forward(t, l)
	backwardWith(l, []float32{2})
	if l.Top[0].Data[0] != 5 || x.Diff[0] != -2 || x.Diff[1] != 0 || x.Diff[2] != 2 {
		t.Fatalf("top %g, gradient %v; want 5, [-2 0 2]", l.Top[0].Data[0], x.Diff)
	}
}

func TestReductionErrors(t *testing.T) {
	x := []*blob.Blob{blob.New(2, 3)}
	wantError(t, setUpError(`type: "Reduction" reduction_param { axis: 2 }`, caffepb.Phase_TRAIN, x, 1), "reduction_param.axis")
	wantError(t, setUpError(`type: "Reduction" reduction_param { axis: -3 }`, caffepb.Phase_TRAIN, x, 1), "reduction_param.axis")
}

func TestReductionCaffeFixtures(t *testing.T) { caffeFixtures(t, "Reduction") }
