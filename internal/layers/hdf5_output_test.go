package layers_test

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/io/hdf5"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

func newHDF5Output(t *testing.T, file string) layers.Layer {
	t.Helper()
	l, err := layers.New(&caffepb.LayerParameter{Name: proto.String("out"), Type: proto.String("HDF5Output"),
		Hdf5OutputParam: &caffepb.HDF5OutputParameter{FileName: proto.String(file)}}, &layers.Context{RNG: rng.New(1)})
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestHDF5Output stores two batches and reads them back: "data" and "label" with
// Caffe's four legacy dimensions.
func TestHDF5Output(t *testing.T) {
	file := filepath.Join(t.TempDir(), "out.h5")
	l := newHDF5Output(t, file)
	data, label := blob.New(2, 3), blob.New(2)
	bottom := []*blob.Blob{data, label}
	if err := layers.SetUp(l, bottom, nil); err != nil {
		t.Fatal(err)
	}
	for b := 0; b < 2; b++ {
		for i := range data.Data {
			data.Data[i] = float32(10*b + i)
		}
		label.Data[0], label.Data[1] = float32(2*b), float32(2*b+1)
		if err := l.Forward(bottom, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.(layers.Closer).Close(); err != nil {
		t.Fatal(err)
	}
	f, err := hdf5.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]float32{
		"data":  {0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15},
		"label": {0, 1, 2, 3},
	} {
		d, err := f.Dataset(name)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := d.Float32()
		shape := map[string][]int{"data": {4, 3, 1, 1}, "label": {4, 1, 1, 1}}[name]
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(d.Shape, shape) {
			t.Errorf("%s: %v %v, want %v %v", name, d.Shape, got, shape, want)
		}
	}
}

func TestHDF5OutputErrors(t *testing.T) {
	if _, err := layers.New(&caffepb.LayerParameter{Name: proto.String("out"), Type: proto.String("HDF5Output")}, nil); err == nil ||
		!strings.Contains(err.Error(), "file_name") {
		t.Errorf("no file name: %v", err)
	}
	l := newHDF5Output(t, "/nonexistent/dir/out.h5")
	if err := layers.SetUp(l, []*blob.Blob{blob.New(2, 3), blob.New(2)}, nil); err == nil || !strings.Contains(err.Error(), "/nonexistent/dir") {
		t.Errorf("unwritable file: %v", err)
	}
	l = newHDF5Output(t, filepath.Join(t.TempDir(), "out.h5"))
	if err := layers.SetUp(l, []*blob.Blob{blob.New(2, 3), blob.New(3)}, nil); err == nil || !strings.Contains(err.Error(), "same batch size") {
		t.Errorf("batch sizes differ: %v", err)
	}
}
