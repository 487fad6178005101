package convert

import (
	"errors"
	"path/filepath"
	"strings"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// ErrUnreadable is what UpgradeNet and UpgradeSolver return when their input cannot
// be read as what it should hold. They have logged why, as Caffe's tools do, which
// then exit with status 2.
var ErrUnreadable = errors.New("the input cannot be read")

// isBinaryNet reports whether a file name is that of a binary net.
func isBinaryNet(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".caffemodel")
}

// UpgradeNet rewrites the net in, written for an older Caffe, in the current format
// to out, as Caffe's upgrade_net_proto_text and upgrade_net_proto_binary do. A file
// ending in .caffemodel is read or written as a binary NetParameter, any other as
// text; out is written through a temporary file, so in may be out. It returns
// ErrUnreadable when in cannot be read, and protofile.ErrPartialUpgrade when some
// fields could not be upgraded (the rest is written, as Caffe does).
func UpgradeNet(in, out string) error {
	p := &caffepb.NetParameter{}
	format, read := "text", protofile.ReadText
	if isBinaryNet(in) {
		format, read = "binary", protofile.ReadBinary
	}
	if err := read(in, p); err != nil {
		glog.Errorf("Failed to parse input %s file as NetParameter: %v", format, err)
		return ErrUnreadable
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
		return protofile.ErrPartialUpgrade
	}
	return nil
}

// UpgradeSolver rewrites the solver prototxt in, written for an older Caffe, in the
// current format to out, as Caffe's upgrade_solver_proto_text does. It returns
// ErrUnreadable when in cannot be read.
func UpgradeSolver(in, out string) error {
	p := &caffepb.SolverParameter{}
	if err := protofile.ReadText(in, p); err != nil {
		glog.Errorf("Failed to parse input text file as SolverParameter: %v", err)
		return ErrUnreadable
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
