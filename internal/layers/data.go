package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Data", newData) }

// dataLayer is Caffe's Data layer: batches of Datum records read in key order from
// an LMDB or LevelDB (data_param.source, backend LEVELDB unless set, as in Caffe),
// transformed by transform_param, with the labels as a second top when there is
// one. The cursor wraps at the end of the database. A goroutine reads and transforms
// prefetch batches ahead while the net computes.
//
// Every batch takes the shape of its first record, so records of different sizes
// work as long as the records of one batch agree.
type dataLayer struct {
	prefetchingLayer
	batchSize int
	cur       *dbReader
	tr        *dataTransformer
	labels    bool
}

func newData(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	dp := p.GetDataParam()
	if dp.GetSource() == "" {
		return nil, fmt.Errorf("data_param.source is not set")
	}
	if dp.GetBatchSize() == 0 {
		return nil, fmt.Errorf("data_param.batch_size must be positive")
	}
	if dp.GetPrefetch() == 0 {
		return nil, fmt.Errorf("data_param.prefetch must be at least 1")
	}
	warnDeprecatedDataParams(p.GetName(), dp.Scale != nil, dp.MeanFile != nil, dp.CropSize != nil, dp.Mirror != nil, "data_param")
	// Caffe opens the database when it constructs the layer.
	cur, err := newDBReader(dp.GetBackend(), dp.GetSource())
	if err != nil {
		return nil, err
	}
	return &dataLayer{prefetchingLayer: prefetchingLayer{base: newBase(p, ctx)}, batchSize: int(dp.GetBatchSize()), cur: cur}, nil
}

// warnDeprecatedDataParams warns about the transformation fields a layer's own
// parameter still has from before transform_param: Caffe ignores them in current
// nets (only the upgrade of V1 nets moves them), and so does gocaffe.
func warnDeprecatedDataParams(layer string, scale, meanFile, cropSize, mirror bool, param string) {
	for _, f := range []struct {
		set  bool
		name string
	}{{scale, "scale"}, {meanFile, "mean_file"}, {cropSize, "crop_size"}, {mirror, "mirror"}} {
		if f.set {
			glog.Warningf("Layer %s: %s.%s is deprecated and ignored; set transform_param.%s instead", layer, param, f.name, f.name)
		}
	}
}

func (l *dataLayer) BlobCounts() BlobCounts { return BlobCounts{0, 0, 1, 2, false} }

func (l *dataLayer) Setup(bottom, top []*blob.Blob) error {
	dp := l.param.GetDataParam()
	l.labels = len(top) > 1
	var err error
	l.tr, err = newDataTransformer(l.param.GetTransformParam(), l.phase(), l.ctx.RNG)
	if err != nil {
		return err
	}
	offset, stride := l.ctx.Share.stride(l.phase())
	if skip := dp.GetRandSkip(); skip > 0 {
		n := uint64(l.ctx.RNG.Uint32() % skip)
		if stride > 1 {
			// Each rank draws its own n: skipping would make the ranks' shares
			// overlap. Caffe 1.0's Data layer ignores rand_skip altogether.
			glog.Warningf("Layer %s: rand_skip is ignored with %d ranks (they would read overlapping records)", l.param.GetName(), stride)
			n = 0
		} else {
			glog.Infof("Skipping first %d data points.", n)
		}
		if err := l.cur.seekTo(n); err != nil {
			return err
		}
	}
	if stride > 1 {
		l.cur.stride = stride
		if err := l.cur.seekTo(offset); err != nil {
			return err
		}
	}

	// Shape the tops from the first record to be read.
	key, value := l.cur.peek()
	d := &caffepb.Datum{}
	if err := datum.Unmarshal(value, d); err != nil {
		return l.cur.recordError(key, fmt.Errorf("not a Datum: %w", err))
	}
	c, h, w, _, err := l.tr.recordShape(d)
	if err != nil {
		return l.cur.recordError(key, err)
	}
	item, err := l.tr.shape(c, h, w)
	if err != nil {
		return l.cur.recordError(key, err)
	}
	shape := append([]int{l.batchSize}, item[1:]...)
	if _, err := blob.CountOf(shape...); err != nil {
		return l.cur.recordError(key, fmt.Errorf("a batch of %d: %w", l.batchSize, err))
	}
	top[0].Reshape(shape...)
	glog.Infof("output data size: %d,%d,%d,%d", top[0].Num(), top[0].Channels(), top[0].Height(), top[0].Width())
	if l.labels {
		top[1].Reshape(l.batchSize)
	}
	l.pf = startPrefetch(l.ctx.RNG, l.tr, &dataReader{l: l, datum: d}, int(dp.GetPrefetch()), shape, l.labels)
	return nil
}

