package main

import (
	"runtime"
	"time"

	"github.com/gocaffe/gocaffe/internal/math/cpufeat"
	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/math/blas"
)

// newDeviceQueryCmd builds gocaffe device_query.
func newDeviceQueryCmd() *cobra.Command {
	var gpu string
	c := &cobra.Command{
		Use:   "device_query",
		Short: "show the device gocaffe computes on",
		Long: `device_query describes the device gocaffe computes on — always the CPU: its
architecture, the cores Go may use, the matrix-product kernel and the vector
instructions it can use. Caffe's device_query lists GPUs; scripts that pass --gpu
are accepted and told there are none.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if gpu != "" {
				glog.Warningf("gocaffe computes on the CPU only: there is no GPU %s to query", gpu)
			}
			name, _ := blas.Current()
			glog.Infof("Device: CPU")
			glog.Infof("Architecture:         %s/%s", runtime.GOOS, runtime.GOARCH)
			glog.Infof("Logical cores:        %d", runtime.NumCPU())
			glog.Infof("Cores used (GOMAXPROCS): %d", runtime.GOMAXPROCS(0))
			glog.Infof("Matrix product (GEMM): %s", name)
			if runtime.GOARCH == "amd64" {
				glog.Infof("AVX2: %v, FMA: %v, AVX-512F: %v", cpufeat.AVX2, cpufeat.FMA, cpufeat.AVX512F)
			}
			// The peak the products' rates in gocaffe time compare with: the kernel on
			// data in L1, one core alone, then all at once.
			threads := runtime.GOMAXPROCS(0)
			one, all := blas.PeakGFLOPS(threads, 300*time.Millisecond)
			glog.Infof("FMA peak (matrix-product kernel on L1 data): %.0f GFLOP/s a core, %.0f GFLOP/s on %d threads", one, all, threads)
			if runtime.GOARCH == "arm64" {
				glog.Infof("ASIMD: %v", cpufeat.ASIMD)
			}
			return nil
		},
	}
	c.Flags().StringVar(&gpu, "gpu", "", "accepted for Caffe's scripts; there are no GPUs to query")
	return c
}
