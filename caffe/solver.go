package caffe

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/solver"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// SolverOptions say how a Solver starts.
type SolverOptions struct {
	// Weights are .caffemodel files the train and test nets start from (fine-tuning):
	// Caffe's train -weights. They replace the solver file's own weights field.
	Weights []string
}

// Solver trains a net as a solver prototxt describes: Caffe's SGD, Nesterov, AdaGrad,
// RMSProp, AdaDelta and Adam, its learning-rate policies, test nets and snapshots.
type Solver struct {
	s *solver.Solver
}

// NewSolver reads a solver prototxt (paths inside it are relative to the working
// directory, as in Caffe) and builds its train and test nets: pycaffe's
// caffe.get_solver(file).
func NewSolver(solverFile string, opts SolverOptions) (*Solver, error) {
	return fromFile(solverFile, protofile.ReadSolverText, func(p *caffepb.SolverParameter) (*Solver, error) {
		return NewSolverFromParam(p, opts)
	})
}

// NewSolverFromParam builds the solver a SolverParameter describes (snapshot_prefix
// already resolved, as protofile.ReadSolverText leaves it); param is not modified.
func NewSolverFromParam(param *caffepb.SolverParameter, opts SolverOptions) (*Solver, error) {
	param = proto.Clone(param).(*caffepb.SolverParameter)
	if len(opts.Weights) > 0 {
		param.Weights = append([]string(nil), opts.Weights...)
	}
	s, err := solver.New(param, solver.Options{})
	if err != nil {
		return nil, err
	}
	return &Solver{s: s}, nil
}

// Step runs n training iterations: forward, backward and update, with the solver's
// display, test and snapshot schedule.
func (s *Solver) Step(n int) error {
	if n < 0 {
		return fmt.Errorf("caffe: Step(%d): the number of iterations must not be negative", n)
	}
	return s.s.Step(n)
}

// Solve trains until the solver's max_iter, as caffe train does (with the final
// snapshot and test).
func (s *Solver) Solve() error { return s.s.Solve() }

// Iter is the number of iterations done.
func (s *Solver) Iter() int { return s.s.Iter() }

// Net is the train net. It belongs to the solver: do not Close it.
func (s *Solver) Net() *Net { return &Net{n: s.s.Net()} }

// TestNets are the test nets, which share the train net's weights.
func (s *Solver) TestNets() []*Net {
	var out []*Net
	for _, n := range s.s.TestNets() {
		out = append(out, &Net{n: n})
	}
	return out
}

// Snapshot writes the train net's weights and the solver's state under the solver's
// snapshot_prefix, in its snapshot_format, and returns nothing else: the file names
// are <prefix>_iter_<Iter>.caffemodel and .solverstate.
func (s *Solver) Snapshot() error { return s.s.Snapshot() }

// Restore continues from a snapshot's solver state, as caffe train -snapshot does.
func (s *Solver) Restore(state string) error { return s.s.Restore(state) }

// Close releases the nets' data layers.
func (s *Solver) Close() error { return s.s.Close() }
