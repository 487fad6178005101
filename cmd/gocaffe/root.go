package main

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/math/blas"
)

// rootCmd is the gocaffe command; every subcommand adds itself with addCommand from
// an init function in its own file.
var rootCmd = &cobra.Command{
	Use:   "gocaffe <command> [flags]",
	Short: "A Caffe-compatible deep-learning trainer for the CPU",
	Long: `gocaffe trains and runs Caffe models on the CPU. It reads Caffe's files as they are:
solver and net prototxt (old V0/V1 nets included), .caffemodel, .solverstate, and
LMDB/LevelDB databases of Datum records, and writes files Caffe reads.

Caffe's single-dash flags work too: "gocaffe train -solver s.prototxt" is
"gocaffe train --solver=s.prototxt".`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

// plannedCommands are the commands of Caffe's tool set that a gocaffe binary offers.
// Until a command's own file registers it, it exists as a placeholder that says so.
var plannedCommands = map[string]string{
	"train":        "train a net from a solver prototxt",
	"test":         "score a trained net on its TEST phase data",
	"time":         "benchmark the forward and backward pass of each layer",
	"convert":      "convert MNIST, CIFAR-10/100 or an image list into LMDB/LevelDB",
	"mean":         "compute the mean image of a database (compute_image_mean)",
	"summary":      "print a net's layers, shapes, parameters and multiply-adds",
	"draw":         "draw a net as a Graphviz graph",
	"upgrade":      "upgrade an old net or solver prototxt to the current format",
	"gradcheck":    "check every layer's backward pass against finite differences",
	"device_query": "show the device gocaffe computes on",
	"plot":         "plot the curves of training logs",
}

var _ = func() int {
	for name, short := range plannedCommands {
		rootCmd.AddCommand(&cobra.Command{
			Use:                name,
			Short:              short + " (not built yet)",
			DisableFlagParsing: true,
			RunE: func(cmd *cobra.Command, args []string) error {
				return fmt.Errorf("%s: this command is not built yet in this version of gocaffe", cmd.Name())
			},
		})
	}
	return 0
}()

// addCommand registers a subcommand, replacing its placeholder.
func addCommand(c *cobra.Command) {
	for _, old := range rootCmd.Commands() {
		if old.Name() == c.Name() {
			rootCmd.RemoveCommand(old)
		}
	}
	rootCmd.AddCommand(c)
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

// exitError carries a process exit status other than 1 out of a command.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// resetFlags puts every flag of every command back to its default, so that run can
// be called more than once in a process (the tests do).
func resetFlags(c *cobra.Command) {
	reset := func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			sv.Replace(nil)
		} else {
			f.Value.Set(f.DefValue)
		}
		f.Changed = false
	}
	c.Flags().VisitAll(reset)
	c.PersistentFlags().VisitAll(reset)
	for _, sub := range c.Commands() {
		resetFlags(sub)
	}
}

// cpuProfile, when set by --cpuprofile, names the file a CPU profile of the command
// is written to (for `go tool pprof`).
var cpuProfile string

func init() {
	rootCmd.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file")
	rootCmd.PersistentFlags().MarkHidden("cpuprofile")
	rootCmd.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		// Before anything is built: the threads gocaffe computes on, what it logs.
		if err := applyThreads(cmd.Flags().Changed("threads"), os.Getenv); err != nil {
			return err
		}
		glog.SetFilter(logFilter(quietFlag, os.Getenv))
		if err := applyMaxMemory(); err != nil {
			return err
		}
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		return pprof.StartCPUProfile(f)
	}
	rootCmd.PersistentPostRun = func(cmd *cobra.Command, args []string) {
		if cpuProfile != "" {
			pprof.StopCPUProfile()
		}
	}
}

// run executes gocaffe with the given arguments and returns the process exit status.
func run(args []string) int {
	// GOCAFFE_GEMM chooses the matrix product (fast, gonum or naive): for comparing
	// numbers between implementations, not for everyday use.
	if g := os.Getenv("GOCAFFE_GEMM"); g != "" {
		if err := blas.UseByName(g); err != nil {
			fmt.Fprintf(os.Stderr, "gocaffe: GOCAFFE_GEMM: %v\n", err)
			return 2
		}
	}
	// --threads and --quiet last as long as the command (tests run several).
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer glog.SetFilter(glog.SetFilter(nil))
	resetFlags(rootCmd)
	rootCmd.SetArgs(normalizeArgs(args))
	if err := rootCmd.Execute(); err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		fmt.Fprintf(os.Stderr, "gocaffe: %v\n", err)
		return 1
	}
	return 0
}
