package netinfo

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func TestShortenArrow(t *testing.T) {
	for _, tt := range []struct {
		bottoms, tops string
		width         int
		want          string
	}{
		{"data", "conv1", 20, "data → conv1"},
		{"data", "conv1", 12, "data → conv1"},
		{"pool1/3x3_s2", "conv2/3x3_reduce", 20, "pool1/3x… → conv2/3…"},
		{"a,b,c,inception_3a/pool_proj", "inception_3a/output", 24, "a,b,c,ince… → inception…"},
		{"x", "inception_3a/output", 16, "x → inception_3…"},
	} {
		got := shortenArrow(tt.bottoms, tt.tops, tt.width)
		if got != tt.want || len([]rune(got)) > tt.width {
			t.Errorf("shortenArrow(%q, %q, %d) = %q, want %q", tt.bottoms, tt.tops, tt.width, got, tt.want)
		}
	}
}

func TestMegabytes(t *testing.T) {
	for _, tt := range []struct {
		b    int64
		want string
	}{{0, ""}, {4, "<0.01"}, {4999, "<0.01"}, {5000, "0.01"}, {1724320, "1.72"}, {8086808, "8.09"}} {
		if got := megabytes(tt.b); got != tt.want {
			t.Errorf("megabytes(%d) = %q, want %q", tt.b, got, tt.want)
		}
	}
}

// TestSummaryMemory: the activation memory is the net's own "Memory required for
// data" line (Caffe's count: every top, in-place ones again), and HideSplits names
// the split copies after the blob they copy.
func TestSummaryMemory(t *testing.T) {
	var log bytes.Buffer
	defer glog.SetOutput(glog.SetOutput(&log))
	n, err := network.New(parseNet(t, `name: "mlp"
layer { name: "data" type: "Input" top: "data" top: "label" input_param { shape { dim: 4 dim: 6 } shape { dim: 4 } } }
layer { name: "ip1" type: "InnerProduct" bottom: "data" top: "ip1" inner_product_param { num_output: 5 } }
layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
layer { name: "ip2" type: "InnerProduct" bottom: "ip1" top: "ip2" inner_product_param { num_output: 3 } }
layer { name: "ip_aux" type: "InnerProduct" bottom: "ip1" top: "aux" inner_product_param { num_output: 2 } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip2" bottom: "label" top: "loss" }`, caffepb.Phase_TRAIN), network.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	s := Summarize(n)
	m := regexp.MustCompile(`Memory required for data: (\d+)\n`).FindAllStringSubmatch(log.String(), -1)
	if len(m) == 0 {
		t.Fatal("no memory line in the log")
	}
	if want, _ := strconv.ParseInt(m[len(m)-1][1], 10, 64); s.ActivationBytes != want {
		t.Errorf("activation memory %d, the net's log says %d", s.ActivationBytes, want)
	}
	if s.ParamBytes != 4*(35+18+12) {
		t.Errorf("parameter memory %d, want %d", s.ParamBytes, 4*(35+18+12))
	}
	s.HideSplits()
	var rows []string
	for _, l := range s.Layers {
		rows = append(rows, l.Name+":"+strings.Join(l.Bottoms, ","))
	}
	if got := strings.Join(rows, " "); got != "data: ip1:data relu1:ip1 ip2:ip1 ip_aux:ip1 loss:ip2,label" {
		t.Errorf("rows without splits: %s", got)
	}
}
