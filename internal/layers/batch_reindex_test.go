package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of BatchReindex (Caffe's test_batch_reindex_layer.cpp).

// batchReindexBottoms are Caffe's (5, 4, 3, 2) uniform bottom and the given indices.
func batchReindexBottoms(idx []float32) []*blob.Blob {
	x := uniform(rng.New(1701), 0, 1, 5, 4, 3, 2)
	perm := blob.New(len(idx))
	copy(perm.Data, idx)
	return []*blob.Blob{x, perm}
}

// Caffe's TestForward and TestGradient (step 1e-4, threshold 1e-2, exhaustive, the
// data only).
func TestBatchReindex(t *testing.T) {
	for _, idx := range [][]float32{{4, 0, 1, 0, 3}, {2, 2, 2}, {0, 1, 2, 3, 4, 4, 3}} {
		bs := batchReindexBottoms(idx)
		l := setUp(t, `type: "BatchReindex"`, caffepb.Phase_TRAIN, bs, 1)
		if !equalShape(l.Top[0].Shape(), []int{len(idx), 4, 3, 2}) {
			t.Fatalf("top shape %v", l.Top[0].Shape())
		}
		forward(t, l)
		dy := gaussian(rng.New(2), 0, 1, len(idx), 4, 3, 2)
		backwardWith(l, dy.Data)
		wantDx := make([]float64, bs[0].Count())
		for m, v := range idx {
			for j := 0; j < 24; j++ {
				if l.Top[0].Data[m*24+j] != bs[0].Data[int(v)*24+j] {
					t.Fatalf("indices %v: top[%d, %d] = %g, want bottom[%g, %d]", idx, m, j, l.Top[0].Data[m*24+j], v, j)
				}
				wantDx[int(v)*24+j] += float64(dy.Data[m*24+j])
			}
		}
		visionCompare(t, "data gradient", bs[0].Diff, wantDx, 1e-6)

		g := setUp(t, `type: "BatchReindex"`, caffepb.Phase_TRAIN, batchReindexBottoms(idx), 1)
		checkGradient(t, g, gradcheck.New(1e-4, 1e-2), checkExhaustive, 0)
	}
	l, _ := newLayer(t, `type: "BatchReindex"`, caffepb.Phase_TRAIN)
	if g, ok := l.(layers.BackwardGate); !ok || !g.AllowForceBackward(0) || g.AllowForceBackward(1) {
		t.Fatal("BatchReindex gives a gradient to the data, never to the indices")
	}
	for _, bad := range []float32{5, -1} {
		bs := batchReindexBottoms([]float32{0, bad})
		l := setUp(t, `type: "BatchReindex"`, caffepb.Phase_TRAIN, bs, 1)
		wantError(t, l.Forward(l.Bottom, l.Top), "position 1", "out of the batch")
	}
	wantError(t, setUpError(`type: "BatchReindex"`, caffepb.Phase_TRAIN, []*blob.Blob{blob.New(5, 2), blob.New(2, 1)}, 1), "1 axis")
}
