package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
)

const numericsHelp = `how to compute: fast (the default: any summation order that is faster,
deterministic for a given machine and thread count) or caffe (the reference Caffe
build's numbers, bit for bit)`

// addNumericsFlag gives c, a command that computes with a net, the --numerics flag,
// stored in name.
func addNumericsFlag(c *cobra.Command, name *string) {
	c.Flags().StringVar(name, "numerics", numerics.Fast.String(), numericsHelp)
}

// applyNumerics sets the process's numerics to name and logs it as the log header's
// last line, after the threads (those the command line chose).
func (g *globalFlags) applyNumerics(name string) error {
	m, err := numerics.Parse(name)
	if err != nil {
		return fmt.Errorf("--numerics: %w", err)
	}
	numerics.Set(m)
	g.threads.log()
	gemm, _ := blas.Current()
	glog.Infof("Numerics: %s (matrix product: %s)", m, gemm)
	return nil
}
