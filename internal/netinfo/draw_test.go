package netinfo

import (
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func TestDraw(t *testing.T) {
	p := parseNet(t, `name: "tiny"
layer { name: "mnist" type: "Data" top: "data" top: "label" include { phase: TRAIN } data_param { batch_size: 64 } }
layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 20 kernel_size: 5 stride: 2 pad: 1 } }
layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: AVE kernel_size: 3 stride: 2 } }
layer { name: "acc" type: "Accuracy" bottom: "pool1" bottom: "label" top: "acc" include { phase: TEST } }`, caffepb.Phase_TRAIN)
	dot, err := Draw(p, DrawOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`digraph "tiny" {`, "rankdir=LR;",
		`"conv1_Convolution" [label="conv1\n(Convolution)\nkernel size: 5\nstride: 2\npad: 1", shape=record, style=filled, fillcolor="#FF5050"];`,
		`"relu1_ReLU" [label="relu1\n(ReLU)", shape=record, style=filled, fillcolor="#90EE90"];`,
		`"pool1_Pooling" [label="pool1\n(Pooling AVE)\nkernel size: 3\nstride: 2\npad: 0"`,
		`"conv1_blob" [label="conv1", shape=octagon`,
		`"mnist_Data" -> "data_blob" [label="Batch 64"];`,
		`"conv1_Convolution" -> "conv1_blob" [label="20"];`,
		`"conv1_blob" -> "relu1_ReLU";`, `"relu1_ReLU" -> "conv1_blob";`,
		`"acc_Accuracy"`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %s\n%s", want, dot)
		}
	}
	if strings.Count(dot, `"conv1_blob" [label="conv1", shape`) != 1 {
		t.Error("a blob must be declared once")
	}
	train := caffepb.Phase_TRAIN
	dot, _ = Draw(p, DrawOptions{Phase: &train, RankDir: "tb"})
	if strings.Contains(dot, "acc_Accuracy") || !strings.Contains(dot, "rankdir=TB;") || !strings.Contains(dot, `label="conv1 (Convolution) kernel size: 5`) {
		t.Errorf("TRAIN, top to bottom:\n%s", dot)
	}
	if _, err := Draw(p, DrawOptions{RankDir: "UP"}); err == nil {
		t.Error("rankdir UP accepted")
	}
}
