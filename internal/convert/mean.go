package convert

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Mean computes the per-pixel mean of the Datum records of the database at path,
// as Caffe's compute_image_mean does (summed and divided in float32), writes it to
// out as a BlobProto (num 1, channels, height, width) unless out is empty, and logs
// the mean of each channel. Encoded Datums are decoded first.
func Mean(path string, backend db.Backend, out string) error {
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
