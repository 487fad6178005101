package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

var meanBackend = "lmdb"

var meanCmd = &cobra.Command{
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
		defer func() { meanBackend = "lmdb" }()
		b, err := db.ParseBackend(meanBackend)
		if err != nil {
			return fmt.Errorf("--backend: %w", err)
		}
		out := ""
		if len(args) == 2 {
			out = args[1]
		}
		return computeMean(args[0], b, out)
	},
}

func init() {
	meanCmd.Flags().StringVar(&meanBackend, "backend", "lmdb", "the database format: lmdb or leveldb")
	addCommand(meanCmd)
}

func computeMean(path string, backend db.Backend, out string) error {
	r, err := db.OpenReader(path, backend)
	if err != nil {
		return err
	}
	defer r.Close()
	if !r.Valid() {
		return fmt.Errorf("%s %s is empty: there is no mean to compute", backend, path)
	}
	d := &caffepb.Datum{}
	// The shape comes from the first record.
	if err := datum.Unmarshal(r.Value(), d); err != nil {
		return fmt.Errorf("%s, key %q: not a Datum: %w", path, r.Key(), err)
	}
	if d.GetEncoded() {
		glog.Infof("Decoding Datum")
	}
	first, err := datum.Decoded(d)
	if err != nil {
		return fmt.Errorf("%s, key %q: %w", path, r.Key(), err)
	}
	c, h, w, err := datum.Shape(first)
	if err != nil {
		return fmt.Errorf("%s, key %q: %w", path, r.Key(), err)
	}
	sum := make([]float32, c*h*w)

	glog.Infof("Starting iteration")
	count := 0
	for r.Valid() {
		if err := datum.Unmarshal(r.Value(), d); err != nil {
			return fmt.Errorf("%s, key %q: not a Datum: %w", path, r.Key(), err)
		}
		raw, err := datum.Decoded(d)
		if err != nil {
			return fmt.Errorf("%s, key %q: %w", path, r.Key(), err)
		}
		if _, _, _, err := datum.Shape(raw); err != nil {
			return fmt.Errorf("%s, key %q: %w", path, r.Key(), err)
		}
		n := max(len(raw.Data), len(raw.FloatData))
		if n != len(sum) {
			return fmt.Errorf("%s, key %q: incorrect data field size %d: the first record's shape %d×%d×%d has %d values",
				path, r.Key(), n, c, h, w, len(sum))
		}
		// Accumulated in float32, as Caffe's BlobProto sum is.
		if len(raw.Data) > 0 {
			for i, v := range raw.Data {
				sum[i] += float32(v)
			}
		} else {
			for i, v := range raw.FloatData {
				sum[i] += v
			}
		}
		count++
		if count%10000 == 0 {
			glog.Infof("Processed %d files.", count)
		}
		if err := r.Next(); err != nil {
			return err
		}
	}
	if count%10000 != 0 {
		glog.Infof("Processed %d files.", count)
	}
	for i := range sum {
		sum[i] /= float32(count)
	}
	mean := &caffepb.BlobProto{
		Num:      proto.Int32(1),
		Channels: proto.Int32(int32(c)),
		Height:   proto.Int32(int32(h)),
		Width:    proto.Int32(int32(w)),
		Data:     sum,
	}
	if out != "" {
		glog.Infof("Write to %s", out)
		if err := protofile.WriteBinary(out, mean); err != nil {
			return err
		}
	}
	glog.Infof("Number of channels: %d", c)
	dim := h * w
	for ch := 0; ch < c; ch++ {
		var m float32
		for i := 0; i < dim; i++ {
			m += sum[dim*ch+i]
		}
		glog.Infof("mean_value channel [%d]: %.6g", ch, m/float32(dim))
	}
	return nil
}
