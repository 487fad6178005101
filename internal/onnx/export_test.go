package onnx

import (
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func TestExportErrors(t *testing.T) {
	for _, tt := range []struct {
		name, prototxt, want string
	}{
		{"no ONNX equivalent", `layer { name: "in" type: "Input" top: "x" top: "y" input_param { shape { dim: 2 dim: 3 } shape { dim: 2 } } }
			layer { name: "loss" type: "SoftmaxWithLoss" bottom: "x" bottom: "y" top: "loss" }`,
			`layer "loss" (SoftmaxWithLoss): no ONNX equivalent`},
		{"no input", `layer { name: "d" type: "DummyData" top: "x" dummy_data_param { shape { dim: 2 dim: 3 } } }
			layer { name: "relu" type: "ReLU" bottom: "x" top: "y" }`, `layer "d" (DummyData)`},
		{"LRN within channel", `layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 1 dim: 3 dim: 4 dim: 4 } } }
			layer { name: "lrn" type: "LRN" bottom: "x" top: "y" lrn_param { norm_region: WITHIN_CHANNEL } }`, "WITHIN_CHANNEL"},
		{"stochastic pooling", `layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 1 dim: 3 dim: 4 dim: 4 } } }
			layer { name: "pool" type: "Pooling" bottom: "x" top: "y" pooling_param { pool: STOCHASTIC kernel_size: 2 } }`, "stochastic"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := protofile.ParseNetText(tt.name, []byte(tt.prototxt))
			if err != nil {
				t.Fatal(err)
			}
			p.State = &caffepb.NetState{Phase: caffepb.Phase_TEST.Enum()}
			n, err := network.New(p, network.Options{Quiet: true})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			if _, err := Export(n, Options{}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}
