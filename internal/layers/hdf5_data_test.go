package layers_test

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/io/hdf5"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// writeH5 writes a file of rows: data row r of file k is 100·k + 10·r + (0..5), its label
// 100·k + r.
func writeH5(t *testing.T, path string, k, rows int) {
	t.Helper()
	b := hdf5.NewBuilder()
	data := make([]float32, rows*6)
	label := make([]float32, rows)
	for r := 0; r < rows; r++ {
		for j := 0; j < 6; j++ {
			data[r*6+j] = float32(100*k + 10*r + j)
		}
		label[r] = float32(100*k + r)
	}
	if err := b.Root().Float32("data", []int{rows, 2, 3}, data); err != nil {
		t.Fatal(err)
	}
	if err := b.Root().Float32("label", []int{rows}, label); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteFile(path); err != nil {
		t.Fatal(err)
	}
}

func buildHDF5Data(t *testing.T, text string, nTop int) (layers.Layer, []*blob.Blob, error) {
	t.Helper()
	p := &caffepb.LayerParameter{}
	if err := prototext.Unmarshal([]byte(text), p); err != nil {
		t.Fatal(err)
	}
	p.Name = proto.String("data")
	p.Type = proto.String("HDF5Data")
	p.Top = []string{"data", "label"}[:nTop]
	l, err := layers.New(p, &layers.Context{RNG: rng.New(1701)})
	if err != nil {
		return nil, nil, err
	}
	top := []*blob.Blob{blob.New(), blob.New()}[:nTop]
	return l, top, layers.SetUp(l, nil, top)
}

// TestHDF5Data reads two files in turn, rows in order, and wraps around, as Caffe's
// test_hdf5data_layer does; with shuffle every pass holds every row once.
func TestHDF5Data(t *testing.T) {
	dir := t.TempDir()
	writeH5(t, filepath.Join(dir, "a.h5"), 0, 4)
	writeH5(t, filepath.Join(dir, "b.h5"), 1, 3)
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte(filepath.Join(dir, "a.h5")+"\n"+filepath.Join(dir, "b.h5")+"\n"), 0o644)

	l, top, err := buildHDF5Data(t, `hdf5_data_param { source: "`+list+`" batch_size: 3 }`, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(top[0].Shape(), []int{3, 2, 3}) || !reflect.DeepEqual(top[1].Shape(), []int{3}) {
		t.Fatalf("tops %v %v", top[0].Shape(), top[1].Shape())
	}
	var labels []float32
	for i := 0; i < 5; i++ {
		if err := l.Forward(nil, top); err != nil {
			t.Fatal(err)
		}
		for r := 0; r < 3; r++ {
			lab := top[1].Data[r]
			k, row := int(lab)/100, int(lab)%100
			if top[0].Data[r*6+4] != float32(100*k+10*row+4) {
				t.Fatalf("batch %d row %d: data %v for label %v", i, r, top[0].Data[r*6:r*6+6], lab)
			}
			labels = append(labels, lab)
		}
	}
	want := []float32{0, 1, 2, 3, 100, 101, 102, 0, 1, 2, 3, 100, 101, 102, 0}
	if !reflect.DeepEqual(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}

	l, top, err = buildHDF5Data(t, `hdf5_data_param { source: "`+list+`" batch_size: 7 shuffle: true }`, 2)
	if err != nil {
		t.Fatal(err)
	}
	for pass := 0; pass < 3; pass++ {
		if err := l.Forward(nil, top); err != nil {
			t.Fatal(err)
		}
		got := append([]float32(nil), top[1].Data...)
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		if !reflect.DeepEqual(got, []float32{0, 1, 2, 3, 100, 101, 102}) {
			t.Errorf("pass %d: labels %v, want each row once", pass, top[1].Data)
		}
	}
}

func TestHDF5DataErrors(t *testing.T) {
	dir := t.TempDir()
	writeH5(t, filepath.Join(dir, "a.h5"), 0, 4)
	list := func(text string) string {
		p := filepath.Join(dir, "list"+string(rune('a'+len(text)%26))+".txt")
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	bad := hdf5.NewBuilder()
	bad.Root().Float32("data", []int{4, 1}, make([]float32, 4))
	bad.Root().Float32("label", []int{3}, make([]float32, 3))
	bad.WriteFile(filepath.Join(dir, "bad.h5"))
	os.WriteFile(filepath.Join(dir, "trunc.h5"), []byte("\x89HDF\r\n\x1a\n\x00"), 0o644)
	for _, tt := range []struct {
		text, want string
	}{
		{`hdf5_data_param { batch_size: 3 }`, "source is not set"},
		{`hdf5_data_param { source: "x" }`, "batch_size"},
		{`hdf5_data_param { source: "x" batch_size: 1 } transform_param { scale: 2 }`, "does not transform"},
		{`hdf5_data_param { source: "` + filepath.Join(dir, "none.txt") + `" batch_size: 1 }`, "none.txt"},
		{`hdf5_data_param { source: "` + list("\n") + `" batch_size: 1 }`, "names no HDF5 files"},
		{`hdf5_data_param { source: "` + list(filepath.Join(dir, "gone.h5")) + `" batch_size: 1 }`, "gone.h5"},
		{`hdf5_data_param { source: "` + list(filepath.Join(dir, "bad.h5")) + `" batch_size: 1 }`, "must have as many rows"},
		{`hdf5_data_param { source: "` + list(filepath.Join(dir, "trunc.h5")+" ") + `" batch_size: 1 }`, "trunc.h5"},
	} {
		_, _, err := buildHDF5Data(t, tt.text, 2)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.text, err, tt.want)
		}
	}
}

// TestHDF5DataResume: a layer that seeks to where another stood reads on as it does —
// shuffled, across files and passes.
func TestHDF5DataResume(t *testing.T) {
	dir := t.TempDir()
	writeH5(t, filepath.Join(dir, "a.h5"), 0, 5)
	writeH5(t, filepath.Join(dir, "b.h5"), 1, 3)
	writeH5(t, filepath.Join(dir, "c.h5"), 2, 4)
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte(strings.Join([]string{filepath.Join(dir, "a.h5"), filepath.Join(dir, "b.h5"), filepath.Join(dir, "c.h5")}, "\n")), 0o644)
	for _, shuffle := range []string{"false", "true"} {
		text := `hdf5_data_param { source: "` + list + `" batch_size: 5 shuffle: ` + shuffle + ` }`
		a, atop, err := buildHDF5Data(t, text, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, stop := range []int{0, 1, 4, 7} {
			a, atop, _ = buildHDF5Data(t, text, 2)
			for i := 0; i < stop; i++ {
				a.Forward(nil, atop)
			}
			consumed, state := a.(layers.DataSource).Position()
			if consumed != uint64(5*stop) {
				t.Errorf("shuffle %s: %d rows consumed after %d batches", shuffle, consumed, stop)
			}
			b, btop, err := buildHDF5Data(t, text, 2)
			if err != nil {
				t.Fatal(err)
			}
			b.Forward(nil, btop) // move away first
			if err := b.(layers.DataSource).Seek(consumed, state); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 6; i++ {
				a.Forward(nil, atop)
				b.Forward(nil, btop)
				if !reflect.DeepEqual(atop[1].Data, btop[1].Data) || !reflect.DeepEqual(atop[0].Data, btop[0].Data) {
					t.Fatalf("shuffle %s, resumed after %d batches: batch %d is %v, the uninterrupted run's %v",
						shuffle, stop, i, btop[1].Data, atop[1].Data)
				}
			}
		}
	}
}
