package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/solver"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// trainFlags are the flags of gocaffe train, Caffe's names and defaults.
type trainFlags struct {
	solver, weights, snapshot  string
	gpu                        string
	stage                      []string
	level                      int
	sigintEffect, sighupEffect string
	sigtermEffect              string
	onNaN                      string
	numerics                   string
	numericsSet                bool // --numerics was given (a resume otherwise keeps the snapshot's)
	progress                   string
	mpiTimeout                 time.Duration // under mpirun (train_mpi.go)
}

// newTrainCmd builds gocaffe train.
func newTrainCmd(g *globalFlags) *cobra.Command {
	f := &trainFlags{}
	c := &cobra.Command{
		Use:   "train --solver=SOLVER.prototxt [--weights=A.caffemodel[,B.caffemodel] | --snapshot=S.solverstate]",
		Short: "train a net from a solver prototxt",
		Long: `train runs the solver a solver prototxt describes, as "caffe train" does: the same
updates, test passes, snapshots and log lines (on stderr), so that Caffe's
parse_log.py and plot_training_log.py read the log.

The train net is built in the TRAIN phase and the test nets in the TEST phase, as in
Caffe (the solver's train_state and test_state, and --level and --stage for the
train net, refine them).

--weights fine-tunes from one or more .caffemodel files (comma-separated, copied by
layer name in order); --snapshot resumes from a .solverstate. A .solverstate written
by gocaffe also holds where the data layers stood and the state of the random
sources, so the resumed run continues exactly as the uninterrupted run would have;
one written by Caffe resumes as Caffe resumes it (data from the first record).

A NaN or infinite loss or parameter stops training with an error naming the
iteration and the first layer and blob that went non-finite, and writes no
snapshot, so the last good one stays the latest; --on_nan=continue trains on as
Caffe does.

--numerics=fast (the default) computes as fast as gocaffe can; --numerics=caffe gives
the numbers of Caffe's reference build (Caffe with OpenBLAS), bit for bit. The
.solverstate records which, and --snapshot resumes in it unless --numerics says
otherwise.

SIGINT, SIGTERM and SIGHUP stop the run or write a snapshot, as --sigint_effect,
--sigterm_effect and --sighup_effect say (stop, snapshot or none): by default
SIGINT and SIGTERM (what docker stop, Slurm and systemd send) stop after a
snapshot, and SIGHUP writes one and goes on. Paths in the solver and net files are
relative to the working directory, as in Caffe.`,
		Args: positionalHint("solver"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.numericsSet = cmd.Flags().Changed("numerics")
			return train(g, *f, cmd.Flags().Changed("level"))
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.solver, "solver", "", "the solver prototxt")
	fl.StringVar(&f.weights, "weights", "", "pretrained weights to fine-tune from: .caffemodel files, comma-separated (not with --snapshot)")
	fl.StringVar(&f.snapshot, "snapshot", "", "a .solverstate to resume training from (not with --weights)")
	fl.StringVar(&f.gpu, "gpu", "", "accepted for Caffe's scripts; gocaffe runs on the CPU")
	fl.IntVar(&f.level, "level", 0, "the train net's NetState level (overrides the solver's train_state level)")
	addStageFlag(c, &f.stage)
	fl.StringVar(&f.sigintEffect, "sigint_effect", "stop", "what SIGINT does: stop, snapshot or none")
	fl.StringVar(&f.sighupEffect, "sighup_effect", "snapshot", "what SIGHUP does: stop, snapshot or none")
	fl.StringVar(&f.sigtermEffect, "sigterm_effect", "stop", "what SIGTERM (docker stop, Slurm, systemd) does: stop, snapshot or none")
	fl.StringVar(&f.onNaN, "on_nan", "stop", "what a NaN or infinite loss or parameter does: stop (with an error, no snapshot) or continue (as Caffe)")
	addNumericsFlag(c, &f.numerics)
	addProgressFlag(c, &f.progress)
	addMPIFlags(c, f)
	return c
}

// stages splits Caffe's -stage flag.
func stages(flag string) []string {
	var out []string
	for _, s := range strings.Split(flag, ",") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// useCPU logs Caffe's "Use CPU." after a warning when a GPU was asked for.
func useCPU(gpu string, solverMode *caffepb.SolverParameter) {
	switch {
	case gpu != "":
		glog.Warningf("gocaffe computes on the CPU only: ignoring --gpu=%s", gpu)
	case solverMode != nil && solverMode.SolverMode != nil && solverMode.GetSolverMode() == caffepb.SolverParameter_GPU:
		glog.Warningf("gocaffe computes on the CPU only: ignoring solver_mode: GPU")
	}
	glog.Infof("Use CPU.")
}

// train runs gocaffe train with the flags f.
func train(g *globalFlags, f trainFlags, levelSet bool) (err error) {
	ranks, err := joinRanks(f.mpiTimeout) // under mpirun: this rank's part (train_mpi.go)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer func() { err = ranks.finish(err) }()
	if f.solver == "" {
		return errors.New("train: need a solver definition to train (--solver)")
	}
	if f.snapshot != "" && f.weights != "" {
		return errors.New("train: give a snapshot to resume training or weights to finetune but not both")
	}
	if f.weights != "" {
		if _, err := solver.WeightsList(f.weights); err != nil {
			return fmt.Errorf("train: --%w", err)
		}
	}
	sigint, err := solver.ParseAction(f.sigintEffect)
	if err != nil {
		return fmt.Errorf("train: --sigint_effect: %w", err)
	}
	sighup, err := solver.ParseAction(f.sighupEffect)
	if err != nil {
		return fmt.Errorf("train: --sighup_effect: %w", err)
	}
	sigterm, err := solver.ParseAction(f.sigtermEffect)
	if err != nil {
		return fmt.Errorf("train: --sigterm_effect: %w", err)
	}
	var continueOnNaN bool
	switch f.onNaN {
	case "stop", "":
	case "continue":
		continueOnNaN = true
	default:
		return fmt.Errorf("train: --on_nan=%q: want stop or continue", f.onNaN)
	}
	param, err := protofile.ReadSolverText(f.solver)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if param.TrainState == nil {
		param.TrainState = &caffepb.NetState{}
	}
	if levelSet {
		param.TrainState.Level = proto.Int32(int32(f.level))
	}
	param.TrainState.Stage = append(param.TrainState.Stage, f.stage...)
	useCPU(f.gpu, param)
	mode, err := ranks.fromRoot(resumeNumerics(f))
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := g.applyNumerics(mode); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	switch {
	case f.snapshot != "":
		param.Weights = nil
	case f.weights != "":
		param.Weights = []string{f.weights}
	}

	var gotInt, gotHup, gotTerm atomic.Bool
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGHUP, syscall.SIGTERM)
	defer signal.Stop(signals)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-signals:
				switch s {
				case syscall.SIGINT:
					gotInt.Store(true)
				case syscall.SIGTERM:
					gotTerm.Store(true)
				default:
					gotHup.Store(true)
				}
			case <-done:
				return
			}
		}
	}()
	action := func() solver.Action {
		if gotInt.Swap(false) {
			return sigint
		}
		if gotTerm.Swap(false) {
			return sigterm
		}
		if gotHup.Swap(false) {
			return sighup
		}
		return solver.None
	}

	var prog *trainProgress
	s, err := solver.New(param, solver.Options{Action: ranks.action(action), Group: ranks.group(), ContinueOnNaN: continueOnNaN,
		OnIteration: func(iter int, displayed bool) { prog.iteration(iter, displayed) }})
	if err != nil {
		return fmt.Errorf("train: %s: %w", f.solver, err)
	}
	defer s.Close()
	if f.snapshot != "" {
		glog.Infof("Resuming from %s", f.snapshot)
		if err := s.Restore(f.snapshot); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	if prog, err = newTrainProgress(f.progress, s); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	defer prog.finish()
	glog.Infof("Starting Optimization")
	if err := s.Solve(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	glog.Infof("Optimization Done.")
	return nil
}

// resumeNumerics is the numerics a run computes in: --numerics when given, else the
// one a gocaffe .solverstate given to --snapshot was made in, else fast. A resume
// that asks for other numerics than its snapshot's says so and does as asked.
func resumeNumerics(f trainFlags) string {
	if f.snapshot == "" {
		return f.numerics
	}
	saved := solver.SnapshotNumerics(f.snapshot)
	switch {
	case saved == "":
		return f.numerics
	case !f.numericsSet:
		if saved != f.numerics {
			glog.Infof("Resuming in the numerics %s was made in: %s", f.snapshot, saved)
		}
		return saved
	case saved != f.numerics:
		glog.Warningf("%s was made in the %s numerics; resuming in %s, as --numerics asks (the run will not repeat the uninterrupted one)", f.snapshot, saved, f.numerics)
	}
	return f.numerics
}
