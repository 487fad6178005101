package layers_test

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The Filter layer, after Caffe's test_filter_layer.cpp: items whose selector is
// non-zero go through, in order, from every filtered bottom; the gradient goes back
// to them and is zero elsewhere.

// filterBlobs are a (4, 3, 2, 2) data blob, a (4) label blob and the selector
// (4, 1, 1, 1) = 0, 1, 0, 1, as in Caffe's test.
func filterBlobs() (data, label, selector *blob.Blob) {
	data = gaussian(rng.New(1701), 0, 1, 4, 3, 2, 2)
	label = blob.New(4)
	for i := range label.Data {
		label.Data[i] = float32(10 + i)
	}
	selector = blob.New(4, 1, 1, 1)
	copy(selector.Data, []float32{0, 1, 0, 1})
	return data, label, selector
}

func TestFilterForwardBackward(t *testing.T) {
	data, label, selector := filterBlobs()
	l := setUp(t, `type: "Filter"`, caffepb.Phase_TRAIN, []*blob.Blob{data, label, selector}, 2)
	// Before the selector has values (Setup), every item: Caffe's first reshape.
	if !equalShape(l.Top[0].Shape(), []int{4, 3, 2, 2}) || !equalShape(l.Top[1].Shape(), []int{4}) {
		t.Fatalf("tops after Setup %v %v, want all 4 items", l.Top[0].Shape(), l.Top[1].Shape())
	}
	if err := l.Reshape(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	if !equalShape(l.Top[0].Shape(), []int{2, 3, 2, 2}) || !equalShape(l.Top[1].Shape(), []int{2}) {
		t.Fatalf("tops %v %v, want the 2 selected items", l.Top[0].Shape(), l.Top[1].Shape())
	}
	forward(t, l)
	const d = 12
	for j, item := range []int{1, 3} {
		for i := 0; i < d; i++ {
			if got, want := l.Top[0].Data[j*d+i], data.Data[item*d+i]; got != want {
				t.Fatalf("top[%d] value %d = %g, want item %d's %g", j, i, got, item, want)
			}
		}
		if got := l.Top[1].Data[j]; got != float32(10+item) {
			t.Fatalf("label %d = %g, want %d", j, got, 10+item)
		}
	}

	dy := make([]float32, 2*d)
	for i := range dy {
		dy[i] = float32(i + 1)
	}
	for i := range data.Diff {
		data.Diff[i] = 99 // must be overwritten, the unselected items with zeros
	}
	copy(l.Top[0].Diff, dy)
	l.Backward(l.Top, []bool{true, false, false}, l.Bottom)
	for item := 0; item < 4; item++ {
		for i := 0; i < d; i++ {
			want := float32(0)
			if item == 1 || item == 3 {
				want = dy[(item/2)*d+i]
			}
			if got := data.Diff[item*d+i]; got != want {
				t.Fatalf("dbottom item %d value %d = %g, want %g", item, i, got, want)
			}
		}
	}
}

// TestFilterGradient: Caffe's check of the filtered data blob (step 1e-2, threshold
// 1e-3), with the selector fixed.
func TestFilterGradient(t *testing.T) {
	data, label, selector := filterBlobs()
	l := setUp(t, `type: "Filter"`, caffepb.Phase_TRAIN, []*blob.Blob{data, label, selector}, 2)
	if err := l.Reshape(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	checkGradient(t, l, gradcheck.New(1e-2, 1e-3), checkExhaustive, 0)
}

// TestFilterNoneSelected: a batch with no selected item gives empty tops and a zero
// gradient.
func TestFilterNoneSelected(t *testing.T) {
	data, label, selector := filterBlobs()
	l := setUp(t, `type: "Filter"`, caffepb.Phase_TRAIN, []*blob.Blob{data, label, selector}, 2)
	clear(selector.Data)
	if err := l.Reshape(l.Bottom, l.Top); err != nil {
		t.Fatal(err)
	}
	forward(t, l)
	if l.Top[0].Count() != 0 || l.Top[0].Dim(0) != 0 {
		t.Fatalf("top shape %v, want no item", l.Top[0].Shape())
	}
	for i := range data.Diff {
		data.Diff[i] = 1
	}
	l.Backward(l.Top, []bool{true, true, true}, l.Bottom)
	for i, v := range data.Diff {
		if v != 0 {
			t.Fatalf("dbottom[%d] = %g, want 0", i, v)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	data, label, _ := filterBlobs()
	wide := blob.New(4, 2)
	short := blob.New(3, 1)
	tests := []struct {
		bottom []*blob.Blob
		nTop   int
		want   string
	}{
		{[]*blob.Blob{data, label, short}, 2, "selector's 3 items"},
		{[]*blob.Blob{data, wide}, 1, "one value per item"},
		{[]*blob.Blob{data, label}, 2, "one top per filtered bottom"},
	}
	for _, tt := range tests {
		wantError(t, setUpError(`type: "Filter"`, caffepb.Phase_TRAIN, tt.bottom, tt.nTop), tt.want)
	}
	l := setUp(t, `type: "Filter"`, caffepb.Phase_TRAIN, []*blob.Blob{data, label, blob.New(4)}, 2)
	if l.Layer.(layers.Counter).BlobCounts().Check(1, 1) == nil {
		t.Fatal("a Filter with one bottom passed the blob count check")
	}
}

// TestFilterInNet: in a net the selector comes from a layer, the tops take the
// selected count at every Forward, and force_backward does not reach the selector.
func TestFilterInNet(t *testing.T) {
	text := `name: "f" force_backward: true
layer { name: "in" type: "Input" top: "x" top: "sel"
        input_param { shape { dim: 5 dim: 3 } shape { dim: 5 } } }
layer { name: "filter" type: "Filter" bottom: "x" bottom: "sel" top: "y" }
layer { name: "loss" type: "Reduction" bottom: "y" top: "loss" reduction_param { operation: SUMSQ } loss_weight: 1 }`
	n := buildNet(t, "f.prototxt", text)
	x, sel := n.Blob("x"), n.Blob("sel")
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	copy(sel.Data, []float32{1, 0, 0, 1, 1})
	loss, err := n.Forward()
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Blob("y").Shape(); !equalShape(got, []int{3, 3}) {
		t.Fatalf("y shape %v, want (3, 3)", got)
	}
	var want float32 // Σ y² over items 0, 3 and 4
	for _, item := range []int{0, 3, 4} {
		for i := 0; i < 3; i++ {
			v := float32(item*3 + i)
			want += v * v
		}
	}
	if loss != want {
		t.Fatalf("loss %g, want %g", loss, want)
	}
	n.Backward()
	if x.Diff[3*3] != 2*x.Data[3*3] || x.Diff[1*3] != 0 {
		t.Fatalf("dx %v: want 2x on the selected items, 0 elsewhere", x.Diff)
	}
	copy(sel.Data, []float32{0, 1, 0, 0, 0})
	if _, err := n.Forward(); err != nil {
		t.Fatal(err)
	}
	if got := n.Blob("y").Shape(); !equalShape(got, []int{1, 3}) {
		t.Fatalf("y shape %v after a new selector, want (1, 3)", got)
	}
}
