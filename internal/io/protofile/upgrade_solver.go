package protofile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// SolverNeedsUpgrade reports whether p uses the deprecated solver_type enum.
func SolverNeedsUpgrade(p *caffepb.SolverParameter) bool { return p.SolverType != nil }

// solverTypeNames are the type strings of the deprecated solver_type enums.
var solverTypeNames = map[caffepb.SolverParameter_SolverType]string{
	caffepb.SolverParameter_SGD:      "SGD",
	caffepb.SolverParameter_NESTEROV: "Nesterov",
	caffepb.SolverParameter_ADAGRAD:  "AdaGrad",
	caffepb.SolverParameter_RMSPROP:  "RMSProp",
	caffepb.SolverParameter_ADADELTA: "AdaDelta",
	caffepb.SolverParameter_ADAM:     "Adam",
}

// UpgradeSolver replaces the deprecated solver_type enum of p by the type string, as
// Caffe's UpgradeSolverAsNeeded does, logging Caffe's messages with source as the file
// name. changed reports whether p was rewritten. Like Caffe, it refuses a solver that
// sets both solver_type and type.
func UpgradeSolver(p *caffepb.SolverParameter, source string) (changed bool, err error) {
	if !SolverNeedsUpgrade(p) {
		return false, nil
	}
	glog.Infof("Attempting to upgrade input file specified using deprecated 'solver_type' field (enum)': %s", source)
	if p.Type != nil {
		return false, fmt.Errorf("%s: failed to upgrade solver: old solver_type field (enum) and new type field (string) cannot be both specified in solver proto text", source)
	}
	name, known := solverTypeNames[p.GetSolverType()]
	if !known {
		return false, fmt.Errorf("%s: unknown SolverParameter solver_type %d", source, p.GetSolverType())
	}
	p.Type = proto.String(name)
	p.SolverType = nil
	glog.Infof("Successfully upgraded file specified using deprecated 'solver_type' field (enum) to 'type' field (string).")
	glog.Warningf("Note that future Caffe releases will only support 'type' field (string) for a solver's type.")
	return true, nil
}

// UpgradeSnapshotPrefix fills in the snapshot prefix from the solver file's path as
// Caffe's UpgradeSnapshotPrefixProperty does: with no snapshot_prefix, the solver's
// path without its extension; with a prefix naming an existing folder, that folder
// followed by the solver file's name without its extension.
func UpgradeSnapshotPrefix(p *caffepb.SolverParameter, solverPath string) {
	stem := strings.TrimSuffix(filepath.Base(solverPath), filepath.Ext(solverPath))
	if p.SnapshotPrefix == nil {
		p.SnapshotPrefix = proto.String(strings.TrimSuffix(solverPath, filepath.Ext(solverPath)))
		glog.Infof("snapshot_prefix was not specified and is set to %s", p.GetSnapshotPrefix())
		return
	}
	prefix := p.GetSnapshotPrefix()
	if fi, err := os.Stat(prefix); err == nil && fi.IsDir() {
		if !strings.HasSuffix(prefix, string(filepath.Separator)) {
			prefix += string(filepath.Separator)
		}
		p.SnapshotPrefix = proto.String(prefix + stem)
		glog.Infof("snapshot_prefix was a directory and is replaced to %s", p.GetSnapshotPrefix())
	}
}
