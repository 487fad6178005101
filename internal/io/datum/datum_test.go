package datum

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/lmdb"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// TestMarshalMatchesCaffe re-serialises every Datum of the fixture databases (written
// by Caffe's convert_mnist_data and by a byte-identical stand-in for
// convert_cifar_data) and expects Caffe's bytes back.
func TestMarshalMatchesCaffe(t *testing.T) {
	for _, rel := range []string{
		"fixtures/nets/lenet_mnist/mnist_test_lmdb",
		"fixtures/nets/cifar10_synth/cifar10_test_lmdb",
	} {
		t.Run(rel, func(t *testing.T) {
			db, err := lmdb.Open(testutil.CopyDir(t, rel))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			c := db.Cursor()
			n := 0
			d := &caffepb.Datum{}
			for ok := c.First(); ok; ok = c.Next() {
				if err := Unmarshal(c.Value(), d); err != nil {
					t.Fatalf("key %s: %v", c.Key(), err)
				}
				if _, _, _, err := Shape(d); err != nil {
					t.Fatalf("key %s: %v", c.Key(), err)
				}
				b, err := Marshal(d)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b, c.Value()) {
					t.Fatalf("key %s: re-serialised Datum differs from Caffe's (%d vs %d bytes)", c.Key(), len(b), len(c.Value()))
				}
				n++
			}
			if c.Err() != nil || n == 0 {
				t.Fatalf("read %d records, err %v", n, c.Err())
			}
		})
	}
}

// TestMarshalFieldOrder builds Datums field by field as Caffe's converters do and
// checks the wire bytes by hand: fields in number order, float_data unpacked.
func TestMarshalFieldOrder(t *testing.T) {
	d := &caffepb.Datum{
		Encoded:   proto.Bool(false),
		Label:     proto.Int32(7),
		Data:      []byte{1, 2},
		Width:     proto.Int32(1),
		Height:    proto.Int32(2),
		Channels:  proto.Int32(1),
		FloatData: nil,
	}
	got, err := Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x08, 1, 0x10, 2, 0x18, 1, 0x22, 2, 1, 2, 0x28, 7, 0x38, 0}
	if !bytes.Equal(got, want) {
		t.Errorf("Marshal = % x, want % x", got, want)
	}
	f := &caffepb.Datum{Channels: proto.Int32(1), Height: proto.Int32(1), Width: proto.Int32(2), FloatData: []float32{1, 2}}
	got, _ = Marshal(f)
	want = []byte{0x08, 1, 0x10, 1, 0x18, 2, 0x35, 0, 0, 0x80, 0x3f, 0x35, 0, 0, 0, 0x40}
	if !bytes.Equal(got, want) {
		t.Errorf("Marshal(float_data) = % x, want % x", got, want)
	}
}

func TestShape(t *testing.T) {
	for _, tc := range []struct {
		name string
		d    *caffepb.Datum
		err  string
	}{
		{"raw", &caffepb.Datum{Channels: proto.Int32(1), Height: proto.Int32(2), Width: proto.Int32(2), Data: make([]byte, 4)}, ""},
		{"float", &caffepb.Datum{Channels: proto.Int32(2), Height: proto.Int32(1), Width: proto.Int32(1), FloatData: []float32{1, 2}}, ""},
		{"short data", &caffepb.Datum{Channels: proto.Int32(1), Height: proto.Int32(2), Width: proto.Int32(2), Data: make([]byte, 3)}, "holds 3 bytes of data, want 4"},
		{"short floats", &caffepb.Datum{Channels: proto.Int32(3), Height: proto.Int32(1), Width: proto.Int32(1), FloatData: []float32{1}}, "holds 1 float_data values, want 3"},
		{"empty", &caffepb.Datum{Channels: proto.Int32(1), Height: proto.Int32(1), Width: proto.Int32(1)}, "neither data bytes nor float_data"},
		{"no shape", &caffepb.Datum{Data: []byte{1}}, "must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := Shape(tc.d)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}
