package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("ImageData", newImageData) }

// imageData is Caffe's ImageData layer: batches of image files named, with their
// labels, by a list file (image_data_param.source, one "path label" per line; paths
// are appended to root_folder as Caffe does, so give it a trailing slash). Images are
// decoded in colour (BGR) or grey (is_color), resized to new_height×new_width when
// both are set, and transformed by transform_param. With shuffle, the list is put in
// a random order at the start and again at every pass. A goroutine reads ahead.
//
// The draws are Caffe's: the shuffle source is seeded with one draw from the net's,
// and each pass shuffles the previous pass's order with caffe::shuffle, as Caffe's
// ShuffleImages does; rand_skip then draws from the net's source. A resumed run
// rebuilds the current order by replaying the shuffles from the source as seeded,
// which the saved state holds.
type imageData struct {
	prefetchingLayer
	p                *caffepb.ImageDataParameter
	batchSize        int
	newH, newW       int
	lines            []datum.ListEntry
	order            []int // the current pass's order: indices into lines
	pos              uint64
	shuffle          *rng.Source // nil without shuffle
	shuffleSeeded    rng.Source  // shuffle's state as seeded, before the first shuffle
	tr               *dataTransformer
	rootFolder, list string
}

func newImageData(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	ip := p.GetImageDataParam()
	if ip.GetSource() == "" {
		return nil, fmt.Errorf("image_data_param.source is not set")
	}
	if ip.GetBatchSize() == 0 {
		return nil, fmt.Errorf("image_data_param.batch_size must be positive")
	}
	h, w := int(ip.GetNewHeight()), int(ip.GetNewWidth())
	if (h == 0) != (w == 0) {
		return nil, fmt.Errorf("image_data_param: new_height (%d) and new_width (%d) must be set together", h, w)
	}
	warnDeprecatedDataParams(p.GetName(), ip.Scale != nil, ip.MeanFile != nil, ip.CropSize != nil, ip.Mirror != nil, "image_data_param")
	return &imageData{prefetchingLayer: prefetchingLayer{base: newBase(p, ctx)}, p: ip, batchSize: int(ip.GetBatchSize()), newH: h, newW: w,
		rootFolder: ip.GetRootFolder(), list: ip.GetSource()}, nil
}

func (l *imageData) BlobCounts() BlobCounts { return Exactly(0, 2) }

func (l *imageData) Setup(bottom, top []*blob.Blob) error {
	var err error
	if l.tr, err = newDataTransformer(l.param.GetTransformParam(), l.phase(), l.ctx.RNG); err != nil {
		return err
	}
	glog.Infof("Opening file %s", l.list)
	if l.lines, err = datum.ReadImageList(l.list); err != nil {
		return fmt.Errorf("image_data_param.source: %w", err)
	}
	if len(l.lines) == 0 {
		return fmt.Errorf("image_data_param.source %s lists no images", l.list)
	}
	l.order = make([]int, len(l.lines))
	for i := range l.order {
		l.order[i] = i
	}
	if l.p.GetShuffle() {
		glog.Infof("Shuffling data")
		l.shuffle = rng.New(l.ctx.RNG.Uint32())
		l.shuffleSeeded = *l.shuffle
		l.shuffleLines()
	}
	glog.Infof("A total of %d images.", len(l.lines))
	if skip := l.p.GetRandSkip(); skip > 0 {
		n := l.ctx.RNG.Uint32() % skip
		glog.Infof("Skipping first %d data points.", n)
		if int(n) >= len(l.lines) {
			return fmt.Errorf("image_data_param.rand_skip: cannot skip %d of the %d images", n, len(l.lines))
		}
		l.pos = uint64(n)
	}

	im, err := l.read(l.current())
	if err != nil {
		return err
	}
	item, err := l.tr.shape(im.Channels, im.Height, im.Width)
	if err != nil {
		return l.entryError(l.current(), err)
	}
	shape := append([]int{l.batchSize}, item[1:]...)
	top[0].Reshape(shape...)
	glog.Infof("output data size: %d,%d,%d,%d", top[0].Num(), top[0].Channels(), top[0].Height(), top[0].Width())
	top[1].Reshape(l.batchSize)
	// Caffe's base class reads the queue length from data_param, default 4.
	prefetch := int(l.param.GetDataParam().GetPrefetch())
	if prefetch < 1 {
		prefetch = 1
	}
	l.pf = startPrefetch(l.ctx.RNG, l.tr, l, prefetch, shape, true)
	return nil
}

// shuffleLines puts the list in a random order for a new pass: a shuffle of the
// current order (Caffe's ShuffleImages).
func (l *imageData) shuffleLines() {
	l.shuffle.Shuffle(len(l.order), func(i, j int) { l.order[i], l.order[j] = l.order[j], l.order[i] })
}

// current is the list entry at the reader's position.
func (l *imageData) current() datum.ListEntry {
	return l.lines[l.order[l.pos%uint64(len(l.lines))]]
}

func (l *imageData) entryError(e datum.ListEntry, err error) error {
	return fmt.Errorf("image list %s, line %d (%s): %w", l.list, e.Line, e.Path, err)
}

// read decodes (and resizes) the image of a list entry.
func (l *imageData) read(e datum.ListEntry) (*datum.Img, error) {
	im, err := datum.ReadImage(l.rootFolder+e.Path, l.newH, l.newW, l.p.GetIsColor())
	if err != nil {
		return nil, l.entryError(e, fmt.Errorf("could not load image: %w", err))
	}
	return im, nil
}

// readBatch implements batchReader; it runs on the prefetch goroutine.
func (l *imageData) readBatch(b *batch) error {
	var item []int
	for i := 0; i < l.batchSize; i++ {
		e := l.current()
		im, err := l.read(e)
		if err != nil {
			return err
		}
		if i == 0 {
			// Every batch takes the shape of its first image.
			if item, err = l.tr.shape(im.Channels, im.Height, im.Width); err != nil {
				return l.entryError(e, err)
			}
			if err := growBatch(b, l.batchSize, item); err != nil {
				return l.entryError(e, err)
			}
		}
		n := len(b.data) / l.batchSize
		if err := l.tr.transformImage(im, item[1:], b.data[i*n:(i+1)*n]); err != nil {
			return l.entryError(e, err)
		}
		b.label[i] = float32(e.Label)
		l.pos++
		if l.pos%uint64(len(l.lines)) == 0 && l.shuffle != nil {
			l.shuffleLines()
		}
	}
	return nil
}

func (l *imageData) where() string {
	e := l.current()
	return fmt.Sprintf("image list %s, line %d (%s)", l.list, e.Line, e.Path)
}

func (l *imageData) state(s *readerState) {
	s.pos = l.pos
	if l.tr.rng != nil {
		s.transform, s.hasTransform = *l.tr.rng, true
	}
	if l.shuffle != nil {
		s.shuffle, s.hasShuffle = l.shuffleSeeded, true
	}
}

func (l *imageData) seek(s *readerState) error {
	l.pos = s.pos
	if s.hasTransform {
		*l.tr.rng = s.transform
	}
	if s.hasShuffle {
		// The order at pos: the first shuffle, then one more at the end of every
		// pass read so far (at stream positions N, 2N, ...).
		*l.shuffle = s.shuffle
		l.shuffleSeeded = s.shuffle
		for i := range l.order {
			l.order[i] = i
		}
		for k := uint64(0); k <= l.pos/uint64(len(l.lines)); k++ {
			l.shuffleLines()
		}
	}
	return nil
}

// Close stops the prefetching goroutine.
func (l *imageData) Close() error {
	l.pf.close()
	return nil
}
