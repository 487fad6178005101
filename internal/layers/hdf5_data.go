package layers

import (
	"fmt"
	"os"
	"strings"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/hdf5"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("HDF5Data", newHDF5Data) }

// hdf5Data is Caffe's HDF5Data layer: batches of rows of HDF5 files. The source is a
// text file naming the .h5 files (separated by white space, relative to the working
// directory); each file holds, for every top, a dataset of that top's name, all with
// the same number of rows (first dimension). A file is read whole; its rows go out in
// order, or in a random order with shuffle, which also shuffles the files at every
// pass. The data is used as it is: no transform_param.
//
// Caffe shuffles with std::random_shuffle; gocaffe with its own seeded source, so a
// shuffled run repeats itself, but not Caffe's order. As a DataSource it reports the
// number of rows consumed, and a resumed run replays the orders up to there, so it
// reads on exactly where the interrupted one stopped.
type hdf5Data struct {
	base
	batch     int
	files     []string
	fileOrder []int
	file      int // index into fileOrder
	rows      [][]float32
	rowShape  [][]int // per top: the shape of one row
	n         int     // rows in the current file
	rowOrder  []int
	row       int
	shuffle   *rng.Source
	initial   rng.Source     // shuffle's state before the first shuffle
	consumed  uint64         // rows read since Setup
	rowCounts map[string]int // rows per file, for replaying positions
}

func newHDF5Data(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	hp := p.GetHdf5DataParam()
	if hp.GetSource() == "" {
		return nil, fmt.Errorf("hdf5_data_param.source is not set")
	}
	if hp.GetBatchSize() == 0 {
		return nil, fmt.Errorf("hdf5_data_param.batch_size must be positive")
	}
	if p.TransformParam != nil {
		return nil, fmt.Errorf("HDF5Data does not transform data: remove transform_param (scale or subtract the mean when writing the .h5 files)")
	}
	return &hdf5Data{base: newBase(p, ctx), batch: int(hp.GetBatchSize())}, nil
}

func (l *hdf5Data) BlobCounts() BlobCounts { return BlobCounts{0, 0, 1, Any, false} }

func (l *hdf5Data) Setup(bottom, top []*blob.Blob) error {
	source := l.param.GetHdf5DataParam().GetSource()
	glog.Infof("Loading list of HDF5 filenames from: %s", source)
	text, err := os.ReadFile(source)
	if err != nil {
		return fmt.Errorf("hdf5_data_param.source: %w", err)
	}
	l.files = strings.Fields(string(text))
	glog.Infof("Number of HDF5 files: %d", len(l.files))
	if len(l.files) == 0 {
		return fmt.Errorf("hdf5_data_param.source %s names no HDF5 files", source)
	}
	l.fileOrder = make([]int, len(l.files))
	for i := range l.fileOrder {
		l.fileOrder[i] = i
	}
	l.rowCounts = map[string]int{}
	if l.param.GetHdf5DataParam().GetShuffle() {
		l.shuffle = rng.New(l.ctx.RNG.Uint32())
		l.initial = *l.shuffle
		l.shuffleInts(l.fileOrder)
	}
	if err := l.load(); err != nil {
		return err
	}
	for i, t := range top {
		t.Reshape(append([]int{l.batch}, l.rowShape[i]...)...)
	}
	return nil
}

func (l *hdf5Data) shuffleInts(v []int) {
	l.shuffle.Shuffle(len(v), func(i, j int) { v[i], v[j] = v[j], v[i] })
}

// load reads the current file: every top's dataset.
func (l *hdf5Data) load() error {
	path := l.files[l.fileOrder[l.file]]
	f, err := hdf5.Open(path)
	if err != nil {
		return fmt.Errorf("hdf5_data_param.source %s: %w", l.param.GetHdf5DataParam().GetSource(), err)
	}
	tops := l.param.GetTop()
	first := l.rowShape == nil
	if first {
		l.rowShape = make([][]int, len(tops))
		l.rows = make([][]float32, len(tops))
	}
	for i, name := range tops {
		d, err := f.Dataset(name)
		if err != nil {
			return fmt.Errorf("top %q: %w", name, err)
		}
		if len(d.Shape) < 1 {
			return fmt.Errorf("%s: dataset %s is a scalar; HDF5Data wants rows (at least one dimension)", path, name)
		}
		if i == 0 {
			l.n = d.Shape[0]
		} else if d.Shape[0] != l.n {
			return fmt.Errorf("%s: dataset %s has %d rows, dataset %s %d: every top's dataset must have as many rows",
				path, name, d.Shape[0], tops[0], l.n)
		}
		if first {
			l.rowShape[i] = append([]int(nil), d.Shape[1:]...)
		} else if !sameInts(l.rowShape[i], d.Shape[1:]) {
			return fmt.Errorf("%s: dataset %s has rows of shape %v, the first file's have %v", path, name, d.Shape[1:], l.rowShape[i])
		}
		if l.rows[i], err = d.Float32(); err != nil {
			return err
		}
	}
	if l.n == 0 {
		return fmt.Errorf("%s: the datasets have no rows", path)
	}
	l.rowCounts[path] = l.n
	l.rowOrder = make([]int, l.n)
	for i := range l.rowOrder {
		l.rowOrder[i] = i
	}
	if l.shuffle != nil {
		l.shuffleInts(l.rowOrder)
	}
	return nil
}

func sameInts(a, b []int) bool {
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

// next moves to the following row, to the next file after the last row (reshuffling
// the files after the last one), as Caffe's HDF5DataLayer::Next. With replay it only
// moves the position and the orders, reading no data.
func (l *hdf5Data) next(replay bool) error {
	l.consumed++
	l.row++
	if l.row < l.n {
		return nil
	}
	if len(l.files) > 1 {
		l.file++
		if l.file == len(l.files) {
			l.file = 0
			if l.shuffle != nil {
				l.shuffleInts(l.fileOrder)
			}
			if !replay {
				glog.Infof("Looping around to first file.")
			}
		}
		if replay {
			if err := l.countRows(); err != nil {
				return err
			}
		} else if err := l.load(); err != nil {
			return err
		}
	}
	l.row = 0
	if l.shuffle != nil {
		l.shuffleInts(l.rowOrder)
	}
	return nil
}

// countRows is load without the data: the current file's number of rows, and its row
// order reset (and shuffled) as load leaves it.
func (l *hdf5Data) countRows() error {
	path := l.files[l.fileOrder[l.file]]
	n, ok := l.rowCounts[path]
	if !ok {
		f, err := hdf5.Open(path)
		if err != nil {
			return err
		}
		d, err := f.Dataset(l.param.GetTop()[0])
		if err != nil {
			return err
		}
		if len(d.Shape) < 1 || d.Shape[0] == 0 {
			return fmt.Errorf("%s: dataset %s has no rows", path, l.param.GetTop()[0])
		}
		n = d.Shape[0]
		l.rowCounts[path] = n
	}
	l.n = n
	l.rowOrder = make([]int, n)
	for i := range l.rowOrder {
		l.rowOrder[i] = i
	}
	if l.shuffle != nil {
		l.shuffleInts(l.rowOrder)
	}
	return nil
}

// Position implements DataSource: the rows consumed, and the shuffle source as Setup
// found it (nil without shuffle).
func (l *hdf5Data) Position() (uint64, []byte) {
	if l.shuffle == nil {
		return l.consumed, nil
	}
	b, _ := l.initial.MarshalBinary()
	return l.consumed, b
}

// Seek implements DataSource: it starts again from the state Setup was in and replays
// consumed rows' worth of moves (orders and file changes, without reading data), then
// loads the file it arrives in.
func (l *hdf5Data) Seek(consumed uint64, rngState []byte) error {
	if (rngState != nil) != (l.shuffle != nil) {
		return fmt.Errorf("the saved position was made with shuffle %v, this layer has shuffle %v", rngState != nil, l.shuffle != nil)
	}
	if l.shuffle != nil {
		if err := l.initial.UnmarshalBinary(rngState); err != nil {
			return fmt.Errorf("the saved shuffle state: %w", err)
		}
		*l.shuffle = l.initial
	}
	for i := range l.fileOrder {
		l.fileOrder[i] = i
	}
	if l.shuffle != nil {
		l.shuffleInts(l.fileOrder)
	}
	l.file, l.row, l.consumed = 0, 0, 0
	if err := l.countRows(); err != nil {
		return err
	}
	for l.consumed < consumed {
		if err := l.next(true); err != nil {
			return err
		}
	}
	// Load the data of the file arrived in; its row order is the replayed one.
	order := l.rowOrder
	state := rng.Source{}
	if l.shuffle != nil {
		state = *l.shuffle
	}
	if err := l.load(); err != nil {
		return err
	}
	l.rowOrder = order
	if l.shuffle != nil {
		*l.shuffle = state
	}
	return nil
}

// Reshape does nothing: the tops keep the batch shape Setup gave them.
func (l *hdf5Data) Reshape(bottom, top []*blob.Blob) error { return nil }

// Forward copies the next batch of rows into the tops.
func (l *hdf5Data) Forward(bottom, top []*blob.Blob) error {
	for i := 0; i < l.batch; i++ {
		r := l.rowOrder[l.row]
		for j, t := range top {
			dim := t.Count() / l.batch
			copy(t.Data[i*dim:(i+1)*dim], l.rows[j][r*dim:(r+1)*dim])
		}
		if err := l.next(false); err != nil {
			return err
		}
	}
	return nil
}

// Backward does nothing: data layers have no bottoms.
func (l *hdf5Data) Backward(top []*blob.Blob, propagateDown []bool, bottom []*blob.Blob) {}
