package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/net"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

var summaryFlags struct {
	model  string
	shapes []string
	json   bool
	state  netStateFlags
}

var summaryCmd = &cobra.Command{
	Use:   "summary --model=NET.prototxt [--phase=TRAIN|TEST] [--shape=BLOB=N,C,H,W ...] [--json]",
	Short: "print a net's layers, shapes, parameters and multiply-adds",
	Long: `summary builds a net as Caffe would and prints one row per layer — name, type,
blobs, top shapes, parameters and multiply-adds — and the totals, with the Split
layers Caffe inserts. It computes shapes only, so a net of any size is described
without the memory it would need, and it never opens a database: data layers (Data,
ImageData, HDF5Data, WindowData, MemoryData) only give shapes, from --shape or from
their own parameters where those fix them. --shape also overrides an Input layer's
shapes.

  gocaffe summary --model=lenet_train_test.prototxt --phase=TEST \
      --shape=data=100,1,28,28 --shape=label=100`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, args []string) error {
		f := &summaryFlags
		// Shapes only: a net of any size is described without the memory it needs.
		var s *net.Summary
		var param *caffepb.NetParameter
		err := blob.ShapesOnly(func() (err error) {
			defer func() {
				// A layer that reads values while it works out shapes would find none:
				// a bug to report, not a crash.
				if r := recover(); r != nil {
					err = fmt.Errorf("%s: a layer needed values to work out its shapes (%v); please report this to gocaffe's authors", f.model, r)
				}
			}()
			n, p, err := f.state.buildShapeOnly(f.model, f.shapes, net.Options{})
			if err != nil {
				return err
			}
			defer n.Close()
			s, param = n.Summarize(), p
			return nil
		})
		if err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		if f.json {
			enc := json.NewEncoder(out)
			enc.SetIndent("", "  ")
			return enc.Encode(s)
		}
		fmt.Fprintf(out, "%s (%s)\n\n%s", displayName(s.Name), param.GetState().GetPhase(), s.FormatTable())
		return nil
	},
}

func displayName(name string) string {
	if name == "" {
		return "(unnamed net)"
	}
	return name
}

func init() {
	f := summaryCmd.Flags()
	f.StringVar(&summaryFlags.model, "model", "", "the net prototxt")
	f.StringArrayVar(&summaryFlags.shapes, "shape", nil, "BLOB=N,C,H,W: the shape of a data or Input layer's top (repeatable)")
	f.BoolVar(&summaryFlags.json, "json", false, "print JSON instead of a table")
	summaryFlags.state.register(summaryCmd, "TEST")
	addCommand(summaryCmd)
}