// Close stops the prefetching goroutine and closes the database.
func (l *dataLayer) Close() error {
	l.pf.close()
	if l.cur == nil {
		return nil
	}
	err := l.cur.r.Close()
	l.cur = nil
	return err
}

// dataReader reads batches of Datums for the prefetcher.
type dataReader struct {
	l     *dataLayer
	datum *caffepb.Datum // reused for every record
}

func (r *dataReader) readBatch(b *batch) error {
	l := r.l
	var item []int
	for i := 0; i < l.batchSize; i++ {
		key, value := l.cur.peek()
		if err := datum.Unmarshal(value, r.datum); err != nil {
			return l.cur.recordError(key, fmt.Errorf("not a Datum: %w", err))
		}
		c, h, w, im, err := l.tr.recordShape(r.datum)
		if err != nil {
			return l.cur.recordError(key, err)
		}
		if i == 0 {
			// Every batch takes the shape of its first record.
			if item, err = l.tr.shape(c, h, w); err != nil {
				return l.cur.recordError(key, err)
			}
			if err := growBatch(b, l.batchSize, item); err != nil {
				return l.cur.recordError(key, err)
			}
		}
		n := len(b.data) / l.batchSize
		if err := l.tr.transformDatum(r.datum, im, item[1:], b.data[i*n:(i+1)*n]); err != nil {
			return l.cur.recordError(key, err)
		}
		if b.label != nil {
			b.label[i] = float32(r.datum.GetLabel())
		}
		if err := l.cur.advance(); err != nil {
			return err
		}
	}
	return nil
}

func (r *dataReader) where() (s string) {
	defer func() {
		// The key lies in the database's mapping, which may be what faulted.
		if recover() != nil {
			s = fmt.Sprintf("database %s, record %d", r.l.cur.source, r.l.cur.pos)
		}
	}()
	key, _ := r.l.cur.peek()
	return fmt.Sprintf("database %s, key %q", r.l.cur.source, key)
}

func (r *dataReader) state(s *readerState) {
	s.pos = r.l.cur.pos
	if tr := r.l.tr; tr.rng != nil {
		s.transform, s.hasTransform = *tr.rng, true
	}
}

func (r *dataReader) seek(s *readerState) error {
	if err := r.l.cur.seekTo(s.pos); err != nil {
		return err
	}
	if s.hasTransform {
		*r.l.tr.rng = s.transform
	}
	return nil
}

// dbReader walks a database's records as an endless stream: after the last record
// it starts again from the first, as Caffe's Data layer does.
type dbReader struct {
	r      *db.Reader
	source string
	pos    uint64 // stream position of the current record
	stride uint64 // records of the stream per record read: a rank's share (0 or 1: all)
}

func newDBReader(backend caffepb.DataParameter_DB, source string) (*dbReader, error) {
	b, err := db.FromProto(backend)
	if err != nil {
		return nil, fmt.Errorf("data_param.backend: %w", err)
	}
	r, err := db.OpenReader(source, b)
	if err != nil {
		return nil, err
	}
	if !r.Valid() {
		r.Close()
		return nil, fmt.Errorf("database %s is empty", source)
	}
	return &dbReader{r: r, source: source}, nil
}

// recordError names the database and the key of a bad record.
func (r *dbReader) recordError(key []byte, err error) error {
	return fmt.Errorf("database %s, key %q: %w", r.source, key, err)
}

// peek returns the current record. The key and value are valid until the reader
// moves.
func (r *dbReader) peek() (key, value []byte) { return r.r.Key(), r.r.Value() }

// advance moves to the next record, and from the last back to the first; in a
// rank's share, to the next record of the share (stride records on).
func (r *dbReader) advance() error {
	for i := uint64(0); i < max(r.stride, 1); i++ {
		r.pos++
		wrapped, err := r.r.NextWrap()
		if err != nil {
			return err
		}
		if wrapped {
			glog.Infof("Restarting data prefetching from start.")
		}
	}
	return nil
}

// seekTo moves to stream position pos: record pos mod N.
func (r *dbReader) seekTo(pos uint64) error {
	n, err := r.r.Len()
	if err != nil {
		return err
	}
	if err := r.r.SeekIndex(int(pos % uint64(n))); err != nil {
		return err
	}
	r.pos = pos
	return nil
}
