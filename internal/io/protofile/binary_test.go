package protofile

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// TestFixturesReencode decodes every binary proto file Caffe wrote for us (and the two
// from the wild) and wants the same bytes back from our encoder.
func TestFixturesReencode(t *testing.T) {
	n := 0
	err := filepath.WalkDir(testutil.Path("fixtures"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		var m proto.Message
		switch filepath.Ext(p) {
		case ".caffemodel":
			m = &caffepb.NetParameter{}
		case ".solverstate":
			m = &caffepb.SolverState{}
		case ".binaryproto":
			m = &caffepb.BlobProto{}
		default:
			return nil
		}
		n++
		if err := ReadBinary(p, m); err != nil {
			t.Errorf("%v", err)
			return nil
		}
		if len(m.ProtoReflect().GetUnknown()) != 0 {
			t.Errorf("%s: unknown fields at the top level", p)
		}
		got, err := MarshalBinary(m)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		want, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: re-encoded %d bytes differ from the file's %d", p, len(got), len(want))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 8 caffemodels (2 from the wild), 4 solverstates, 1 mean file.
	if n < 13 {
		t.Errorf("found %d binary fixtures, want at least 13", n)
	}
}

// TestUnknownFieldsKept adds fields this schema does not know (as a newer Caffe or a
// fork might write) to a caffemodel, at the end of the net and inside a layer, and
// wants them written back as they were.
func TestUnknownFieldsKept(t *testing.T) {
	good, err := os.ReadFile(testutil.Path("fixtures/nets/cifar10_synth/init.caffemodel"))
	if err != nil {
		t.Fatal(err)
	}
	// A layer of a future Caffe: name, type, then fields 149 (varint) and 150 (bytes).
	layer := protowire.AppendTag(nil, 1, protowire.BytesType)
	layer = protowire.AppendString(layer, "future")
	layer = protowire.AppendTag(layer, 2, protowire.BytesType)
	layer = protowire.AppendString(layer, "Future")
	layer = protowire.AppendTag(layer, 149, protowire.VarintType)
	layer = protowire.AppendVarint(layer, 7)
	layer = protowire.AppendTag(layer, 150, protowire.BytesType)
	layer = protowire.AppendBytes(layer, []byte{1, 2, 3})
	data := append([]byte(nil), good...)
	data = protowire.AppendTag(data, 100, protowire.BytesType)
	data = protowire.AppendBytes(data, layer)
	data = protowire.AppendTag(data, 1000, protowire.Fixed32Type)
	data = protowire.AppendFixed32(data, 42)

	m := &caffepb.NetParameter{}
	if err := UnmarshalBinary("future.caffemodel", data, m); err != nil {
		t.Fatal(err)
	}
	last := m.Layer[len(m.Layer)-1]
	if last.GetName() != "future" || len(last.ProtoReflect().GetUnknown()) == 0 || len(m.ProtoReflect().GetUnknown()) == 0 {
		t.Fatalf("unknown fields not kept: layer %v", last)
	}
	got, err := MarshalBinary(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Error("re-encoding changed the bytes of a file with unknown fields")
	}
}

// v1Types are the V1 enums of the layer types of LeNet, for building a V1 file.
var v1Types = map[string]caffepb.V1LayerParameter_LayerType{
	"Data":            caffepb.V1LayerParameter_DATA,
	"Convolution":     caffepb.V1LayerParameter_CONVOLUTION,
	"Pooling":         caffepb.V1LayerParameter_POOLING,
	"InnerProduct":    caffepb.V1LayerParameter_INNER_PRODUCT,
	"ReLU":            caffepb.V1LayerParameter_RELU,
	"SoftmaxWithLoss": caffepb.V1LayerParameter_SOFTMAX_LOSS,
}

// legacyBlob rewrites a blob with the 4-D num/channels/height/width fields that V1
// caffemodels use, padding the shape with 1s on the left as Caffe did.
func legacyBlob(t *testing.T, b *caffepb.BlobProto) *caffepb.BlobProto {
	t.Helper()
	dims := b.GetShape().GetDim()
	if len(dims) > 4 {
		t.Fatalf("blob of %d axes has no legacy form", len(dims))
	}
	d := []int32{1, 1, 1, 1}
	for i, v := range dims {
		d[4-len(dims)+i] = int32(v)
	}
	return &caffepb.BlobProto{Num: &d[0], Channels: &d[1], Height: &d[2], Width: &d[3], Data: b.Data}
}

// TestV1Caffemodel builds a V1 .caffemodel from LeNet's weights (V1 layers with enum
// types, blobs_lr and weight_decay, legacy 4-D blob dims, an input name without
// dims as old caffemodels have) and reads it: the layers and blobs must come back
// as the current-format file has them, with Caffe's log lines.
func TestV1Caffemodel(t *testing.T) {
	log := quietLog(t)
	src, err := ReadNetBinary(testutil.Path("fixtures/nets/lenet_mnist/init.caffemodel"))
	if err != nil {
		t.Fatal(err)
	}
	v1 := &caffepb.NetParameter{Name: src.Name, Input: []string{"data"}}
	var want []*caffepb.LayerParameter
	for _, l := range src.Layer {
		typ, ok := v1Types[l.GetType()]
		if !ok {
			t.Fatalf("no V1 type for %q", l.GetType())
		}
		old := &caffepb.V1LayerParameter{
			Name: l.Name, Type: typ.Enum(), Bottom: l.Bottom, Top: l.Top, Include: l.Include,
			ConvolutionParam: l.ConvolutionParam, PoolingParam: l.PoolingParam,
			InnerProductParam: l.InnerProductParam, DataParam: l.DataParam,
			TransformParam: l.TransformParam, LossWeight: l.LossWeight,
		}
		for _, ps := range l.Param {
			old.BlobsLr = append(old.BlobsLr, ps.GetLrMult())
			old.WeightDecay = append(old.WeightDecay, ps.GetDecayMult())
		}
		w := proto.Clone(l).(*caffepb.LayerParameter)
		w.Phase = nil // V1 layers have no phase
		w.Blobs = nil
		for i, ps := range w.Param {
			ps.DecayMult = proto.Float32(old.WeightDecay[i])
		}
		for _, b := range l.Blobs {
			lb := legacyBlob(t, b)
			old.Blobs = append(old.Blobs, lb)
			w.Blobs = append(w.Blobs, proto.Clone(lb).(*caffepb.BlobProto))
		}
		v1.Layers = append(v1.Layers, old)
		want = append(want, w)
	}
	path := filepath.Join(t.TempDir(), "lenet_v1.caffemodel")
	if err := WriteBinary(path, v1); err != nil {
		t.Fatal(err)
	}

	got, err := ReadNetBinary(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Layers) != 0 || len(got.Input) != 0 {
		t.Errorf("V1 layers or input names left: %d layers, inputs %q", len(got.Layers), got.Input)
	}
	if len(got.Layer) != len(want) {
		t.Fatalf("%d layers, want %d (an input without dims must not make an Input layer)", len(got.Layer), len(want))
	}
	for i := range want {
		if !proto.Equal(got.Layer[i], want[i]) {
			t.Errorf("layer %d:\n got %v\nwant %v", i, got.Layer[i], want[i])
		}
	}
	// Caffe's loader compares legacy dims with the net's shapes; here, that each
	// blob holds the same floats as the current-format file.
	for i, l := range src.Layer {
		for j, b := range l.Blobs {
			if !equalFloats(got.Layer[i].Blobs[j].Data, b.Data) {
				t.Errorf("layer %s blob %d: data differ", l.GetName(), j)
			}
		}
	}
	for _, msg := range []string{
		"Attempting to upgrade input file specified using deprecated V1LayerParameter: " + path,
		"Successfully upgraded file specified using deprecated V1LayerParameter",
		"Attempting to upgrade input file specified using deprecated input fields: " + path,
		"Successfully upgraded file specified using deprecated input fields.",
	} {
		if !strings.Contains(log.String(), msg) {
			t.Errorf("log lacks %q:\n%s", msg, log)
		}
	}
	if NetNeedsUpgrade(got) {
		t.Error("the upgraded net still needs an upgrade")
	}
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestWriteBinaryAtomic writes over an existing file and into a missing folder: the
// first replaces the file whole, keeping its mode, the second fails leaving nothing.
func TestWriteBinaryAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.caffemodel")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := &caffepb.NetParameter{Name: proto.String("net"), Layer: []*caffepb.LayerParameter{{Name: proto.String("l"),
		Blobs: []*caffepb.BlobProto{{Shape: &caffepb.BlobShape{Dim: []int64{2}}, Data: []float32{1, 2}}}}}}
	if err := WriteBinary(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadNetBinary(path)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, want) {
		t.Errorf("read back %v, want %v", got, want)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after rewrite: %v, %v; want 0600 kept", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	missing := filepath.Join(dir, "no", "such", "m.caffemodel")
	err = WriteBinary(missing, want)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("WriteBinary into a missing folder = %v, want an error naming %s", err, missing)
	}
}

// TestReadBlobAndState reads a mean file and a solver state through their readers.
func TestReadBlobAndState(t *testing.T) {
	mean, err := ReadBlobProto(testutil.Path("fixtures/nets/cifar10_synth/mean.binaryproto"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(mean.Data); n != 3*32*32 || mean.GetChannels() != 3 || mean.GetHeight() != 32 || mean.GetWidth() != 32 {
		t.Errorf("mean: %d floats, %dx%dx%d; want 3x32x32", n, mean.GetChannels(), mean.GetHeight(), mean.GetWidth())
	}
	st, err := ReadSolverState(testutil.Path("fixtures/nets/lenet_mnist/lenet_iter_100.solverstate"))
	if err != nil {
		t.Fatal(err)
	}
	if st.GetIter() != 100 || !strings.HasSuffix(st.GetLearnedNet(), "lenet_iter_100.caffemodel") || len(st.History) != 8 {
		t.Errorf("state: iter %d, learned_net %q, %d history blobs; want 100, ...lenet_iter_100.caffemodel, 8",
			st.GetIter(), st.GetLearnedNet(), len(st.History))
	}
}
