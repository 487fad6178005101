package layers_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// lrnReference is Caffe's ReferenceLRNForward (test_lrn_layer.cpp), in float64:
// the window is clipped to the channels or the plane, and divided by n (across) or
// n² (within) whatever the clipping.
func lrnReference(x *blob.Blob, size int, alpha, beta, k float64, within bool) []float64 {
	n, c, h, w := x.Dim(0), x.Dim(1), x.Dim(2), x.Dim(3)
	at := func(i, j, y, xx int) float64 { return float64(x.Data[((i*c+j)*h+y)*w+xx]) }
	out := make([]float64, x.Count())
	pre := (size - 1) / 2
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			for y := 0; y < h; y++ {
				for xx := 0; xx < w; xx++ {
					var scale float64
					if within {
						scale = 1 // Caffe's sub-layers add 1, not k
						for yy := max(y-pre, 0); yy < min(y-pre+size, h); yy++ {
							for x2 := max(xx-pre, 0); x2 < min(xx-pre+size, w); x2++ {
								v := at(i, j, yy, x2)
								scale += v * v * alpha / float64(size*size)
							}
						}
					} else {
						scale = k
						for jj := max(j-pre, 0); jj < min(j-pre+size, c); jj++ {
							v := at(i, jj, y, xx)
							scale += v * v * alpha / float64(size)
						}
					}
					out[((i*c+j)*h+y)*w+xx] = at(i, j, y, xx) / math.Pow(scale, beta)
				}
			}
		}
	}
	return out
}

var lrnCases = []struct {
	name   string
	params string
	size   int
	alpha  float64
	beta   float64
	k      float64
	within bool
}{
	{"across_default", "", 5, 1, 0.75, 1, false},
	{"across3", "local_size: 3 alpha: 0.5 beta: 0.75 k: 1", 3, 0.5, 0.75, 1, false},
	{"across_k2", "local_size: 3 alpha: 2 beta: 0.5 k: 2", 3, 2, 0.5, 2, false},
	{"across_large", "local_size: 15", 15, 1, 0.75, 1, false},
	{"across1", "local_size: 1 alpha: 3", 1, 3, 0.75, 1, false},
	{"within3", "local_size: 3 norm_region: WITHIN_CHANNEL", 3, 1, 0.75, 1, true},
	{"within5", "local_size: 5 alpha: 0.5 beta: 0.6 norm_region: WITHIN_CHANNEL", 5, 0.5, 0.6, 1, true},
	{"within3_k_ignored", "local_size: 3 alpha: 2 k: 7 norm_region: WITHIN_CHANNEL", 3, 2, 0.75, 1, true},
}

