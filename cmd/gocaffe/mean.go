package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/convert"
	"github.com/gocaffe/gocaffe/internal/io/db"
)

// newMeanCmd builds gocaffe mean.
func newMeanCmd() *cobra.Command {
	var backend string
	c := &cobra.Command{
		Use:   "mean [--backend=lmdb|leveldb] DB [OUT.binaryproto]",
		Short: "compute the mean image of a database (compute_image_mean)",
		Long: `mean computes the per-pixel mean of the Datum records of a database, as Caffe's
compute_image_mean does (summed and divided in float32), writes it to OUT as a
BlobProto (num 1, channels, height, width) for a layer's transform_param.mean_file,
and logs the mean of each channel (the values for transform_param.mean_value).
Encoded Datums are decoded first.

  gocaffe mean examples/cifar10/cifar10_train_lmdb examples/cifar10/mean.binaryproto`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := db.ParseBackend(backend)
			if err != nil {
				return fmt.Errorf("--backend: %w", err)
			}
			out := ""
			if len(args) == 2 {
				out = args[1]
			}
			return convert.Mean(args[0], b, out)
		},
	}
	c.Flags().StringVar(&backend, "backend", "lmdb", "the database format: lmdb or leveldb")
	return c
}
