package main

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/gocaffe/gocaffe/internal/glog"
)

// threadsFlag is the --threads flag and, once a command line is read, the threads
// the command computes on and where that number came from (for the log header).
type threadsFlag struct {
	flag   int
	n      int
	source string
}

// chooseThreads decides how many threads a command computes on: --threads when
// given, else the GOMAXPROCS the Go runtime has already applied when that is set,
// else OMP_NUM_THREADS (which users set for Caffe's OpenBLAS; its first number, as
// in "4,2"), else the runtime's default (current): every core the process may use.
// A bad OMP_NUM_THREADS is warned about and ignored, as OpenMP does.
func chooseThreads(flag int, flagSet bool, getenv func(string) string, current int) (n int, source string, err error) {
	if flagSet {
		if flag < 1 {
			return 0, "", fmt.Errorf("--threads must be at least 1, got %d", flag)
		}
		return flag, "--threads", nil
	}
	if getenv("GOMAXPROCS") != "" {
		return current, "GOMAXPROCS", nil
	}
	if omp := strings.TrimSpace(getenv("OMP_NUM_THREADS")); omp != "" {
		first, _, _ := strings.Cut(omp, ",")
		v, err := strconv.Atoi(strings.TrimSpace(first))
		if err == nil && v >= 1 {
			return v, "OMP_NUM_THREADS", nil
		}
		glog.Warningf("ignoring OMP_NUM_THREADS=%q: not a number of threads", omp)
	}
	return current, "every core", nil
}

// apply sets GOMAXPROCS — the number of workers gocaffe's loops and matrix product
// split their work between — before any net is built.
func (t *threadsFlag) apply(flagSet bool, getenv func(string) string) error {
	n, source, err := chooseThreads(t.flag, flagSet, getenv, runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	if n != runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(n)
	}
	t.n, t.source = n, source
	return nil
}

// log logs the header line that says how many threads the command computes on.
func (t *threadsFlag) log() {
	n := runtime.GOMAXPROCS(0)
	source := t.source
	if source == "" || n != t.n {
		source = "GOMAXPROCS"
	}
	plural := "s"
	if n == 1 {
		plural = ""
	}
	glog.Infof("Computing on %d thread%s (%s; %d logical cores)", n, plural, source, runtime.NumCPU())
}
