package main

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"github.com/spf13/cobra"
)

var upgradeSolverFlag bool

var upgradeCmd = &cobra.Command{
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
		// Flags keep their values across runs in one process (tests); reset them.
		defer func() { upgradeSolverFlag = false }()
		if upgradeSolverFlag {
			return upgradeSolverFile(args[0], args[1])
		}
		return upgradeNetFile(args[0], args[1])
	},
}

func init() {
	upgradeCmd.Flags().BoolVar(&upgradeSolverFlag, "solver", false, "IN is a solver prototxt (upgrade_solver_proto_text)")
	addCommand(upgradeCmd)
}

// isBinaryNet reports whether a file name is that of a binary net.
func isBinaryNet(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".caffemodel")
}

func upgradeNetFile(in, out string) error {
	p := &caffepb.NetParameter{}
	format, read := "text", protofile.ReadText
	if isBinaryNet(in) {
		format, read = "binary", protofile.ReadBinary
	}
	if err := read(in, p); err != nil {
		glog.Errorf("Failed to parse input %s file as NetParameter: %v", format, err)
		return exitError{2}
	}
	partial := false
	if protofile.NetNeedsUpgrade(p) {
		_, err := protofile.UpgradeNet(p, in)
		switch {
		case errors.Is(err, protofile.ErrPartialUpgrade):
			partial = true
			glog.Errorf("Encountered error(s) while upgrading prototxt; see details above.")
		case err != nil:
			return err
		}
	} else {
		// Caffe's tool logs this as an error; nothing is wrong, so it is information here.
		glog.Infof("File already in latest proto format: %s", in)
	}
	format, write := "text", protofile.WriteText
	if isBinaryNet(out) {
		format, write = "binary", protofile.WriteBinary
	}
	if err := write(out, p); err != nil {
		return err
	}
	glog.Infof("Wrote upgraded NetParameter %s proto to %s", format, out)
	if partial {
		return exitError{1}
	}
	return nil
}

func upgradeSolverFile(in, out string) error {
	p := &caffepb.SolverParameter{}
	if err := protofile.ReadText(in, p); err != nil {
		glog.Errorf("Failed to parse input text file as SolverParameter: %v", err)
		return exitError{2}
	}
	if protofile.SolverNeedsUpgrade(p) {
		if _, err := protofile.UpgradeSolver(p, in); err != nil {
			return err
		}
	} else {
		glog.Infof("File already in latest proto format: %s", in)
	}
	if err := protofile.WriteText(out, p); err != nil {
		return err
	}
	glog.Infof("Wrote upgraded SolverParameter text proto to %s", out)
	return nil
}
