package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/convert"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
)

// newUpgradeCmd builds gocaffe upgrade.
func newUpgradeCmd() *cobra.Command {
	var solver bool
	c := &cobra.Command{
		Use:   "upgrade [--solver] IN OUT",
		Short: "upgrade an old net or solver prototxt (or a .caffemodel) to the current format",
		Long: `upgrade rewrites a net or solver written for an older Caffe in the current format,
as Caffe's upgrade_net_proto_text, upgrade_net_proto_binary and
upgrade_solver_proto_text do: V0 and V1 layers, input fields, old data-transformation
fields, BatchNorm parameter specs, the solver_type enum.

IN is read as a binary NetParameter when it ends in .caffemodel, as text otherwise;
OUT is written in binary when it ends in .caffemodel, in text otherwise. OUT is
written through a temporary file, so IN may be OUT.

Exit status: 0 on success, 1 if some fields could not be upgraded (the rest is
written, as Caffe does), 2 if IN cannot be read.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			upgrade := convert.UpgradeNet
			if solver {
				upgrade = convert.UpgradeSolver
			}
			// Caffe's exit statuses; the log has said what went wrong.
			switch err := upgrade(args[0], args[1]); {
			case errors.Is(err, convert.ErrUnreadable):
				return exitError{2}
			case errors.Is(err, protofile.ErrPartialUpgrade):
				return exitError{1}
			default:
				return err
			}
		},
	}
	c.Flags().BoolVar(&solver, "solver", false, "IN is a solver prototxt (upgrade_solver_proto_text)")
	return c
}
