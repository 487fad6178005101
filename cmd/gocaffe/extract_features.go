package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/features"
	"github.com/gocaffe/gocaffe/internal/glog"
)

// extractFlags are the flags of gocaffe extract_features.
type extractFlags struct {
	modelFlags
	blobs, outputs, format, gpu string
	iterations                  int
}

// newExtractFeaturesCmd builds gocaffe extract_features.
func newExtractFeaturesCmd() *cobra.Command {
	f := &extractFlags{}
	c := &cobra.Command{
		Use: `extract_features WEIGHTS NET BLOB[,BLOB...] OUT[,OUT...] BATCHES lmdb|leveldb|npy [CPU|GPU [DEVICE]]
  gocaffe extract_features --weights=W --model=NET --blobs=BLOB[,...] --outputs=OUT[,...] --iterations=N [--format=lmdb|leveldb|npy]`,
		Short: "store the values of a net's blobs for its data (extract_features)",
		Long: `extract_features builds the net in the TEST phase with the weights, runs it forward
BATCHES times on its own data layers and stores, for each named blob, the values of
every item of every batch, as Caffe's extract_features tool does. Caffe's positional
arguments work as they are.

In an LMDB or LevelDB (created anew; it must not exist), item i is a Datum under the
key %010d of i, with channels, height and width the blob's (1 past its last axis) and
the values in float_data. With npy, each output is one NumPy array (OUT.npy) of shape
(items, the blob's item shape), float32, for numpy.load.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withName("extract_features", extract(cmd, *f, args))
		},
	}
	f.register(c)
	fl := c.Flags()
	fl.StringVar(&f.blobs, "blobs", "", "the blobs to extract, comma-separated")
	fl.StringVar(&f.outputs, "outputs", "", "an output per blob, comma-separated: database folders, or .npy files")
	fl.IntVar(&f.iterations, "iterations", 1, "the number of batches")
	fl.StringVar(&f.format, "format", "lmdb", "the output format: lmdb, leveldb or npy")
	fl.StringVar(&f.gpu, "gpu", "", "accepted for Caffe's scripts; gocaffe runs on the CPU")
	return c
}

// positional fills the flags from Caffe's positional arguments.
func (f *extractFlags) positional(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if len(args) < 6 || len(args) > 8 {
		return fmt.Errorf("got %d arguments; Caffe's form takes 6 to 8: WEIGHTS NET BLOBS OUTS BATCHES DB_TYPE [CPU|GPU [DEVICE]]", len(args))
	}
	for _, flag := range []string{"weights", "model", "blobs", "outputs", "iterations", "format"} {
		if cmd.Flags().Changed(flag) {
			return fmt.Errorf("--%s given with Caffe's positional arguments: use one form or the other", flag)
		}
	}
	n, err := strconv.Atoi(args[4])
	if err != nil {
		return fmt.Errorf("the number of batches %q is not an integer", args[4])
	}
	f.weights, f.model, f.blobs, f.outputs, f.iterations, f.format = args[0], args[1], args[2], args[3], n, args[5]
	if len(args) > 6 {
		switch strings.ToUpper(args[6]) {
		case "GPU":
			f.gpu = "0"
			if len(args) > 7 {
				f.gpu = args[7]
			}
		case "CPU":
		default:
			return fmt.Errorf("%q: want CPU or GPU", args[6])
		}
	}
	return nil
}

func extract(cmd *cobra.Command, f extractFlags, args []string) error {
	if err := f.positional(cmd, args); err != nil {
		return err
	}
	if f.iterations < 1 {
		return fmt.Errorf("the number of batches must be at least 1, got %d", f.iterations)
	}
	format, err := features.ParseFormat(f.format)
	if err != nil {
		return err
	}
	if f.blobs == "" || f.outputs == "" {
		return errors.New("name the blobs to extract (--blobs) and an output for each (--outputs)")
	}
	blobs, outs := strings.Split(f.blobs, ","), strings.Split(f.outputs, ",")
	if len(blobs) != len(outs) {
		return fmt.Errorf("%d blobs and %d outputs: the number of blob names and output names must be equal", len(blobs), len(outs))
	}
	useCPU(f.gpu, nil)
	n, err := f.load()
	if err != nil {
		return err
	}
	defer n.Close()
	for _, b := range blobs {
		if n.Blob(b) == nil {
			return fmt.Errorf("unknown feature blob name %q in the network %s (its blobs: %s)", b, f.model, strings.Join(n.BlobNames(), ", "))
		}
	}
	var sinks []features.Output
	defer func() {
		for _, s := range sinks {
			s.Abort()
		}
	}()
	for _, o := range outs {
		glog.Infof("Opening dataset %s", o)
		s, err := features.Create(o, format)
		if err != nil {
			return err
		}
		sinks = append(sinks, s)
	}
	glog.Infof("Extracting Features")
	for i := 0; i < f.iterations; i++ {
		if _, err := n.Forward(); err != nil {
			return fmt.Errorf("batch %d: %w", i, err)
		}
		for k, name := range blobs {
			b := n.Blob(name)
			if err := sinks[k].Add(b.Shape(), b.Data()); err != nil {
				return fmt.Errorf("blob %s, batch %d: %w", name, i, err)
			}
		}
	}
	for k, s := range sinks {
		if err := s.Close(); err != nil {
			return err
		}
		glog.Infof("Extracted features of %d query images for feature blob %s", s.Count(), blobs[k])
	}
	sinks = nil
	glog.Infof("Successfully extracted the features!")
	return nil
}
