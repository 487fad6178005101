package main

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/cputime"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"github.com/gocaffe/gocaffe/internal/netinfo"
	"github.com/gocaffe/gocaffe/internal/solver"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// timeFlags are the flags of gocaffe time, Caffe's names and defaults.
type timeFlags struct {
	model, phase, gpu, weights string
	stage                      []string
	iterations, level          int
	numerics                   string
}

// newTimeCmd builds gocaffe time.
func newTimeCmd(g *globalFlags) *cobra.Command {
	f := &timeFlags{}
	c := &cobra.Command{
		Use:   "time --model=NET.prototxt [--iterations=50] [--phase=TRAIN|TEST]",
		Short: "benchmark the forward and backward pass of each layer",
		Long: `time builds the net (phase TRAIN unless --phase says otherwise), runs one forward
and backward pass to warm up, then times --iterations forward and backward passes
layer by layer and logs the average milliseconds of each layer and in total, as
"caffe time" does. Like Caffe, it runs the backward pass of every layer that has one
to run — the layers the net trains and those with learnable parameters — whether
or not the net has a loss.`,
		Args: positionalHint("model"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return benchmark(g, *f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "", "the net prototxt")
	fl.IntVar(&f.iterations, "iterations", 50, "the number of timed forward-backward passes")
	fl.StringVar(&f.phase, "phase", "TRAIN", "the net's phase: TRAIN or TEST")
	fl.StringVar(&f.gpu, "gpu", "", "accepted for Caffe's scripts; gocaffe runs on the CPU")
	fl.IntVar(&f.level, "level", 0, "the net's NetState level")
	addStageFlag(c, &f.stage)
	fl.StringVar(&f.weights, "weights", "", "ignored, as by Caffe's time: the timing does not depend on the weights")
	addNumericsFlag(c, &f.numerics)
	return c
}

// parsePhase reads Caffe's -phase flag.
func parsePhase(s string, def caffepb.Phase) (caffepb.Phase, error) {
	switch strings.ToUpper(s) {
	case "":
		return def, nil
	case "TRAIN":
		return caffepb.Phase_TRAIN, nil
	case "TEST":
		return caffepb.Phase_TEST, nil
	}
	return def, fmt.Errorf("phase must be TRAIN or TEST, got %q", s)
}

// benchmark runs gocaffe time with the flags f.
func benchmark(g *globalFlags, f timeFlags) error {
	if f.model == "" {
		return errors.New("time: need a model definition to time (--model)")
	}
	if f.iterations < 1 {
		return fmt.Errorf("time: --iterations must be at least 1, got %d", f.iterations)
	}
	phase, err := parsePhase(f.phase, caffepb.Phase_TRAIN)
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	if f.weights != "" {
		glog.Warningf("time ignores --weights, as Caffe's does")
	}
	useCPU(f.gpu, nil)
	if err := g.applyNumerics(f.numerics); err != nil {
		return fmt.Errorf("time: %w", err)
	}
	n, err := loadNet(f.model, phase, f.level, f.stage)
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	defer n.Close()

	glog.Infof("Performing Forward")
	loss, err := n.Forward()
	if err != nil {
		return fmt.Errorf("time: %w", err)
	}
	glog.Infof("Initial loss: %v", solver.G(loss))
	glog.Infof("Performing Backward")
	n.Backward()

	nl := n.NumLayers()
	// Caffe calls every layer's Backward; layers with nothing to compute there
	// (no gradient wanted below, no parameters) return at once in Caffe, and are
	// not called here.
	runBackward := make([]bool, nl)
	for i := range runBackward {
		runBackward[i] = n.LayerNeedBackward(i) || len(n.Layer(i).Params()) > 0
	}
	// The products' arithmetic: 2 flops a multiply-add, forward once; backward once
	// for the parameters' gradient (none for frozen ones: lr_mult 0) and once more
	// for the bottom's.
	var flops float64
	for i := range nl {
		macs := float64(netinfo.LayerMACs(n, i))
		flops += 2 * macs
		if runBackward[i] && n.ParamNeedBackward(i) {
			flops += 2 * macs
		}
		for _, down := range n.BottomNeedBackward(i) {
			if down && runBackward[i] {
				flops += 2 * macs
				break
			}
		}
	}
	glog.Infof("*** Benchmark begins ***")
	glog.Infof("Testing for %d iterations.", f.iterations)
	forwardPerLayer := make([]time.Duration, nl)
	backwardPerLayer := make([]time.Duration, nl)
	var forwardTime, backwardTime time.Duration
	total, cpuStart := time.Now(), cputime.Process()
	for j := 0; j < f.iterations; j++ {
		iterStart := time.Now()
		for i := 0; i < nl; i++ {
			t := time.Now()
			if err := n.Layer(i).Forward(n.Bottoms(i), n.Tops(i)); err != nil {
				return fmt.Errorf("time: layer %s: %w", n.LayerName(i), err)
			}
			forwardPerLayer[i] += time.Since(t)
		}
		forwardTime += time.Since(iterStart)
		backStart := time.Now()
		for i := nl - 1; i >= 0; i-- {
			if !runBackward[i] {
				continue
			}
			t := time.Now()
			n.Layer(i).Backward(n.Tops(i), n.BottomNeedBackward(i), n.Bottoms(i))
			backwardPerLayer[i] += time.Since(t)
		}
		backwardTime += time.Since(backStart)
		glog.Infof("Iteration: %d forward-backward time: %d ms.", j+1, time.Since(iterStart).Milliseconds())
	}
	elapsed, cpu := time.Since(total), cputime.Process()-cpuStart
	totalMs := elapsed.Milliseconds()
	// Caffe's per-layer figures are whole microseconds summed, in milliseconds per
	// iteration; its totals whole milliseconds.
	perIter := func(d time.Duration) solver.G {
		return solver.G(float64(d.Microseconds()) / 1000 / float64(f.iterations))
	}
	glog.Infof("Average time per layer: ")
	for i := 0; i < nl; i++ {
		name := n.LayerName(i)
		glog.Infof("%10s\tforward: %v ms.", name, perIter(forwardPerLayer[i]))
		glog.Infof("%10s\tbackward: %v ms.", name, perIter(backwardPerLayer[i]))
	}
	glog.Infof("Average Forward pass: %v ms.", perIter(forwardTime))
	glog.Infof("Average Backward pass: %v ms.", perIter(backwardTime))
	glog.Infof("Average Forward-Backward: %v ms.", solver.G(float64(totalMs)/float64(f.iterations)))
	glog.Infof("Total Time: %d ms.", totalMs)
	// gocaffe's additions, after Caffe's lines: the products' rate, and the CPU time
	// (steadier than the wall time on a shared machine).
	seconds := elapsed.Seconds() / float64(f.iterations)
	threads := runtime.GOMAXPROCS(0)
	rate := flops / 1e9 / seconds
	glog.Infof("Matrix products: %.3g GFLOP a forward-backward pass, %.1f GFLOP/s on %d threads (%s numerics)",
		flops/1e9, rate, threads, numerics.Get())
	// The peak to hold that rate against, measured now as gocaffe device_query does:
	// a shared machine's cores give what they give at the moment.
	_, peak := blas.PeakGFLOPS(threads, 150*time.Millisecond)
	glog.Infof("FMA peak of %d threads (the product's kernel on L1 data): %.0f GFLOP/s; the products ran at %.0f%% of it",
		threads, peak, 100*rate/peak)
	if cpu > 0 {
		glog.Infof("CPU time: %v ms a forward-backward pass", solver.G(float64(cpu.Microseconds())/1000/float64(f.iterations)))
	}
	glog.Infof("*** Benchmark ends ***")
	return nil
}
