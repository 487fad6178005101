package network_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/netinfo"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// fixtureNets returns, for every one-layer fixture of Caffe's, a net of an Input
// layer giving the fixture's bottoms and the fixture's layer: every layer type, with
// shapes Caffe took.
func fixtureNets(f *testing.F) []string {
	paths, _ := filepath.Glob(testutil.Path("fixtures/layers/*.json"))
	var nets []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		var fx struct {
			Phase   string `json:"phase"`
			Layer   string `json:"layer"`
			Bottoms []struct {
				Name  string `json:"name"`
				Shape []int  `json:"shape"`
			} `json:"bottoms"`
		}
		if err := json.Unmarshal(data, &fx); err != nil {
			f.Fatal(err)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "name: %q\nforce_backward: true\nstate { phase: %s }\n", filepath.Base(p), fx.Phase)
		if len(fx.Bottoms) > 0 {
			b.WriteString(`layer { name: "in" type: "Input"`)
			for _, in := range fx.Bottoms {
				fmt.Fprintf(&b, " top: %q", in.Name)
			}
			b.WriteString(" input_param {")
			for _, in := range fx.Bottoms {
				b.WriteString(" shape {")
				for _, d := range in.Shape {
					fmt.Fprintf(&b, " dim: %d", d)
				}
				b.WriteString(" }")
			}
			b.WriteString(" } }\n")
		}
		b.WriteString(fx.Layer)
		nets = append(nets, b.String())
	}
	return nets
}

// readsFiles reports whether a net has a layer that reads or writes files: the
// target builds nets from any text, and such a layer could name any file.
func readsFiles(p *caffepb.NetParameter) bool {
	for _, l := range p.Layer {
		switch l.GetType() {
		case "Data", "ImageData", "HDF5Data", "HDF5Output", "WindowData", "MemoryData", "Python":
			return true
		}
		if (l.TransformParam != nil && l.TransformParam.MeanFile != nil) || (l.InfogainLossParam != nil && l.InfogainLossParam.Source != nil) {
			return true
		}
	}
	return len(p.Layers) > 0 // V1 layers left after a partial upgrade
}

// FuzzNetForwardBackward builds a net from any prototxt — parse, upgrade,
// filter, splits, in-place checks, every layer's Setup — and runs it forward and
// backward once. Any text gives an error or a pass; no layer may panic. Nets are
// kept under 128 MB (the memory limit refuses more) and 10^8 multiply-adds.
func FuzzNetForwardBackward(f *testing.F) {
	glog.SetQuiet(true)
	for _, n := range fixtureNets(f) {
		f.Add([]byte(n))
	}
	lenet, err := protofile.ReadNetText(testutil.Path("fixtures/nets/lenet_mnist/lenet_train_test.prototxt"))
	if err != nil {
		f.Fatal(err)
	}
	lenet, err = netinfo.DataLayersAsInputs(lenet, map[string][]int{"data": {2, 1, 28, 28}, "label": {2}})
	if err != nil {
		f.Fatal(err)
	}
	lenet.State = &caffepb.NetState{Phase: caffepb.Phase_TRAIN.Enum()}
	f.Add(protofile.MarshalText(lenet))

	blob.SetMemoryLimit(testutil.HeapNow() + 128<<20)
	f.Cleanup(func() { blob.SetMemoryLimit(0) })
	f.Fuzz(func(t *testing.T, text []byte) {
		p, err := protofile.ParseNetText("fuzz.prototxt", text)
		if err != nil || readsFiles(p) {
			return
		}
		// The cost first, from the shapes alone.
		var macs int64
		if err := blob.ShapesOnly(func() error {
			n, err := network.New(p, network.Options{Quiet: true})
			if err != nil {
				return err
			}
			defer n.Close()
			macs = netinfo.Summarize(n).TotalMACs
			return nil
		}); err != nil || macs > 1e8 {
			return
		}
		n, err := network.New(p, network.Options{Quiet: true})
		if err != nil {
			return
		}
		defer n.Close()
		if _, err := n.ForwardBackward(); err != nil {
			return
		}
	})
}
