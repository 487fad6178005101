package network_test

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/netinfo"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// buildFixtureNet builds a fixture's train_test net in TRAIN phase with its data
// layers as Input layers of the shapes Caffe's data layers give.
func buildFixtureNet(t *testing.T, prototxt string, shapes map[string][]int) *network.Net {
	t.Helper()
	param, err := protofile.ReadNetText(testutil.Path(prototxt))
	if err != nil {
		t.Fatal(err)
	}
	param.State = &caffepb.NetState{Phase: caffepb.Phase_TRAIN.Enum()}
	if param, err = netinfo.DataLayersAsInputs(param, shapes); err != nil {
		t.Fatal(err)
	}
	n, err := network.New(param, network.Options{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var (
	lenetNet   = "fixtures/nets/lenet_mnist/lenet_train_test.prototxt"
	lenetShape = map[string][]int{"data": {64, 1, 28, 28}, "label": {64}}
	cifarNet   = "fixtures/nets/cifar10_synth/cifar10_quick_train_test.prototxt"
	cifarShape = map[string][]int{"data": {100, 3, 32, 32}, "label": {100}}
)

// Every .caffemodel of the fixtures — Caffe's own and two from other people's
// Caffe — loads into its net with every value, and the net writes each non-data layer
// back exactly as Caffe wrote it.
func TestFixtureWeightsLoad(t *testing.T) {
	cases := []struct{ net, weights string }{
		{lenetNet, "fixtures/nets/lenet_mnist/init.caffemodel"},
		{lenetNet, "fixtures/nets/lenet_mnist/lenet_iter_50.caffemodel"},
		{lenetNet, "fixtures/nets/lenet_mnist/lenet_iter_100.caffemodel"},
		{lenetNet, "fixtures/nets/lenet_mnist/resume/lenet_iter_100.caffemodel"},
		{lenetNet, "fixtures/realworld/ethereon_lenet_iter_10000.caffemodel"},
		{lenetNet, "fixtures/realworld/longwang_lenet_iter_10000.caffemodel"},
		{cifarNet, "fixtures/nets/cifar10_synth/init.caffemodel"},
		{cifarNet, "fixtures/nets/cifar10_synth/cifar10_quick_iter_40.caffemodel"},
	}
	for _, tc := range cases {
		t.Run(filepath.Base(filepath.Dir(tc.weights))+"/"+filepath.Base(tc.weights), func(t *testing.T) {
			shapes := lenetShape
			if tc.net == cifarNet {
				shapes = cifarShape
			}
			n := buildFixtureNet(t, tc.net, shapes)
			weights, err := protofile.ReadNetBinary(testutil.Path(tc.weights))
			if err != nil {
				t.Fatal(err)
			}
			if err := n.CopyTrainedLayersFrom(weights); err != nil {
				t.Fatal(err)
			}
			saved := n.ToProto(false)
			copied := 0
			for _, src := range weights.Layer {
				i := n.LayerIndex(src.GetName())
				if i < 0 || len(src.Blobs) == 0 {
					continue
				}
				for j, b := range n.Layer(i).Params() {
					want := blob.New()
					if err := want.FromProto(src.Blobs[j], true); err != nil {
						t.Fatal(err)
					}
					if err := testutil.CompareSlices(b.Data, want.Data, 0, 0); err != nil {
						t.Fatalf("layer %s blob %d: %v", src.GetName(), j, err)
					}
					copied++
				}
				// What we would write for this layer is what Caffe wrote.
				if filepath.Dir(tc.weights) != testutil.Path("fixtures/realworld") && !proto.Equal(saved.Layer[i], src) {
					t.Errorf("layer %s is written as\n%v\nCaffe wrote\n%v", src.GetName(), saved.Layer[i], src)
				}
			}
			if copied != len(n.Learnable()) {
				t.Fatalf("copied %d blobs, the net has %d", copied, len(n.Learnable()))
			}
		})
	}
}

// Every .solverstate of the fixtures holds one history blob per learnable blob of its
// net, of the same shape.
func TestFixtureSolverStatesFitTheirNets(t *testing.T) {
	for _, tc := range []struct {
		net, state string
		shapes     map[string][]int
	}{
		{lenetNet, "fixtures/nets/lenet_mnist/lenet_iter_50.solverstate", lenetShape},
		{lenetNet, "fixtures/nets/lenet_mnist/lenet_iter_100.solverstate", lenetShape},
		{lenetNet, "fixtures/nets/lenet_mnist/resume/lenet_iter_100.solverstate", lenetShape},
		{cifarNet, "fixtures/nets/cifar10_synth/cifar10_quick_iter_40.solverstate", cifarShape},
	} {
		n := buildFixtureNet(t, tc.net, tc.shapes)
		st, err := protofile.ReadSolverState(testutil.Path(tc.state))
		if err != nil {
			t.Fatal(err)
		}
		if len(st.History) != len(n.Learnable()) {
			t.Fatalf("%s: %d history blobs for %d learnable blobs", tc.state, len(st.History), len(n.Learnable()))
		}
		for i, h := range st.History {
			if !n.Learnable()[i].ShapeEquals(h) {
				t.Fatalf("%s: history %d has shape %v, the blob %s", tc.state, i, blob.ProtoShape(h), n.Learnable()[i].ShapeString())
			}
		}
	}
}

// A V1 .caffemodel (enum layer types, blobs_lr, legacy num/channels/height/width
// blob dimensions) made from Caffe's init.caffemodel loads into LeNet with the same
// weights.
func TestV1CaffemodelLoadsIntoLeNet(t *testing.T) {
	modern, err := protofile.ReadNetBinary(testutil.Path("fixtures/nets/lenet_mnist/init.caffemodel"))
	if err != nil {
		t.Fatal(err)
	}
	v1Types := map[string]caffepb.V1LayerParameter_LayerType{
		"Data": caffepb.V1LayerParameter_DATA, "Convolution": caffepb.V1LayerParameter_CONVOLUTION,
		"Pooling": caffepb.V1LayerParameter_POOLING, "InnerProduct": caffepb.V1LayerParameter_INNER_PRODUCT,
		"ReLU": caffepb.V1LayerParameter_RELU, "SoftmaxWithLoss": caffepb.V1LayerParameter_SOFTMAX_LOSS,
	}
	old := &caffepb.NetParameter{Name: modern.Name}
	for _, l := range modern.Layer {
		typ, ok := v1Types[l.GetType()]
		if !ok {
			t.Fatalf("no V1 type for %s", l.GetType())
		}
		v1 := &caffepb.V1LayerParameter{
			Name: l.Name, Type: typ.Enum(), Bottom: l.Bottom, Top: l.Top,
			ConvolutionParam: l.ConvolutionParam, PoolingParam: l.PoolingParam,
			InnerProductParam: l.InnerProductParam, DataParam: l.DataParam,
		}
		for _, b := range l.Blobs {
			shape := blob.ProtoShape(b)
			for len(shape) < 4 {
				shape = append([]int{1}, shape...)
			}
			v1.Blobs = append(v1.Blobs, &caffepb.BlobProto{
				Num: proto.Int32(int32(shape[0])), Channels: proto.Int32(int32(shape[1])),
				Height: proto.Int32(int32(shape[2])), Width: proto.Int32(int32(shape[3])),
				Data: b.Data,
			})
			v1.BlobsLr = append(v1.BlobsLr, float32(len(v1.BlobsLr)+1))
		}
		old.Layers = append(old.Layers, v1)
	}
	data, err := proto.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "lenet_v1.caffemodel")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	upgraded, err := protofile.ReadNetBinary(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(upgraded.Layers) != 0 || len(upgraded.Layer) != len(modern.Layer) {
		t.Fatalf("the V1 file was not upgraded: %d V1 layers, %d layers", len(upgraded.Layers), len(upgraded.Layer))
	}
	n := buildFixtureNet(t, lenetNet, lenetShape)
	if err := n.CopyTrainedLayersFrom(upgraded); err != nil {
		t.Fatal(err)
	}
	ref := buildFixtureNet(t, lenetNet, lenetShape)
	if err := ref.CopyTrainedLayersFrom(modern); err != nil {
		t.Fatal(err)
	}
	for i, b := range n.Learnable() {
		if err := testutil.CompareSlices(b.Data, ref.Learnable()[i].Data, 0, 0); err != nil {
			t.Fatalf("blob %d (%s): %v", i, n.ParamDisplayName(i), err)
		}
	}
}
