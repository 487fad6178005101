package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/network"
)

// gradcheckFlags are the flags of gocaffe gradcheck.
type gradcheckFlags struct {
	model, layer    string
	seed            uint32
	samples         int
	step, threshold float32
	shapes          []string
	state           netStateFlags
	numerics        string
}

// newGradcheckCmd builds gocaffe gradcheck.
func newGradcheckCmd(g *globalFlags) *cobra.Command {
	f := &gradcheckFlags{}
	c := &cobra.Command{
		Use:   "gradcheck --model=NET.prototxt [--layer=NAME] [--seed=N]",
		Short: "check every layer's backward pass against finite differences",
		Long: `gradcheck runs Caffe's gradient checker on the layers of a net (built in the TRAIN
phase unless --phase says otherwise): central finite differences of ½Σ top² against
what each layer's Backward computes, for every bottom that takes a gradient and
every parameter, with the step and threshold Caffe's own test of that layer type
uses. The net's inputs are filled with unit gaussian draws,
except blobs that end up as labels, which get integers in [0, classes).

It is what you run after writing a new layer. It prints the largest error of each
layer and blob and exits with status 1 if any layer fails. Data layers only give
shapes: from --shape, from their own parameters, or from the first record of their
database; no data is read through them.`,
		Args: positionalHint("model"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGradcheck(cmd, g, f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "", "the net prototxt")
	fl.StringVar(&f.layer, "layer", "", "check only this layer")
	fl.Uint32Var(&f.seed, "seed", 1701, "seed of the random inputs and of the layers' random sources")
	fl.IntVar(&f.samples, "samples", 200, "compare at most this many elements of each blob (0: all)")
	fl.Float32Var(&f.step, "step", 0, "finite-difference step (default: what Caffe's test of each layer type uses)")
	fl.Float32Var(&f.threshold, "threshold", 0, "relative tolerance (default: what Caffe's test of each layer type uses)")
	fl.StringArrayVar(&f.shapes, "shape", nil, "BLOB=N,C,H,W: the shape of a data or Input layer's top (repeatable)")
	f.state.register(c, "TRAIN")
	addNumericsFlag(c, &f.numerics)
	return c
}

// runGradcheck runs gocaffe gradcheck with the flags f, printing on cmd's output.
func runGradcheck(cmd *cobra.Command, g *globalFlags, f *gradcheckFlags) error {
	if err := g.applyNumerics(f.numerics); err != nil {
		return err
	}
	r := rng.New(f.seed)
	n, _, err := f.state.buildShapeOnly(f.model, f.shapes, network.Options{RNG: r})
	if err != nil {
		return err
	}
	defer n.Close()
	gradcheck.FillInputs(n, r)
	results, err := gradcheck.CheckNet(n, gradcheck.NetOptions{
		Layer: f.layer, Seed: f.seed, MaxPerBlob: f.samples, Step: f.step, Threshold: f.threshold,
	})
	if err != nil {
		return fmt.Errorf("%s: %w", f.model, err)
	}
	w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "layer\ttype\tblob\tchecked\tmax |error|\terror/tolerance\tresult")
	failed := 0
	for _, r := range results {
		if r.Skipped != "" {
			fmt.Fprintf(w, "%s\t%s\t\t\t\t\tskipped: %s\n", r.Layer, r.Type, r.Skipped)
			continue
		}
		if r.Failed() {
			failed++
		}
		for _, b := range r.Report.Blobs {
			verdict := "ok"
			for _, m := range r.Report.Mismatches {
				if m.Blob == b.Blob {
					verdict = "FAIL"
				}
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%.3g\t%.3g\t%s\n", r.Layer, r.Type, b.Blob, b.Checked, b.MaxError, b.MaxRatio, verdict)
		}
	}
	w.Flush()
	for _, r := range results {
		if r.Failed() {
			fmt.Fprintf(cmd.OutOrStdout(), "\nlayer %q: %v\n", r.Layer, r.Report.Err())
		}
	}
	if failed > 0 {
		fmt.Fprintf(cmd.OutOrStdout(), "\n%d of %d layers FAILED the gradient check\n", failed, len(results))
		return exitError{1}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "\nall %d layers passed\n", len(results))
	return nil
}
