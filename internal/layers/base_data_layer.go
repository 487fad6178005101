package layers

import (
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/rng"
)

// What the Data and ImageData layers share (Caffe's BasePrefetchingDataLayer): a
// goroutine that reads and transforms batches ahead of the net into a queue of
// `prefetch` batches, and the bookkeeping that lets a resumed run read on exactly
// where the interrupted one stopped.
//
// A reader's state is its position in the endless stream of records (record i of the
// stream is record i mod N of the source, in the source's order of that epoch) and
// its random sources. Only the prefetch goroutine touches the reader while it runs;
// each batch carries a copy of the state after it was read, so the net's goroutine
// knows the state after the last batch it consumed — what Position reports — without
// looking at the reader.

// prefetchingLayer is the layer side of a prefetching data layer: its Setup starts
// pf, whose batches become the tops. The layers that embed it add Setup, which reads
// their parameters and starts pf, and Close.
type prefetchingLayer struct {
	base
	pf *prefetcher
}

// Reshape does nothing: the tops take each batch's shape in Forward, as in Caffe.
func (l *prefetchingLayer) Reshape(bottom, top []*blob.Blob) error { return nil }

// Forward copies the next prefetched batch into the tops.
func (l *prefetchingLayer) Forward(bottom, top []*blob.Blob) error { return l.pf.next(top) }

// Backward does nothing: data layers have no bottoms.
func (l *prefetchingLayer) Backward(top []*blob.Blob, propagateDown []bool, bottom []*blob.Blob) {}

// Position implements DataSource.
func (l *prefetchingLayer) Position() (uint64, []byte) { return l.pf.position() }

// Seek implements DataSource.
func (l *prefetchingLayer) Seek(consumed uint64, rngState []byte) error {
	if l.pf == nil {
		return fmt.Errorf("Seek before Setup")
	}
	return l.pf.seek(consumed, rngState)
}

// readerState is a data reader's position and random sources at a batch boundary.
type readerState struct {
	pos          uint64     // stream position of the next record
	transform    rng.Source // the transformer's source (when hasTransform)
	shuffle      rng.Source // the shuffle's source as seeded, before any shuffle (when hasShuffle)
	hasTransform bool
	hasShuffle   bool
}

// Tags of the sections of a marshalled readerState.
const (
	stateTransform = 'T'
	stateShuffle   = 'S'
)

// marshalRNG returns the random sources of s: a tagged section per source, nil when
// the reader has none.
func (s *readerState) marshalRNG() []byte {
	var out []byte
	add := func(tag byte, src *rng.Source) {
		b, _ := src.MarshalBinary() // cannot fail
		out = append(out, tag)
		out = append(out, b...)
	}
	if s.hasTransform {
		add(stateTransform, &s.transform)
	}
	if s.hasShuffle {
		add(stateShuffle, &s.shuffle)
	}
	return out
}

// rngStateSize is the length of a marshalled random source.
var rngStateSize = func() int {
	b, _ := rng.New(0).MarshalBinary()
	return len(b)
}()

// unmarshalRNG restores the random sources s has from b, which must hold exactly
// those, as marshalRNG wrote them.
func (s *readerState) unmarshalRNG(b []byte) error {
	take := func(tag byte, src *rng.Source, what string) error {
		if len(b) < 1+rngStateSize || b[0] != tag {
			return fmt.Errorf("the saved data state has no %s random source, which this layer needs (was transform_param or shuffle changed?)", what)
		}
		if err := src.UnmarshalBinary(b[1 : 1+rngStateSize]); err != nil {
			return fmt.Errorf("the saved %s random source: %w", what, err)
		}
		b = b[1+rngStateSize:]
		return nil
	}
	if s.hasTransform {
		if err := take(stateTransform, &s.transform, "transformation"); err != nil {
			return err
		}
	}
	if s.hasShuffle {
		if err := take(stateShuffle, &s.shuffle, "shuffle"); err != nil {
			return err
		}
	}
	if len(b) != 0 {
		return errors.New("the saved data state holds random sources this layer does not use (was transform_param or shuffle changed?)")
	}
	return nil
}

// batch is one prefetched batch.
type batch struct {
	data  []float32 // N×C×H×W, the transformed records
	shape []int     // (N, C, H, W)
	label []float32 // N labels; nil without a label top
	after readerState
	err   error // why the batch could not be read; the batch is then empty
}

// batchReader reads batches for a prefetcher. All its methods run on one goroutine
// at a time: the prefetch goroutine while it runs, the net's while it is stopped.
type batchReader interface {
	// readBatch fills b with the next batch (b.data, b.shape, b.label).
	readBatch(b *batch) error
	// where names the record the reader is at, for errors: "database X, key K".
	where() string
	// state copies the reader's current state into s.
	state(s *readerState)
	// seek restores a state saved by state (its pos and random sources).
	seek(s *readerState) error
}

// prefetcher runs a batchReader on its own goroutine, prefetch batches ahead.
type prefetcher struct {
	r          batchReader
	free, full chan *batch
	quit, done chan struct{}
	running    bool
	closed     bool

	consumed readerState // the state after the last batch the net took
	err      error       // the error that stopped reading, returned by every later Forward
}

// startPrefetch ends a data layer's Setup as Caffe's
// BasePrefetchingDataLayer::LayerSetUp does, drawing from the net's source netRNG
// what Caffe draws from the thread's: the transformer is seeded again (InitRand's
// second call, after the layer read its source; the seed of the first call is
// discarded), then StartInternalThread draws the seed of the prefetch thread's own
// source. Caffe's Data and ImageData layers never draw from that thread source (the
// transformer and the shuffle have their own), so the prefetch goroutine gets none;
// the draw keeps netRNG in step with Caffe's for the layers after this one. Then it
// starts reading, count batches ahead (newPrefetcher).
func startPrefetch(netRNG *rng.Source, tr *dataTransformer, r batchReader, count int, shape []int, labels bool) *prefetcher {
	tr.initRand(netRNG)
	netRNG.Uint32()
	return newPrefetcher(r, count, shape, labels)
}

