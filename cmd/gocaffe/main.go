// Command gocaffe is a Caffe-compatible deep-learning trainer for the CPU.
//
// It reads what Caffe reads (solver and net prototxt, .caffemodel, .solverstate,
// LMDB and LevelDB databases of Datum records) and writes what Caffe writes, with the
// commands of Caffe's tools: train, test, time, convert, mean, upgrade, classify,
// extract_features; and a few of its own: summary, draw, gradcheck, plot, export onnx.
//
// The package holds the commands only — their flags, the wiring and the output; the
// work is done by the packages under internal/. newRootCmd builds the command tree
// afresh for every run.
package main

import (
	"os"
)

func main() {
	os.Exit(run(newRootCmd(), os.Args[1:]))
}
