package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/solver"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// testFlags are the flags of gocaffe test, Caffe's names and defaults.
type testFlags struct {
	model, weights, gpu string
	stage               []string
	iterations, level   int
	progress            string
	numerics            string
}

// newTestCmd builds gocaffe test.
func newTestCmd(g *globalFlags) *cobra.Command {
	f := &testFlags{}
	c := &cobra.Command{
		Use:   "test --model=NET.prototxt --weights=W.caffemodel [--iterations=50]",
		Short: "score a trained net on its TEST phase data",
		Long: `test builds the net in the TEST phase, copies in the weights, runs --iterations
forward passes and logs each output of each batch, then the mean loss and the mean
of each output, as "caffe test" does.`,
		Args: positionalHint("model"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return score(g, *f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "", "the net prototxt")
	fl.StringVar(&f.weights, "weights", "", "the trained weights: .caffemodel files, comma-separated")
	fl.IntVar(&f.iterations, "iterations", 50, "the number of batches to score")
	fl.StringVar(&f.gpu, "gpu", "", "accepted for Caffe's scripts; gocaffe runs on the CPU")
	fl.IntVar(&f.level, "level", 0, "the net's NetState level")
	addStageFlag(c, &f.stage)
	addNumericsFlag(c, &f.numerics)
	addProgressFlag(c, &f.progress)
	return c
}

// loadNet reads a net prototxt and builds it in the given phase, level and stages,
// as Caffe's Net(file, phase, level, stages) constructor does.
func loadNet(model string, phase caffepb.Phase, level int, stages []string) (*network.Net, error) {
	param, err := protofile.ReadNetText(model)
	if err != nil {
		return nil, err
	}
	if param.State == nil {
		param.State = &caffepb.NetState{}
	}
	param.State.Phase = phase.Enum()
	param.State.Stage = append(param.State.Stage, stages...)
	param.State.Level = proto.Int32(int32(level))
	n, err := network.New(param, network.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", model, err)
	}
	return n, nil
}

// score runs gocaffe test with the flags f.
func score(g *globalFlags, f testFlags) error {
	if f.model == "" {
		return errors.New("test: need a model definition to score (--model)")
	}
	if f.weights == "" {
		return errors.New("test: need model weights to score (--weights)")
	}
	if f.iterations < 1 {
		return fmt.Errorf("test: --iterations must be at least 1, got %d", f.iterations)
	}
	paths, err := solver.WeightsList(f.weights)
	if err != nil {
		return fmt.Errorf("test: --%w", err)
	}
	useCPU(f.gpu, nil)
	if err := g.applyNumerics(f.numerics); err != nil {
		return fmt.Errorf("test: %w", err)
	}
	n, err := loadNet(f.model, caffepb.Phase_TEST, f.level, f.stage)
	if err != nil {
		return fmt.Errorf("test: %w", err)
	}
	defer n.Close()
	for _, path := range paths {
		// A .caffemodel, or a .caffemodel.h5 by its extension, as in Caffe.
		if err := n.CopyTrainedLayersFromFile(path); err != nil {
			return fmt.Errorf("test: %w", err)
		}
	}
	glog.Infof("Running for %d iterations.", f.iterations)
	bar, err := batchBar(f.progress, "test", f.iterations)
	if err != nil {
		return fmt.Errorf("test: %w", err)
	}
	defer bar.finish()

	outputs := n.Outputs()
	var scores []float32
	var scoreName []string
	var loss float32
	for i := 0; i < f.iterations; i++ {
		l, err := n.Forward()
		if err != nil {
			return fmt.Errorf("test: batch %d: %w", i, err)
		}
		loss += l
		idx := 0
		for _, name := range outputs {
			for _, v := range n.Blob(name).Data {
				if i == 0 {
					scores = append(scores, v)
					scoreName = append(scoreName, name)
				} else if idx < len(scores) {
					scores[idx] += v
				}
				idx++
				glog.Infof("Batch %d, %s = %v", i, name, solver.G(v))
			}
		}
		bar.set(i + 1)
		if idx != len(scores) {
			return fmt.Errorf("test: the outputs had %d values in the first batch and %d in batch %d", len(scores), idx, i)
		}
	}
	loss /= float32(f.iterations)
	glog.Infof("Loss: %v", solver.G(loss))
	for i, total := range scores {
		name := scoreName[i]
		mean := total / float32(f.iterations)
		if w := n.OutputLossWeight(name); w != 0 {
			glog.Infof("%s = %v (* %v = %v loss)", name, solver.G(mean), solver.G(w), solver.G(w*mean))
		} else {
			glog.Infof("%s = %v", name, solver.G(mean))
		}
	}
	return nil
}
