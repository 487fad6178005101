package layers_test

import (
	"sort"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of ArgMax (test_argmax_layer.cpp).

// argmaxBottom is Caffe's (10, 10, 20) of uniform draws.
func argmaxBottom() *blob.Blob { return uniform(rng.New(1701), 0, 1, 10, 10, 20) }

// topKOf returns the indices of the k largest of v, largest first; ties go to the
// larger index.
func topKOf(v []float32, k int) []int {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		va, vb := v[idx[a]], v[idx[b]]
		return va > vb || (va == vb && idx[a] > idx[b])
	})
	return idx[:k]
}

// Caffe's TestCPU, TestCPUMaxVal, TestCPUTopK, TestCPUMaxValTopK, TestCPUAxis,
// TestCPUAxisTopK and TestCPUAxisMaxValTopK against a sort of every instance.
func TestArgMaxForward(t *testing.T) {
	for _, tc := range []struct {
		name, param string
		axis        int // -1: none
		k           int
		maxVal      bool
		shape       []int
	}{
		{"top1", ``, -1, 1, false, []int{10, 1, 1}},
		{"max_val", `argmax_param { out_max_val: true }`, -1, 1, true, []int{10, 2, 1}},
		{"top_k", `argmax_param { top_k: 4 }`, -1, 4, false, []int{10, 1, 4}},
		{"max_val_top_k", `argmax_param { top_k: 4 out_max_val: true }`, -1, 4, true, []int{10, 2, 4}},
		{"axis0", `argmax_param { axis: 0 }`, 0, 1, false, []int{1, 10, 20}},
		{"axis1_top_k", `argmax_param { axis: 1 top_k: 3 }`, 1, 3, false, []int{10, 3, 20}},
		{"axis2_top_k_max_val", `argmax_param { axis: -1 top_k: 5 out_max_val: true }`, 2, 5, true, []int{10, 10, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := argmaxBottom()
			l := setUp(t, `type: "ArgMax" `+tc.param, caffepb.Phase_TEST, []*blob.Blob{x}, 1)
			if !equalShape(l.Top[0].Shape(), tc.shape) {
				t.Fatalf("top shape %v, want %v", l.Top[0].Shape(), tc.shape)
			}
			forward(t, l)
			y := l.Top[0]
			if tc.axis < 0 {
				for n := 0; n < 10; n++ {
					inst := x.Data[n*200 : (n+1)*200]
					for j, idx := range topKOf(inst, tc.k) {
						if tc.maxVal {
							if got := y.Data[2*n*tc.k+j]; got != float32(idx) {
								t.Fatalf("instance %d rank %d: index %g, want %d", n, j, got, idx)
							}
							if got := y.Data[2*n*tc.k+tc.k+j]; got != inst[idx] {
								t.Fatalf("instance %d rank %d: value %g, want %g", n, j, got, inst[idx])
							}
						} else if got := y.Data[n*tc.k+j]; got != float32(idx) {
							t.Fatalf("instance %d rank %d: index %g, want %d", n, j, got, idx)
						}
					}
				}
				return
			}
			dim, inner := x.Dim(tc.axis), x.CountFrom(tc.axis+1)
			outer := x.CountRange(0, tc.axis)
			for o := 0; o < outer; o++ {
				for in := 0; in < inner; in++ {
					inst := make([]float32, dim)
					for d := range inst {
						inst[d] = x.Data[(o*dim+d)*inner+in]
					}
					for j, idx := range topKOf(inst, tc.k) {
						want := float32(idx)
						if tc.maxVal {
							want = inst[idx] // with an axis only the values
						}
						if got := y.Data[(o*tc.k+j)*inner+in]; got != want {
							t.Fatalf("instance (%d, %d) rank %d: %g, want %g", o, in, j, got, want)
						}
					}
				}
			}
		})
	}
}

// Ties go to the larger index (Caffe sorts (value, index) pairs descending).
func TestArgMaxTies(t *testing.T) {
	x := blob.New(2, 4)
	copy(x.Data, []float32{1, 3, 3, 0, 5, 5, 5, 5})
	l := setUp(t, `type: "ArgMax" argmax_param { top_k: 3 }`, caffepb.Phase_TEST, []*blob.Blob{x}, 1)
	forward(t, l)
	want := []float32{2, 1, 0, 3, 2, 1}
	for i, w := range want {
		if l.Top[0].Data[i] != w {
			t.Fatalf("top %v, want %v", l.Top[0].Data, want)
		}
	}
}

func TestArgMaxContract(t *testing.T) {
	l, _ := newLayer(t, `type: "ArgMax"`, caffepb.Phase_TEST)
	if g, ok := l.(layers.BackwardGate); !ok || g.AllowForceBackward(0) {
		t.Fatal("ArgMax has no gradient: it must refuse force_backward")
	}
}

func TestArgMaxErrors(t *testing.T) {
	x := func() []*blob.Blob { return []*blob.Blob{blob.New(3, 4, 5)} }
	for _, tc := range []struct {
		param string
		want  []string
	}{
		{`argmax_param { top_k: 0 }`, []string{"argmax_param.top_k"}},
		{`argmax_param { top_k: 21 }`, []string{"argmax_param.top_k", "21"}},
		{`argmax_param { axis: 1 top_k: 5 }`, []string{"argmax_param.top_k", "5"}},
		{`argmax_param { axis: 3 }`, []string{"argmax_param.axis"}},
	} {
		t.Run(tc.param, func(t *testing.T) {
			wantError(t, setUpError(`type: "ArgMax" `+tc.param, caffepb.Phase_TEST, x(), 1), tc.want...)
		})
	}
	l, _ := newLayer(t, `type: "ArgMax"`, caffepb.Phase_TEST)
	b := blob.New(3, 4)
	wantError(t, layers.SetUp(l, []*blob.Blob{b}, []*blob.Blob{b}), "in-place")
}

func TestArgMaxCaffeFixtures(t *testing.T) { caffeFixtures(t, "ArgMax") }
