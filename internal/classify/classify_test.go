package classify

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func TestTopK(t *testing.T) {
	for _, tt := range []struct {
		scores []float32
		k      int
		labels []string
		want   []Prediction
	}{
		{[]float32{0.1, 0.7, 0.2}, 2, nil, []Prediction{{1, "1", 0.7}, {2, "2", 0.2}}},
		{[]float32{0.5, 0.5, 0}, 5, []string{"a", "b", "c"}, []Prediction{{0, "a", 0.5}, {1, "b", 0.5}, {2, "c", 0}}},
		{[]float32{-1, -3}, 1, []string{"x"}, []Prediction{{0, "x", -1}}},
	} {
		if got := TopK(tt.scores, tt.k, tt.labels); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("TopK(%v, %d) = %v, want %v", tt.scores, tt.k, got, tt.want)
		}
	}
}

// TestApply checks the arithmetic on a 2×3 BGR image: swap, mean values, scale; a mean
// file larger than the input (resize to the mean, centre crop).
func TestApply(t *testing.T) {
	im := &datum.Img{Height: 2, Width: 3, Channels: 3, Pix: []uint8{
		// row 0: three BGR pixels, row 1
		10, 20, 30, 11, 21, 31, 12, 22, 32,
		13, 23, 33, 14, 24, 34, 15, 25, 35,
	}}
	dir := t.TempDir()
	meanFile := filepath.Join(dir, "mean.binaryproto")
	mean := make([]float32, 3*2*3)
	for i := range mean {
		mean[i] = float32(i)
	}
	if err := protofile.WriteBinary(meanFile, &caffepb.BlobProto{Num: proto.Int32(1), Channels: proto.Int32(3),
		Height: proto.Int32(2), Width: proto.Int32(3), Data: mean}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		h, w int
		o    Options
		want []float32
	}{
		{"plain", 2, 3, Options{}, []float32{10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25, 30, 31, 32, 33, 34, 35}},
		{"swap, mean, scale", 2, 3, Options{ChannelSwap: []int{2, 1, 0}, MeanValues: []float32{30, 20, 10}, Scale: 0.5},
			[]float32{0, 0.5, 1, 1.5, 2, 2.5, 0, 0.5, 1, 1.5, 2, 2.5, 0, 0.5, 1, 1.5, 2, 2.5}},
		{"mean file, crop", 2, 1, Options{MeanFile: meanFile},
			[]float32{11 - 1, 14 - 4, 21 - 7, 24 - 10, 31 - 13, 34 - 16}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := NewTransform(3, tt.h, tt.w, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]float32, 3*tt.h*tt.w)
			if err := tr.Apply(im, out); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, tt.want) {
				t.Errorf("got %v, want %v", out, tt.want)
			}
		})
	}
}

func TestNewTransformErrors(t *testing.T) {
	for _, tt := range []struct {
		c    int
		o    Options
		want string
	}{
		{2, Options{}, "2 channels"},
		{3, Options{MeanValues: []float32{1, 2}}, "2 mean values"},
		{3, Options{ChannelSwap: []int{0, 0, 1}}, "not an order"},
		{1, Options{ChannelSwap: []int{0, 1}}, "2 entries"},
		{3, Options{MeanFile: "/no/such.binaryproto"}, "such.binaryproto"},
		{3, Options{MeanFile: "m", MeanValues: []float32{1}}, "not both"},
	} {
		_, err := NewTransform(tt.c, 4, 4, tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want one containing %q", tt.o, err, tt.want)
		}
	}
}

func TestCollect(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.png", "a.JPG", "sub/c.bmp", "notes.txt"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("x/one.png 3\r\n\ntwo words.jpg\n"), 0o644)
	got, err := Collect([]string{dir, filepath.Join(dir, "b.png"), list}, "/root/")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.JPG"), filepath.Join(dir, "b.png"), filepath.Join(dir, "sub/c.bmp"),
		filepath.Join(dir, "b.png"), "/root/x/one.png", "/root/two words.jpg"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}

	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	binary := filepath.Join(dir, "photo.raw")
	os.WriteFile(binary, []byte("\x89PNG\x00\x01"), 0o644)
	for _, tt := range []struct {
		arg, want string
	}{
		{empty, "holds no images"},
		{binary, "not a text line"},
		{filepath.Join(dir, "none"), "no such file"},
	} {
		if _, err := Collect([]string{tt.arg}, ""); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.arg, err, tt.want)
		}
	}
}

func TestReadLabels(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "labels.txt")
	os.WriteFile(p, []byte("n01 tench\r\nn02 goldfish\n"), 0o644)
	got, err := ReadLabels(p)
	if err != nil || !reflect.DeepEqual(got, []string{"n01 tench", "n02 goldfish"}) {
		t.Errorf("got %q, %v", got, err)
	}
	os.WriteFile(p, nil, 0o644)
	if _, err := ReadLabels(p); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty labels file: %v", err)
	}
}