// newPrefetcher makes count batches of the given initial shape and starts reading.
func newPrefetcher(r batchReader, count int, shape []int, labels bool) *prefetcher {
	p := &prefetcher{r: r, free: make(chan *batch, count), full: make(chan *batch, count)}
	for i := 0; i < count; i++ {
		b := &batch{shape: append([]int(nil), shape...), data: blob.Floats(shapeCount(shape))}
		if labels {
			b.label = blob.Floats(shape[0])
		}
		p.free <- b
	}
	r.state(&p.consumed)
	p.start()
	return p
}

func (p *prefetcher) start() {
	p.quit, p.done = make(chan struct{}), make(chan struct{})
	p.running = true
	prefetching.Add(1)
	go p.run(p.quit, p.done)
}

// prefetching counts the prefetch goroutines running, for the tests.
var prefetching atomic.Int64

// run is the prefetch goroutine: it fills free batches and queues them until told to
// quit or until a batch fails, which it queues and stops after.
func (p *prefetcher) run(quit, done chan struct{}) {
	defer close(done)
	defer prefetching.Add(-1)
	// A database file cut short while it is mapped (another program truncating it)
	// faults on the next read: make that a panic, which read turns into the batch's
	// error, rather than the end of the process.
	debug.SetPanicOnFault(true)
	for {
		var b *batch
		select {
		case b = <-p.free:
		case <-quit:
			return
		}
		b.err = p.read(b)
		p.r.state(&b.after)
		select {
		case p.full <- b:
		case <-quit:
			p.free <- b
			return
		}
		if b.err != nil {
			return
		}
	}
}

// read reads a batch on the prefetch goroutine, where a panic would end the
// process: whatever a record does that no check foresaw becomes the batch's error,
// naming the record, and reaches the user through Forward.
func (p *prefetcher) read(b *batch) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if e, ok := r.(error); ok {
			var se *blob.ShapeError
			var ae *blob.AllocError
			if errors.As(e, &se) || errors.As(e, &ae) {
				err = fmt.Errorf("%s: %w", p.r.where(), e)
				return
			}
		}
		if _, fault := r.(interface{ Addr() uintptr }); fault {
			err = fmt.Errorf("%s: the file changed while it was read (was it cut short or rewritten?): %v", p.r.where(), r)
			return
		}
		err = fmt.Errorf("%s: the record could not be read (%v); please report this to gocaffe's authors with the record", p.r.where(), r)
	}()
	return p.r.readBatch(b)
}

// stop ends the goroutine and returns every queued batch to the free list.
func (p *prefetcher) stop() {
	if !p.running {
		return
	}
	close(p.quit)
	<-p.done
	p.running = false
	for {
		select {
		case b := <-p.full:
			p.free <- b
		default:
			return
		}
	}
}

// next takes the next batch into the tops: top[0] gets the data and, when present,
// top[1] the labels.
func (p *prefetcher) next(top []*blob.Blob) error {
	if p.err != nil {
		return p.err
	}
	if p.closed {
		return errors.New("data layer used after Close")
	}
	b := <-p.full
	if b.err != nil {
		// The goroutine has stopped after this batch; keep the error for later calls.
		p.err = b.err
		p.free <- b
		p.running = false
		<-p.done
		return p.err
	}
	top[0].Reshape(b.shape...)
	copy(top[0].Data, b.data)
	if len(top) > 1 {
		top[1].Reshape(b.shape[0])
		copy(top[1].Data, b.label)
	}
	p.consumed = b.after
	p.free <- b
	return nil
}

// position implements DataSource.Position.
func (p *prefetcher) position() (uint64, []byte) {
	return p.consumed.pos, p.consumed.marshalRNG()
}

// seek implements DataSource.Seek: it stops reading ahead, drops the batches read
// from the old position, moves the reader and starts again.
func (p *prefetcher) seek(consumed uint64, rngState []byte) error {
	if p.closed {
		return errors.New("data layer used after Close")
	}
	s := p.consumed // says which sources the reader has
	s.pos = consumed
	if err := s.unmarshalRNG(rngState); err != nil {
		return err
	}
	p.stop()
	if err := p.r.seek(&s); err != nil {
		// The reader is in no known place: the layer cannot go on.
		p.err = fmt.Errorf("seeking to record %d: %w", consumed, err)
		return p.err
	}
	p.consumed, p.err = s, nil
	p.start()
	return nil
}

// close stops the goroutine; the prefetcher cannot be used afterwards.
func (p *prefetcher) close() {
	if p == nil || p.closed {
		return
	}
	p.stop()
	p.closed = true
}

// growBatch shapes b for n items of the given item shape (1, C, H, W). A batch no
// blob could hold, or beyond the memory limit, is an error.
func growBatch(b *batch, n int, item []int) error {
	size, err := blob.CountOf(append([]int{n}, item[1:]...)...)
	if err != nil {
		return fmt.Errorf("a batch of %d: %w", n, err)
	}
	if cap(b.data) < size {
		if err := blob.CheckAlloc(int64(size) * 4); err != nil {
			return fmt.Errorf("a batch of %d: %w", n, err)
		}
		b.data = make([]float32, size)
	}
	b.shape = append(b.shape[:0], n)
	b.shape = append(b.shape, item[1:]...)
	b.data = b.data[:size]
	return nil
}

// shapeCount is the number of elements of a shape.
func shapeCount(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
