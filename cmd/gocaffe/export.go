package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/onnx"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"github.com/gocaffe/gocaffe/proto/onnxpb"
)

// newExportCmd builds gocaffe export and its one format, onnx.
func newExportCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "export onnx --model=deploy.prototxt --weights=W.caffemodel OUT.onnx",
		Short: "export a trained net to another format (ONNX)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return fmt.Errorf("export: name the format: gocaffe export onnx ...")
		},
	}
	c.AddCommand(newExportONNXCmd())
	return c
}

// exportONNXFlags are the flags of gocaffe export onnx.
type exportONNXFlags struct {
	modelFlags
	outputs string
}

// newExportONNXCmd builds gocaffe export onnx.
func newExportONNXCmd() *cobra.Command {
	f := &exportONNXFlags{}
	c := &cobra.Command{
		Use:   "onnx --model=deploy.prototxt --weights=W.caffemodel [--outputs=BLOB,...] OUT.onnx",
		Short: "export a trained net as an ONNX model (opset 13)",
		Long: fmt.Sprintf(`onnx builds the net in the TEST phase with its weights and writes it as an ONNX
model (opset %d) that computes what the net computes, for onnxruntime and the other
runtimes. Give a deploy net: its Input layers become the model's inputs, with the
prototxt's shapes, and the blobs no layer reads its outputs (named as in the net);
--outputs adds other blobs. Dropout is left out, as at test time.

The layers mapped: %s.
A layer of another type is an error naming it.`, onnx.Opset, strings.Join(onnx.Types(), ", ")),
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withName("export onnx", exportONNX(*f, args[0]))
		},
	}
	f.register(c)
	c.Flags().StringVar(&f.outputs, "outputs", "", "more blobs to expose as outputs, comma-separated")
	return c
}

func exportONNX(f exportONNXFlags, out string) error {
	if f.model == "" {
		return fmt.Errorf("give the net with --model=deploy.prototxt")
	}
	n, err := loadNet(f.model, caffepb.Phase_TEST, f.level, f.stage)
	if err != nil {
		return err
	}
	defer n.Close()
	if f.weights == "" {
		glog.Warningf("no --weights: the model gets the weights the prototxt's fillers make")
	}
	for _, w := range strings.Split(f.weights, ",") {
		if w == "" {
			continue
		}
		if err := n.CopyTrainedLayersFromFile(w); err != nil {
			return err
		}
	}
	m, err := onnx.Export(n, onnx.Options{ProducerVersion: readBuildInfo().version, Outputs: stages(f.outputs)})
	if err != nil {
		return fmt.Errorf("%s: %w", f.model, err)
	}
	if err := protofile.WriteBinary(out, m); err != nil {
		return err
	}
	glog.Infof("Wrote %s: %d nodes, %d weight tensors, inputs %s, outputs %s", out, len(m.Graph.Node),
		len(m.Graph.Initializer), names(m.Graph.Input), names(m.Graph.Output))
	return nil
}

// names lists the names of graph values.
func names(vs []*onnxpb.ValueInfoProto) string {
	var s []string
	for _, v := range vs {
		s = append(s, v.GetName())
	}
	return strings.Join(s, ",")
}
