// Package protofile reads and writes Caffe's protocol-buffer files: net and solver
// prototxt, binary .caffemodel (NetParameter), .binaryproto (BlobProto) and
// .solverstate (SolverState) files.
//
// Nets and solvers are upgraded on load exactly as Caffe's upgrade_proto.cpp does
// (V0 and V1 layers, old data-transformation fields, input fields, BatchNorm
// parameter specs, the solver_type enum, the snapshot prefix), with Caffe's log
// messages. Text is written by a deterministic printer in field-number order, like
// C++ TextFormat. Every file is written to a temporary file in the same folder and
// renamed into place, so a failed write never leaves a half-written file.
//
// Errors name the file and the place: line:col for text, the byte offset and the
// field being read for binary files.
package protofile
