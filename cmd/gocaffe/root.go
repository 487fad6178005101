package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/math/blas"
)

// globalFlags are the flags every command takes (the root's persistent flags), and
// what a run set up from them that its commands need later: the threads, which the
// log header reports once the numerics are chosen.
type globalFlags struct {
	threads    threadsFlag
	quiet      bool
	maxMemory  string
	cpuProfile string
}

// newRootCmd builds the gocaffe command and every subcommand, each with flags of its
// own: a run parses its command line into a tree nothing else has touched, so that
// a process (the tests) may run command after command without resetting anything.
func newRootCmd() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "gocaffe <command> [flags]",
		Short: "A Caffe-compatible deep-learning trainer for the CPU",
		Long: `gocaffe trains and runs Caffe models on the CPU. It reads Caffe's files as they are:
solver and net prototxt (old V0/V1 nets included), .caffemodel, .solverstate, and
LMDB/LevelDB databases of Datum records, and writes files Caffe reads.

Caffe's single-dash flags work too: "gocaffe train -solver s.prototxt" is
"gocaffe train --solver=s.prototxt".`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version on the root command prints what `gocaffe version` prints.
		Version: "set",
	}
	root.SetVersionTemplate(`{{gocaffeVersion .}}`)
	pf := root.PersistentFlags()
	pf.StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file")
	pf.MarkHidden("cpuprofile")
	pf.BoolVarP(&g.quiet, "quiet", "q", false,
		"log only warnings, errors and the iteration, test and snapshot lines (as GLOG_minloglevel=1)")
	pf.IntVar(&g.threads.flag, "threads", 0,
		"how many cores to compute on (default: GOMAXPROCS or OMP_NUM_THREADS when set, else every core)")
	pf.StringVar(&g.maxMemory, "max_memory", "",
		"the most memory the nets may take, e.g. 8GB or 512MB (default: what the system has available); a net that needs more is refused before it is built")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		// Before anything is built: the threads gocaffe computes on, what it logs.
		if err := g.threads.apply(cmd.Flags().Changed("threads"), os.Getenv); err != nil {
			return err
		}
		glog.SetFilter(logFilter(g.quiet, os.Getenv))
		if err := applyMaxMemory(g.maxMemory); err != nil {
			return err
		}
		if g.cpuProfile == "" {
			return nil
		}
		f, err := os.Create(g.cpuProfile)
		if err != nil {
			return err
		}
		return pprof.StartCPUProfile(f)
	}
	root.PersistentPostRun = func(cmd *cobra.Command, args []string) {
		if g.cpuProfile != "" {
			pprof.StopCPUProfile()
		}
	}
	root.AddCommand(
		newTrainCmd(g),
		newTestCmd(g),
		newTimeCmd(g),
		newConvertCmd(),
		newMeanCmd(),
		newSummaryCmd(),
		newDrawCmd(),
		newUpgradeCmd(),
		newGradcheckCmd(g),
		newDeviceQueryCmd(),
		newPlotCmd(),
		newClassifyCmd(),
		newExtractFeaturesCmd(),
		newExportCmd(),
		newVersionCmd(g),
	)
	registerCompletions(root)
	return root
}

// singleDashFlag matches Caffe's gflags spelling of a long flag: -solver, -weights=x.
var singleDashFlag = regexp.MustCompile(`^-[A-Za-z][A-Za-z0-9_]+(=.*)?$`)

// normalizeArgs turns Caffe's single-dash long flags into cobra's double-dash ones.
// Negative numbers and one-letter flags (-h) are left as they are.
func normalizeArgs(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		if singleDashFlag.MatchString(a) {
			a = "-" + a
		}
		out = append(out, a)
	}
	return out
}

// withName puts a command's name before its error, as Caffe's tools name themselves
// in theirs; nil stays nil.
func withName(name string, err error) error {
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// exitError carries a process exit status other than 1 out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run executes gocaffe with the given arguments (Caffe's spelling or cobra's) on
// root, a tree newRootCmd built for this run alone, and returns the process exit
// status.
func run(root *cobra.Command, args []string) int {
	// GOCAFFE_GEMM chooses the matrix product (fast, gonum or naive): for comparing
	// numbers between implementations, not for everyday use.
	if g := os.Getenv("GOCAFFE_GEMM"); g != "" {
		if err := blas.UseByName(g); err != nil {
			fmt.Fprintf(os.Stderr, "gocaffe: GOCAFFE_GEMM: %v\n", err)
			return 2
		}
	}
	// --threads and --quiet set the process's GOMAXPROCS and log filter for as long
	// as the command runs (tests run several in one process).
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer glog.SetFilter(glog.SetFilter(nil))
	root.SetArgs(normalizeArgs(args))
	if err := root.Execute(); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		fmt.Fprintf(os.Stderr, "gocaffe: %v\n", err)
		return 1
	}
	return 0
}
