package blob

import (
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func TestShapeAndCounts(t *testing.T) {
	b := New(2, 3, 4, 5)
	if b.Count() != 120 || b.CountFrom(1) != 60 || b.CountRange(1, 3) != 12 || b.NumAxes() != 4 {
		t.Fatalf("counts: %d %d %d %d", b.Count(), b.CountFrom(1), b.CountRange(1, 3), b.NumAxes())
	}
	if b.Dim(-1) != 5 || b.Dim(-4) != 2 {
		t.Fatalf("negative axes: %d %d", b.Dim(-1), b.Dim(-4))
	}
	if _, err := b.CanonicalAxis(4); err == nil {
		t.Fatal("axis 4 of a 4-axis blob accepted")
	}
	if _, err := b.CanonicalAxis(-5); err == nil {
		t.Fatal("axis -5 of a 4-axis blob accepted")
	}
	if got := b.Offset(1, 2, 3, 4); got != 119 {
		t.Fatalf("Offset = %d", got)
	}
	if got := b.Offset(1); got != 60 {
		t.Fatalf("Offset(1) = %d", got)
	}
	if s := b.ShapeString(); s != "2 3 4 5 (120)" {
		t.Fatalf("ShapeString = %q", s)
	}
	v := New(7)
	if v.Num() != 7 || v.Channels() != 1 || v.Width() != 1 {
		t.Fatalf("legacy view of a vector: %d %d %d", v.Num(), v.Channels(), v.Width())
	}
}

func TestReshapeKeepsStorage(t *testing.T) {
	b := New(4, 10)
	data := &b.Data[0]
	b.Reshape(2, 10)
	if &b.Data[0] != data || len(b.Data) != 20 || len(b.Diff) != 20 {
		t.Fatal("shrinking reallocated or miscounted")
	}
	b.Reshape(4, 10)
	if &b.Data[0] != data {
		t.Fatal("growing back within capacity reallocated")
	}
	b.Reshape(5, 10)
	if len(b.Data) != 50 {
		t.Fatal("growing failed")
	}
}

func TestShapeEqualsLegacy(t *testing.T) {
	legacy := &caffepb.BlobProto{Num: proto.Int32(1), Channels: proto.Int32(1), Height: proto.Int32(500), Width: proto.Int32(800)}
	tests := []struct {
		shape []int
		want  bool
	}{
		{[]int{500, 800}, true},
		{[]int{1, 500, 800}, true},
		{[]int{1, 1, 500, 800}, true},
		{[]int{800, 500}, false},
		{[]int{1, 1, 1, 500, 800}, false},
	}
	for _, tt := range tests {
		if got := New(tt.shape...).ShapeEquals(legacy); got != tt.want {
			t.Errorf("shape %v vs legacy 1,1,500,800: %v, want %v", tt.shape, got, tt.want)
		}
	}
	modern := &caffepb.BlobProto{Shape: &caffepb.BlobShape{Dim: []int64{500, 800}}}
	if !New(500, 800).ShapeEquals(modern) || New(1, 500, 800).ShapeEquals(modern) {
		t.Error("modern shapes must match exactly")
	}
}

func TestProtoRoundTrip(t *testing.T) {
	b := New(2, 3)
	for i := range b.Data {
		b.Data[i] = float32(i) * 0.5
		b.Diff[i] = -float32(i)
	}
	p := b.ToProto(true)
	c := New()
	if err := c.FromProto(p, true); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Shape(), b.Shape()) || !reflect.DeepEqual(c.Data, b.Data) || !reflect.DeepEqual(c.Diff, b.Diff) {
		t.Fatalf("round trip: %v %v %v", c.Shape(), c.Data, c.Diff)
	}
	if len(b.ToProto(false).Diff) != 0 {
		t.Fatal("diff written without withDiff")
	}

	d := &caffepb.BlobProto{Num: proto.Int32(1), Channels: proto.Int32(1), Height: proto.Int32(2), Width: proto.Int32(2),
		DoubleData: []float64{1, 2, 3, 4}}
	e := New(2, 2)
	if err := e.FromProto(d, false); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e.Data, []float32{1, 2, 3, 4}) {
		t.Fatalf("double data: %v", e.Data)
	}
	if err := New(3, 2).FromProto(d, false); err == nil {
		t.Fatal("shape mismatch accepted")
	}
	short := &caffepb.BlobProto{Shape: &caffepb.BlobShape{Dim: []int64{4}}, Data: []float32{1}}
	if err := New(4).FromProto(short, false); err == nil {
		t.Fatal("short data accepted")
	}
}

func TestReshapeDoesNotAllocate(t *testing.T) {
	b := New(64, 20, 24, 24)
	n, c := 64, 20
	allocs := testing.AllocsPerRun(100, func() { b.Reshape(n, c, 24, 24) })
	if allocs != 0 {
		t.Fatalf("Reshape to the same shape allocates %g times", allocs)
	}
}
