package main

import (
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/mpi"
	"github.com/gocaffe/gocaffe/internal/solver"
)

// addMPIFlags gives gocaffe train the flags of a run under mpirun: --mpi_timeout,
// how long a rank may send nothing before the others give it up.
func addMPIFlags(c *cobra.Command, f *trainFlags) {
	c.Flags().DurationVar(&f.mpiTimeout, "mpi_timeout", 2*time.Minute,
		"under mpirun: how long a rank may be silent (stopped, hung, its host cut off) before the others stop with an error naming it")
}

// rankRun is this process's part in a data-parallel run under mpirun (or srun):
// `mpirun -np N gocaffe-mpi train ...`. A nil *rankRun is a process training alone;
// its methods then do nothing.
type rankRun struct {
	g      *mpi.Group
	watch  *mpi.Watch
	term   atomic.Bool // SIGTERM came
	signal chan os.Signal
	quiet  bool // the log's quiet setting before this rank silenced it
}

// joinRanks joins the MPI job when an MPI launcher started this process and returns
// nil when it runs alone; timeout is --mpi_timeout. A gocaffe built without MPI refuses to run under mpirun:
// each copy would train alone, all of them writing the same snapshots.
func joinRanks(timeout time.Duration) (*rankRun, error) {
	launched, n, how := mpi.Launched()
	if !launched {
		return nil, nil
	}
	if !mpi.Available {
		np := "N"
		if n > 0 {
			np = fmt.Sprint(n)
		}
		return nil, fmt.Errorf("started by %s, but this gocaffe was built without MPI: each copy would train alone, "+
			"and all would write the same snapshots. Build gocaffe-mpi (`make mpi`, which needs Open MPI: "+
			"apt-get install openmpi-bin libopenmpi-dev) and run `mpirun -np %s bin/gocaffe-mpi train ...`", how, np)
	}
	g, err := mpi.Init()
	if err != nil {
		return nil, fmt.Errorf("joining the MPI job: %w", err)
	}
	if n > 1 && g.Size() != n {
		return nil, fmt.Errorf("%s started %d processes, but MPI sees %d in this job: with Slurm, start them with srun --mpi=pmix (or mpirun inside the allocation)", how, n, g.Size())
	}
	r := &rankRun{g: g, quiet: glog.SetQuiet(g.Rank() != 0)}
	// SIGTERM (what mpirun, Slurm and systemd send) stops every rank after a
	// snapshot, as SIGINT does.
	r.signal = make(chan os.Signal, 1)
	signal.Notify(r.signal, syscall.SIGTERM)
	go func() {
		for range r.signal {
			r.term.Store(true)
		}
	}()
	if r.watch, err = mpi.StartWatch(g, timeout, r.down, func(s string) { glog.Warningf("%s", s) }); err != nil {
		return nil, r.finish(fmt.Errorf("joining the MPI job: %w", err))
	}
	host, _ := os.Hostname()
	glog.Infof("Data-parallel training on %d ranks (%s); rank 0 is pid %d on %s", g.Size(), mpi.Library(), os.Getpid(), host)
	return r, nil
}

// down is called by the watch when another rank is gone: the collective call under
// way returns the error and the run ends with it. Should this rank's main goroutine
// not get there (a long computation), the process ends anyway.
func (r *rankRun) down(err error) {
	glog.Errorf("Rank %d of %d: %v: the run cannot go on", r.g.Rank(), r.g.Size(), err)
	time.AfterFunc(10*time.Second, func() {
		glog.Errorf("Rank %d of %d: exiting", r.g.Rank(), r.g.Size())
		os.Exit(1)
	})
}

// group is the solver's Group: nil alone.
func (r *rankRun) group() solver.Group {
	if r == nil {
		return nil
	}
	return r.g
}

// action adds SIGTERM, as a stop, to the requests of inner.
func (r *rankRun) action(inner func() solver.Action) func() solver.Action {
	if r == nil {
		return inner
	}
	return func() solver.Action {
		if a := inner(); a != solver.None {
			return a
		}
		if r.term.Swap(false) {
			return solver.Stop
		}
		return solver.None
	}
}

// fromRoot returns rank 0's s on every rank (alone, s).
func (r *rankRun) fromRoot(s string) (string, error) {
	if r == nil {
		return s, nil
	}
	b, err := r.g.BroadcastBytes([]byte(s))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// finish ends this rank's part: after a run that ended well, it says goodbye to
// the watch and leaves the MPI job; after an error, it tells the other ranks (which
// then stop too) and leaves without MPI_Finalize, which would wait for ranks that
// may be gone. It returns err, naming the rank.
func (r *rankRun) finish(err error) error {
	if r == nil {
		return err
	}
	signal.Stop(r.signal)
	close(r.signal)
	defer glog.SetQuiet(r.quiet)
	if err != nil {
		if r.watch != nil {
			r.watch.Failed(err)
		}
		return fmt.Errorf("rank %d of %d: %w", r.g.Rank(), r.g.Size(), err)
	}
	r.watch.Finish()
	if err := mpi.Finalize(); err != nil {
		glog.Warningf("Leaving the MPI job: %v", err)
	}
	return nil
}
