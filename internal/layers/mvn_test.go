package layers_test

import (
	"math"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of MVN (test_mvn_layer.cpp).

// mvnBottom is Caffe's: (2, 3, 4, 5) standard normal draws.
func mvnBottom() *blob.Blob { return gaussian(rng.New(1701), 0, 1, 2, 3, 4, 5) }

// mvnReference normalises groups of dim values in float64: y = (x − μ)/(σ + eps) or
// y = x − μ.
func mvnReference(x []float32, dim int, variance bool, eps float64) []float64 {
	y := make([]float64, len(x))
	for g := 0; g < len(x)/dim; g++ {
		var s, ss float64
		for _, v := range x[g*dim : (g+1)*dim] {
			s += float64(v)
		}
		mu := s / float64(dim)
		for _, v := range x[g*dim : (g+1)*dim] {
			ss += (float64(v) - mu) * (float64(v) - mu)
		}
		sd := math.Sqrt(ss/float64(dim)) + eps
		for i, v := range x[g*dim : (g+1)*dim] {
			y[g*dim+i] = float64(v) - mu
			if variance {
				y[g*dim+i] /= sd
			}
		}
	}
	return y
}

var mvnCases = []struct {
	name, param string
	dim         int // values per group of the (2, 3, 4, 5) bottom
	variance    bool
	eps         float64
}{
	{"default", ``, 20, true, 1e-9},
	{"mean_only", `mvn_param { normalize_variance: false }`, 20, false, 0},
	{"across_channels", `mvn_param { across_channels: true }`, 60, true, 1e-9},
	{"across_channels_mean_only", `mvn_param { across_channels: true normalize_variance: false }`, 60, false, 0},
	{"eps", `mvn_param { eps: 0.5 }`, 20, true, 0.5},
}

// Caffe's TestForward, TestForwardMeanOnly and TestForwardAcrossChannels: zero mean
// and unit variance per group, and the values of the float64 formula.
func TestMVNForward(t *testing.T) {
	for _, tc := range mvnCases {
		t.Run(tc.name, func(t *testing.T) {
			x := mvnBottom()
			l := setUp(t, `type: "MVN" `+tc.param, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
			forward(t, l)
			y := l.Top[0].Data
			visionCompare(t, "top", y, mvnReference(x.Data, tc.dim, tc.variance, tc.eps), 1e-5)
			for g := 0; g < len(y)/tc.dim; g++ {
				var s, ss float64
				for _, v := range y[g*tc.dim : (g+1)*tc.dim] {
					s += float64(v)
					ss += float64(v) * float64(v)
				}
				if math.Abs(s/float64(tc.dim)) > 1e-3 {
					t.Fatalf("group %d mean %g", g, s/float64(tc.dim))
				}
				if tc.variance && tc.eps < 1e-3 && math.Abs(ss/float64(tc.dim)-1) > 1e-3 {
					t.Fatalf("group %d variance %g", g, ss/float64(tc.dim))
				}
			}
		})
	}
}

// A 2-D bottom is Caffe's legacy (N, C, 1, 1): every group is one value, and the top
// has 4 axes.
func TestMVNLegacyShape(t *testing.T) {
	x := gaussian(rng.New(3), 0, 1, 3, 4)
	l := setUp(t, `type: "MVN" mvn_param { across_channels: true }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	if !equalShape(l.Top[0].Shape(), []int{3, 4, 1, 1}) {
		t.Fatalf("top shape %v, want [3 4 1 1]", l.Top[0].Shape())
	}
	forward(t, l)
	visionCompare(t, "top", l.Top[0].Data, mvnReference(x.Data, 4, true, 1e-9), 1e-5)
	wantError(t, setUpError(`type: "MVN"`, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(1, 2, 3, 4, 5)}, 1), "4 axes")
}

// Caffe's TestGradient, TestGradientMeanOnly and TestGradientAcrossChannels: step
// 1e-2, threshold 1e-3, exhaustive. Caffe's backward divides by σ + eps where the
// exact derivative has σ in one term: it treats eps as negligible, so the check runs
// on the default eps only (the "eps" case's backward is Caffe's, not the exact one;
// TestMVNLargeEpsBackward pins it).
func TestMVNGradient(t *testing.T) {
	for _, tc := range mvnCases {
		if tc.eps > 1e-6 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			l := setUp(t, `type: "MVN" `+tc.param, caffepb.Phase_TRAIN, []*blob.Blob{mvnBottom()}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

// In place gives the out-of-place gradient (where Caffe's own backward does not).
func TestMVNInPlace(t *testing.T) {
	for _, tc := range mvnCases {
		t.Run(tc.name, func(t *testing.T) {
			checkInPlace(t, `type: "MVN" `+tc.param, caffepb.Phase_TRAIN, []*blob.Blob{mvnBottom()}, gaussian(rng.New(8), 0, 1, 2, 3, 4, 5))
		})
	}
}

// With a large eps the backward is Caffe's formula, dx = (dy − mean(dy) −
// mean(dy·y)·y)/(σ + eps), not the exact derivative.
func TestMVNLargeEpsBackward(t *testing.T) {
	x := mvnBottom()
	l := setUp(t, `type: "MVN" mvn_param { eps: 0.5 }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
	forward(t, l)
	dy := gaussian(rng.New(8), 0, 1, 2, 3, 4, 5)
	backwardWith(l, dy.Data)
	y := l.Top[0].Data
	want := make([]float64, len(y))
	for g := 0; g < len(y)/20; g++ {
		var s, ss, sdy, sdyy float64
		for i := g * 20; i < (g+1)*20; i++ {
			s += float64(x.Data[i])
		}
		mu := s / 20
		for i := g * 20; i < (g+1)*20; i++ {
			ss += (float64(x.Data[i]) - mu) * (float64(x.Data[i]) - mu)
			sdy += float64(dy.Data[i])
			sdyy += float64(dy.Data[i]) * float64(y[i])
		}
		sd := math.Sqrt(ss/20) + 0.5
		for i := g * 20; i < (g+1)*20; i++ {
			want[i] = (float64(dy.Data[i]) - sdy/20 - sdyy/20*float64(y[i])) / sd
		}
	}
	visionCompare(t, "bottom gradient", x.Diff, want, 1e-5)
}

func TestMVNCaffeFixtures(t *testing.T) { caffeFixtures(t, "MVN") }
