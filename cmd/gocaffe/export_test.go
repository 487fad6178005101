package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/onnxpb"
)

// TestExportONNX writes LeNet as ONNX and reads the file back. (That onnxruntime computes
// what gocaffe computes is internal/onnx's TestOnnxRuntime.)
func TestExportONNX(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lenet.onnx")
	log, err := gocaffe(t, "export", "onnx", "--model="+testutil.Path("caffe-examples/examples/mnist/lenet.prototxt"),
		"--weights="+testutil.Path("fixtures/realworld/ethereon_lenet_iter_10000.caffemodel"), "--outputs=ip1", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log, "inputs data, outputs prob,ip1") {
		t.Errorf("no summary line in\n%s", log)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, n := range m.GetGraph().GetNode() {
		ops = append(ops, n.GetOpType())
	}
	want := "Conv MaxPool Conv MaxPool Reshape Gemm Relu Gemm Softmax"
	if got := strings.Join(ops, " "); got != want {
		t.Errorf("nodes %q, want %q", got, want)
	}
	if m.GetOpsetImport()[0].GetVersion() != 13 || m.GetProducerName() != "gocaffe" || len(m.GetGraph().GetInitializer()) < 8 {
		t.Errorf("model header: %v, %d initializers", m.GetOpsetImport(), len(m.GetGraph().GetInitializer()))
	}
}

func TestExportONNXErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.onnx")
	lenet := "--model=" + testutil.Path("caffe-examples/examples/mnist/lenet.prototxt")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "onnx", out}, "--model"},
		{[]string{"export", "onnx", lenet, "--weights=" + filepath.Join(dir, "none.caffemodel"), out}, "none.caffemodel"},
		{[]string{"export", "onnx", lenet, "--outputs=fc7", out}, `no blob "fc7"`},
		{[]string{"export", "onnx", "--model=" + testutil.Path("fixtures/nets/timing/cifar10_full_train_test.prototxt"), out},
			"cifar10_full_train_test.prototxt"},
		{[]string{"export", "xml"}, "unknown command"},
	} {
		_, err := gocaffe(t, tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.args[1:], err, tt.want)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed export left a file behind")
	}
}
