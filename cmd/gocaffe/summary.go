package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/netinfo"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// summaryFlags are the flags of gocaffe summary.
type summaryFlags struct {
	model  string
	shapes []string
	json   bool
	splits bool
	width  int
	state  netStateFlags
}

// newSummaryCmd builds gocaffe summary.
func newSummaryCmd() *cobra.Command {
	f := &summaryFlags{}
	c := &cobra.Command{
		Use:   "summary --model=NET.prototxt [--phase=TRAIN|TEST] [--shape=BLOB=N,C,H,W ...] [--splits] [--json]",
		Short: "print a net's layers, shapes, parameters and multiply-adds",
		Long: `summary builds a net as Caffe would (in the TEST phase unless --phase says
otherwise) and prints one row per layer — name, type, blobs, top shapes,
parameters, the memory of the parameters and of the tops, and multiply-adds — and
the totals. The activation memory is Caffe's "Memory required for data" for the
net. The table leaves out the Split layers Caffe inserts unless --splits (--json
has every layer); on a terminal the table is fitted to its width by shortening
the bottoms → tops column (--width sets the width, 0 the terminal's). It computes
shapes only, so a net of any size is described without the memory it would need.

Data layers are only sources of shapes: from --shape, from their own parameters
where those fix them, or else from the first record of a Data layer's database
(the first image of an ImageData layer's list), transformed as the layer would —
so a train_test net needs no --shape once its databases exist. --shape also
overrides an Input layer's shapes.

  gocaffe summary --model=models/lenet/lenet_train_test.prototxt
  gocaffe summary --model=lenet_train_test.prototxt --phase=TEST \
      --shape=data=100,1,28,28 --shape=label=100`,
		Args: positionalHint("model"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSummary(cmd, f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "", "the net prototxt")
	fl.StringArrayVar(&f.shapes, "shape", nil, "BLOB=N,C,H,W: the shape of a data or Input layer's top (repeatable)")
	fl.BoolVar(&f.json, "json", false, "print JSON instead of a table")
	fl.BoolVar(&f.splits, "splits", false, "show the Split layers Caffe inserts")
	fl.IntVar(&f.width, "width", 0, "fit the table in this many columns (0: the terminal's width; no limit when not a terminal)")
	f.state.register(c, "TEST")
	return c
}

// keepDataTypes gives the data layers of a summary, which buildShapeOnly turned into
// Input layers, their own types back.
func keepDataTypes(s *netinfo.Summary, param *caffepb.NetParameter) {
	types := map[string]string{}
	for _, l := range param.Layer {
		if netinfo.IsDataLayer(l.GetType()) {
			types[l.GetName()] = l.GetType()
		}
	}
	for i, l := range s.Layers {
		if t, ok := types[l.Name]; ok && l.Type == "Input" {
			s.Layers[i].Type = t
		}
	}
}

// terminalWidth is the width of w when it is a terminal, else 0 (no limit).
func terminalWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}

func displayName(name string) string {
	if name == "" {
		return "(unnamed net)"
	}
	return name
}

// runSummary runs gocaffe summary with the flags f, printing on cmd's output.
func runSummary(cmd *cobra.Command, f *summaryFlags) error {
	// Shapes only: a net of any size is described without the memory it needs.
	var s *netinfo.Summary
	var param *caffepb.NetParameter
	err := blob.ShapesOnly(func() (err error) {
		defer func() {
			// A layer that reads values while it works out shapes would find none:
			// a bug to report, not a crash.
			if r := recover(); r != nil {
				err = fmt.Errorf("%s: a layer needed values to work out its shapes (%v); please report this to gocaffe's authors", f.model, r)
			}
		}()
		n, p, err := f.state.buildShapeOnly(f.model, f.shapes, network.Options{})
		if err != nil {
			return err
		}
		defer n.Close()
		s, param = netinfo.Summarize(n), p
		return nil
	})
	if err != nil {
		return err
	}
	keepDataTypes(s, param)
	out := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	if !f.splits {
		s.HideSplits()
	}
	width := f.width
	if width == 0 {
		width = terminalWidth(out)
	}
	fmt.Fprintf(out, "%s (%s)\n\n%s", displayName(s.Name), param.GetState().GetPhase(), s.Table(netinfo.TableOptions{Width: width}))
	return nil
}
