package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
)

// version and commit are set at link time by `make build` and `make release`:
// -ldflags "-X main.version=$(git describe --tags --always --dirty) -X main.commit=$(git rev-parse HEAD)".
// Without them, what the Go tool recorded stands in (a module version after
// `go install ...@v1.2.3`, the VCS revision of a build in a checkout).
var (
	version = ""
	commit  = ""
)

// buildInfo says which gocaffe a binary is.
type buildInfo struct {
	version  string // "(devel)" when nothing says
	commit   string // "" when unknown
	modified bool   // built from a checkout with uncommitted changes (Go's own record)
}

// readBuildInfo combines the link-time stamps with what the Go tool recorded.
func readBuildInfo() buildInfo {
	b := buildInfo{version: version, commit: commit}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.commit == "" {
					b.commit = s.Value
				}
			case "vcs.modified":
				b.modified = s.Value == "true" && commit == ""
			}
		}
	}
	if b.version == "" {
		b.version = "(devel)"
	}
	return b
}

// versionText is what `gocaffe version` and `gocaffe --version` print: the version,
// the commit, the Go version, the numerics, the matrix product and its kernel, the
// threads (threadsFlag is --threads, 0 when not given), and the Caffe whose files
// gocaffe reads and writes.
func versionText(threadsFlag int) string {
	b := readBuildInfo()
	c := b.commit
	switch {
	case c == "":
		c = "unknown"
	case b.modified:
		c += " (with uncommitted changes)"
	}
	gemm, _ := blas.Current()
	var s strings.Builder
	fmt.Fprintf(&s, "gocaffe %s\n", b.version)
	fmt.Fprintf(&s, "commit: %s\n", c)
	fmt.Fprintf(&s, "Go: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&s, "numerics: %s (the default; --numerics=caffe gives the reference Caffe build's numbers bit for bit)\n", numerics.Get())
	fmt.Fprintf(&s, "GEMM: %s, kernel %s\n", gemm, blas.Kernel())
	// --version is answered before the command line's settings are applied.
	threads, source, err := chooseThreads(threadsFlag, threadsFlag != 0, os.Getenv, runtime.GOMAXPROCS(0))
	if err != nil {
		threads, source = runtime.GOMAXPROCS(0), "GOMAXPROCS"
	}
	fmt.Fprintf(&s, "threads: %d (%s) of %d logical cores\n", threads, source, runtime.NumCPU())
	fmt.Fprintf(&s, "Caffe file formats: BVLC/caffe master 9b891540\n")
	return s.String()
}

// newVersionCmd builds gocaffe version.
func newVersionCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print gocaffe's version and what it computes with",
		Long: `version prints gocaffe's version and commit, the Go it was built with, the
numerics and the matrix-product kernel it computes with, and the threads it uses.
"gocaffe --version" prints the same.`,
		Args: cobra.NoArgs,
		Run: func(cmd *cobra.Command, args []string) {
			fmt.Fprint(cmd.OutOrStdout(), versionText(g.threads.flag))
		},
	}
}

// The root's version template (newRootCmd) prints versionText. Cobra answers
// --version before any command runs, from a template, and a template calls only
// the functions registered with cobra for the whole process: this one reads
// --threads from the command it is given.
func init() {
	cobra.AddTemplateFunc("gocaffeVersion", func(c *cobra.Command) string {
		threads, _ := c.Flags().GetInt("threads")
		return versionText(threads)
	})
}
