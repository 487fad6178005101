package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/hdf5"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("HDF5Output", newHDF5Output) }

// hdf5Output is Caffe's HDF5Output layer: it stores its two bottoms as the datasets
// "data" and "label" of hdf5_output_param.file_name, each with Caffe's four legacy
// dimensions (num, channels, height, width). Caffe writes one batch (a second one
// fails, the datasets existing); gocaffe keeps the rows of every batch and writes them
// all when the net is closed — after gocaffe test's last batch, say. It has no tops and
// no backward pass.
type hdf5Output struct {
	base
	file        string
	data, label []float32
	dataShape   []int // legacy dims of one batch
	labelShape  []int
	rows        int
	closed      bool
}

func newHDF5Output(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	name := p.GetHdf5OutputParam().GetFileName()
	if name == "" {
		return nil, fmt.Errorf("hdf5_output_param.file_name is not set")
	}
	return &hdf5Output{base: newBase(p, ctx), file: name}, nil
}

func (l *hdf5Output) BlobCounts() BlobCounts { return BlobCounts{2, 2, 0, 0, false} }

// Setup creates the file (empty), as Caffe does, so that a path that cannot be written
// fails before any work.
func (l *hdf5Output) Setup(bottom, top []*blob.Blob) error {
	if err := hdf5.NewBuilder().WriteFile(l.file); err != nil {
		return fmt.Errorf("hdf5_output_param.file_name: %w", err)
	}
	return nil
}

func (l *hdf5Output) Reshape(bottom, top []*blob.Blob) error {
	if bottom[0].NumAxes() > 4 || bottom[1].NumAxes() > 4 {
		return fmt.Errorf("bottoms %s and %s: HDF5Output stores blobs of at most 4 axes", bottom[0].ShapeString(), bottom[1].ShapeString())
	}
	if bottom[0].Num() != bottom[1].Num() {
		return fmt.Errorf("the data (%s) and the label (%s) must have the same batch size", bottom[0].ShapeString(), bottom[1].ShapeString())
	}
	return nil
}

func legacyShape(b *blob.Blob) []int {
	return []int{b.Num(), b.Channels(), b.Height(), b.Width()}
}

// Forward keeps the batch's rows.
func (l *hdf5Output) Forward(bottom, top []*blob.Blob) error {
	ds, ls := legacyShape(bottom[0]), legacyShape(bottom[1])
	if l.rows > 0 && (!sameInts(ds[1:], l.dataShape[1:]) || !sameInts(ls[1:], l.labelShape[1:])) {
		return fmt.Errorf("a batch of shapes %v and %v after batches of %v and %v: the rows of one file have one shape",
			ds, ls, l.dataShape, l.labelShape)
	}
	l.dataShape, l.labelShape = ds, ls
	l.data = append(l.data, bottom[0].Data...)
	l.label = append(l.label, bottom[1].Data...)
	l.rows += ds[0]
	return nil
}

// Backward does nothing.
func (l *hdf5Output) Backward(top []*blob.Blob, propagateDown []bool, bottom []*blob.Blob) {}

// Close writes every row kept to the file.
func (l *hdf5Output) Close() error {
	if l.closed || l.rows == 0 {
		l.closed = true
		return nil
	}
	l.closed = true
	glog.Infof("Saving HDF5 file %s", l.file)
	b := hdf5.NewBuilder()
	ds := append([]int{l.rows}, l.dataShape[1:]...)
	ls := append([]int{l.rows}, l.labelShape[1:]...)
	if err := b.Root().Float32("data", ds, l.data); err != nil {
		return err
	}
	if err := b.Root().Float32("label", ls, l.label); err != nil {
		return err
	}
	if err := b.WriteFile(l.file); err != nil {
		return fmt.Errorf("HDF5Output: %w", err)
	}
	glog.Infof("Successfully saved %d rows", l.rows)
	return nil
}