// Caffe's TestForwardAcrossChannels, TestForwardAcrossChannelsLargeRegion and
// TestForwardWithinChannel, on its 2×7×3×3 Gaussian bottom.
func TestLRNForward(t *testing.T) {
	for _, tc := range lrnCases {
		t.Run(tc.name, func(t *testing.T) {
			r := rng.New(1701)
			x := gaussian(r, 0, 1, 2, 7, 3, 3)
			l := setUp(t, `type: "LRN" lrn_param { `+tc.params+` }`, caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
			if got := l.Top[0].ShapeString(); got != "2 7 3 3 (126)" {
				t.Fatalf("top shape %s", got)
			}
			if err := l.Forward(l.Bottom, l.Top); err != nil {
				t.Fatal(err)
			}
			visionCompare(t, "top", l.Top[0].Data, lrnReference(x, tc.size, tc.alpha, tc.beta, tc.k, tc.within), 1e-5)
		})
	}
}

// Caffe's TestGradientAcrossChannels, ...LargeRegion and TestGradientWithinChannel:
// step 1e-2, threshold 1e-2, exhaustive.
func TestLRNGradient(t *testing.T) {
	for i, tc := range lrnCases {
		t.Run(tc.name, func(t *testing.T) {
			shortSweep(t, i, 2)
			r := rng.New(1701)
			shape := []int{2, 7, 3, 3}
			if tc.within {
				shape = []int{2, 3, 5, 4}
			}
			l := setUp(t, `type: "LRN" lrn_param { `+tc.params+` }`, caffepb.Phase_TRAIN, []*blob.Blob{gaussian(r, 0, 1, shape...)}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

// TestLRNWorkers: the result does not depend on how the batch is split.
func TestLRNWorkers(t *testing.T) {
	for _, region := range []string{"ACROSS_CHANNELS", "WITHIN_CHANNEL"} {
		run := func(procs int) *testLayer {
			defer setProcs(procs)()
			r := rng.New(1701)
			l := setUp(t, `type: "LRN" lrn_param { local_size: 3 norm_region: `+region+` }`, caffepb.Phase_TRAIN,
				[]*blob.Blob{gaussian(r, 0, 1, 5, 6, 4, 3)}, 1)
			if err := l.Forward(l.Bottom, l.Top); err != nil {
				t.Fatal(err)
			}
			for i := range l.Top[0].Diff {
				l.Top[0].Diff[i] = r.Gaussian(0, 1)
			}
			l.Backward(l.Top, []bool{true}, l.Bottom)
			return l
		}
		a, b := run(1), run(3)
		for i := range a.Top[0].Data {
			if a.Top[0].Data[i] != b.Top[0].Data[i] || a.Bottom[0].Diff[i] != b.Bottom[0].Diff[i] {
				t.Fatalf("%s: element %d differs between 1 and 3 workers", region, i)
			}
		}
	}
}

func TestLRNErrors(t *testing.T) {
	for _, tc := range []struct {
		params, want string
		shape        []int
	}{
		{"local_size: 4", "local_size", nil},
		{"local_size: 0", "local_size", nil},
		{"local_size: 4 norm_region: WITHIN_CHANNEL", "local_size", nil},
		{"local_size: 3", "4 axes", []int{2, 7, 9}},
		{"local_size: 3 norm_region: WITHIN_CHANNEL", "4 axes", []int{2, 7, 3, 3, 1}},
	} {
		shape := tc.shape
		if shape == nil {
			shape = []int{2, 7, 3, 3}
		}
		err := visionSetUpErr(fmt.Sprintf(`type: "LRN" lrn_param { %s }`, tc.params), blob.New(shape...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("lrn_param { %s } on %v: error %v, want one mentioning %q", tc.params, shape, err, tc.want)
		}
	}
}

// BenchmarkLRN times cifar10_full's norm1 (WITHIN_CHANNEL, local_size 3) and an
// AlexNet-style ACROSS_CHANNELS LRN, with every worker and with one.
func BenchmarkLRN(b *testing.B) {
	for _, s := range []struct {
		name   string
		bottom []int
		text   string
	}{
		{"cifar_full_norm1_b100", []int{100, 32, 16, 16}, `type: "LRN" lrn_param { local_size: 3 alpha: 5e-05 beta: 0.75 norm_region: WITHIN_CHANNEL }`},
		{"across5_b32", []int{32, 96, 27, 27}, `type: "LRN" lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 }`},
	} {
		for _, procs := range benchProcs() {
			name := fmt.Sprintf("%s/workers=%d", s.name, procs)
			b.Run(name+"/forward", func(b *testing.B) {
				defer setProcs(procs)()
				l := visionBenchLayer(b, s.text, s.bottom)
				for b.Loop() {
					l.Forward(l.Bottom, l.Top)
				}
			})
			b.Run(name+"/backward", func(b *testing.B) {
				defer setProcs(procs)()
				l := visionBenchLayer(b, s.text, s.bottom)
				l.Forward(l.Bottom, l.Top)
				for b.Loop() {
					l.Backward(l.Top, []bool{true}, l.Bottom)
				}
			})
		}
	}
}

func TestLRNCaffeFixtures(t *testing.T) { caffeFixtures(t, "LRN") }
