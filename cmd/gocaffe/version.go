package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
)

// version is set at link time by release builds: -ldflags "-X main.version=v1.2.3".
var version = ""

var versionCmd = &cobra.Command{
	Use:   "version",
	Short: "print gocaffe's version and what it computes with",
	Args:  cobra.NoArgs,
	Run: func(cmd *cobra.Command, args []string) {
		v := version
		if v == "" {
			v = "(devel)"
			if info, ok := debug.ReadBuildInfo(); ok {
				if info.Main.Version != "" && info.Main.Version != "(devel)" {
					v = info.Main.Version
				}
				for _, s := range info.Settings {
					if s.Key == "vcs.revision" && len(s.Value) >= 12 {
						v += " " + s.Value[:12]
					}
				}
			}
		}
		gemm, _ := blas.Current()
		fmt.Fprintf(cmd.OutOrStdout(), "gocaffe %s\nCaffe file formats: BVLC/caffe master 9b891540\n%s %s/%s, %d threads, GEMM: %s\nnumerics: %s (the default; --numerics=caffe gives the reference Caffe build's numbers bit for bit)\n",
			v, runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), gemm, numerics.Get())
	},
}

func init() { addCommand(versionCmd) }
