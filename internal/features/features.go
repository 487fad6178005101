// Package features stores the values of a net's blobs, batch after batch, as Caffe's
// extract_features tool does: one Datum per item in an LMDB or LevelDB, under the keys
// 0000000000, 0000000001, ... — or, for people who go on in Python, one .npy array per
// blob.
package features

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/io/npy"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Format is how features are stored.
type Format int

// The formats.
const (
	LMDB Format = iota
	LevelDB
	NPY
)

// ParseFormat reads a format name: lmdb, leveldb (Caffe's db_type) or npy.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "lmdb":
		return LMDB, nil
	case "leveldb":
		return LevelDB, nil
	case "npy":
		return NPY, nil
	}
	return 0, fmt.Errorf("unknown output format %q (want lmdb, leveldb or npy)", s)
}

// Output receives the values of one blob, a batch at a time.
type Output interface {
	// Add stores a batch: shape is the blob's, its first dimension the number of items.
	Add(shape []int, data []float32) error
	// Count is the number of items stored.
	Count() int
	// Close completes the output and moves it into place.
	Close() error
	// Abort discards it.
	Abort()
}

// Create starts an output at path. A .npy path gets the extension when it lacks it, as
// numpy.save does.
func Create(path string, f Format) (Output, error) {
	switch f {
	case LMDB, LevelDB:
		b := db.LMDB
		if f == LevelDB {
			b = db.LevelDB
		}
		w, err := db.Create(path, b, false)
		if err != nil {
			return nil, err
		}
		return &dbOutput{w: w}, nil
	case NPY:
		if !strings.HasSuffix(path, ".npy") {
			path += ".npy"
		}
		return &npyOutput{path: path}, nil
	}
	return nil, fmt.Errorf("unknown output format %d", int(f))
}

// Key is the key of the i-th item in a database of features: ten digits, zero-padded
// (Caffe's format_int(i, 10)), so that key order is item order.
func Key(i int) string { return fmt.Sprintf("%010d", i) }

// legacyDims returns a shape's channels, height and width as Caffe's Blob reports them
// for a Datum: dimensions past the last are 1; more than four axes cannot be said so.
func legacyDims(shape []int) (c, h, w int, err error) {
	if len(shape) > 4 {
		return 0, 0, 0, fmt.Errorf("a blob of shape %v has more than 4 axes: a Datum holds channels, height and width only (use the npy format)", shape)
	}
	dim := func(i int) int {
		if i < len(shape) {
			return shape[i]
		}
		return 1
	}
	return dim(1), dim(2), dim(3), nil
}

// split checks a batch and returns its number of items and values per item.
func split(shape []int, data []float32) (n, per int, err error) {
	if len(shape) == 0 {
		return 0, 0, fmt.Errorf("a scalar blob has no items")
	}
	n = shape[0]
	if n == 0 {
		return 0, 0, nil
	}
	if len(data)%n != 0 {
		return 0, 0, fmt.Errorf("%d values in a blob of shape %v", len(data), shape)
	}
	return n, len(data) / n, nil
}

// dbOutput writes a Datum per item.
type dbOutput struct {
	w *db.Writer
	n int
}

// Add implements Output: a Datum per item.
func (o *dbOutput) Add(shape []int, data []float32) error {
	c, h, w, err := legacyDims(shape)
	if err != nil {
		return err
	}
	n, per, err := split(shape, data)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		d := &caffepb.Datum{Channels: proto.Int32(int32(c)), Height: proto.Int32(int32(h)), Width: proto.Int32(int32(w)),
			FloatData: data[i*per : (i+1)*per]}
		v, err := datum.Marshal(d)
		if err != nil {
			return err
		}
		if err := o.w.Put([]byte(Key(o.n)), v); err != nil {
			return err
		}
		o.n++
	}
	return nil
}

// Count implements Output.
func (o *dbOutput) Count() int { return o.n }

// Close implements Output: it commits the database.
func (o *dbOutput) Close() error { return o.w.Commit() }

// Abort implements Output.
func (o *dbOutput) Abort() { o.w.Abort() }

// npyOutput writes one array of shape (items, item shape...).
type npyOutput struct {
	path string
	w    *npy.Writer
	row  []int
}

// Add implements Output: the items are rows of the array.
func (o *npyOutput) Add(shape []int, data []float32) error {
	n, _, err := split(shape, data)
	if err != nil {
		return err
	}
	if o.w == nil {
		o.row = append([]int(nil), shape[1:]...)
		if o.w, err = npy.Create(o.path, o.row); err != nil {
			return err
		}
	} else if !equal(shape[1:], o.row) {
		return fmt.Errorf("%s: a batch of items of shape %v after items of shape %v: one array holds items of one shape", o.path, shape[1:], o.row)
	}
	if len(data) == 0 {
		o.w.AddRows(n)
		return nil
	}
	return o.w.Write(data)
}

// Count implements Output.
func (o *npyOutput) Count() int {
	if o.w == nil {
		return 0
	}
	return o.w.Rows()
}

// Close implements Output: it writes the header and moves the file into place.
func (o *npyOutput) Close() error {
	if o.w == nil {
		return fmt.Errorf("%s: no batch was extracted", o.path)
	}
	return o.w.Close()
}

// Abort implements Output.
func (o *npyOutput) Abort() {
	if o.w != nil {
		o.w.Abort()
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
