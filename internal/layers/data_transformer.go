package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// dataTransformer is Caffe's DataTransformer: it turns one record (a Datum or a
// decoded image) into one C×H'×W' item of a data layer's top, with, per element and
// in this order,
//
//	crop    a crop_size×crop_size window: random in TRAIN, centred in TEST
//	mirror  left-right flip, drawn at random for every item whenever mirror is set —
//	        in TEST too, as in Caffe
//	mean    minus mean_file at the uncropped position, or minus mean_value[c]
//	scale   times scale
//
// so that out = (x − mean) · scale, rounded as Caffe rounds it (float32).
//
// Its random source is its own, seeded from the net's (Caffe's InitRand, which a
// prefetching data layer calls twice: see startPrefetch), and used only on the
// goroutine that prefetches batches. A draw is raw_uint32 % n, as Caffe's Rand(n) is,
// taken in Caffe's order (mirror, then the crop's row and column offsets), so with
// the same seed the crops and mirrors are Caffe's.
type dataTransformer struct {
	p     *caffepb.TransformationParameter
	phase caffepb.Phase
	crop  int
	scale float32

	mean                []float32 // mean_file, C×H×W; nil without one
	meanC, meanH, meanW int
	meanValues          []float32 // mean_value, one or one per channel
	decode              datum.ColorMode
	rng                 *rng.Source // nil when nothing is random
	warnedForce         bool

	chw []byte // scratch: a decoded image in channel, row, column order
}

// newDataTransformer checks transform_param, loads the mean file and, when a
// transformation is random, seeds the transformer's source with one draw from the
// net's (Caffe's InitRand, as BaseDataLayer::LayerSetUp calls it before the layer
// reads its source).
func newDataTransformer(p *caffepb.TransformationParameter, phase caffepb.Phase, netRNG *rng.Source) (*dataTransformer, error) {
	if p == nil {
		p = &caffepb.TransformationParameter{}
	}
	t := &dataTransformer{p: p, phase: phase, crop: int(p.GetCropSize()), scale: p.GetScale(), meanValues: p.GetMeanValue()}
	if p.MeanFile != nil && len(p.MeanValue) > 0 {
		return nil, fmt.Errorf("transform_param: cannot specify mean_file and mean_value at the same time")
	}
	if p.GetForceColor() && p.GetForceGray() {
		return nil, fmt.Errorf("transform_param: cannot set both force_color and force_gray")
	}
	switch {
	case p.GetForceColor():
		t.decode = datum.Color
	case p.GetForceGray():
		t.decode = datum.Gray
	}
	if p.MeanFile != nil {
		path := p.GetMeanFile()
		glog.Infof("Loading mean file from: %s", path)
		bp, err := protofile.ReadBlobProto(path)
		if err != nil {
			return nil, fmt.Errorf("transform_param.mean_file: %w", err)
		}
		b := blob.New()
		if err := b.FromProto(bp, true); err != nil {
			return nil, fmt.Errorf("transform_param.mean_file %s: %w", path, err)
		}
		if b.NumAxes() > 4 || b.Num() != 1 {
			return nil, fmt.Errorf("transform_param.mean_file %s: a mean has shape (1, C, H, W), this one %s", path, b.ShapeString())
		}
		t.mean, t.meanC, t.meanH, t.meanW = b.Data, b.Channels(), b.Height(), b.Width()
	}
	t.initRand(netRNG)
	return t, nil
}

// initRand is Caffe's DataTransformer::InitRand: when a transformation is random
// (mirror, or a crop in TRAIN), the transformer's source is seeded anew with one draw
// from the net's; otherwise it has none and nothing is drawn.
func (t *dataTransformer) initRand(netRNG *rng.Source) {
	t.rng = nil
	if t.p.GetMirror() || (t.phase == caffepb.Phase_TRAIN && t.crop > 0) {
		t.rng = rng.New(netRNG.Uint32())
	}
}

// rand is Caffe's DataTransformer::Rand: the next raw draw modulo n.
func (t *dataTransformer) rand(n int) int { return int(t.rng.Uint32() % uint32(n)) }

// shape returns the shape of one transformed item from a record of c×h×w.
func (t *dataTransformer) shape(c, h, w int) ([]int, error) {
	if t.crop > 0 {
		if h < t.crop || w < t.crop {
			return nil, fmt.Errorf("crop_size %d is larger than the %d×%d image", t.crop, h, w)
		}
		h, w = t.crop, t.crop
	}
	return []int{1, c, h, w}, nil
}

// recordShape returns the shape (c, h, w) of a Datum before transformation, decoding
// it if it is encoded, and the decoded image.
func (t *dataTransformer) recordShape(d *caffepb.Datum) (c, h, w int, im *datum.Img, err error) {
	if d.GetEncoded() {
		im, err = datum.Image(d, t.decode)
		if err != nil {
			return 0, 0, 0, nil, err
		}
		return im.Channels, im.Height, im.Width, im, nil
	}
	if (t.p.GetForceColor() || t.p.GetForceGray()) && !t.warnedForce {
		glog.Errorf("force_color and force_gray only for encoded datum")
		t.warnedForce = true
	}
	c, h, w, err = datum.Shape(d)
	return c, h, w, nil, err
}

// transformDatum writes the transformed Datum (or its decoded image im, when it is
// encoded) into out, which has the item shape the batch was shaped for:
// want = (C, H', W').
func (t *dataTransformer) transformDatum(d *caffepb.Datum, im *datum.Img, want []int, out []float32) error {
	if im != nil {
		return t.transformImage(im, want, out)
	}
	c, h, w, err := datum.Shape(d)
	if err != nil {
		return err
	}
	return t.transform(c, h, w, d.Data, d.FloatData, want, out)
}

// transformImage writes the transformed image into out (see transformDatum).
func (t *dataTransformer) transformImage(im *datum.Img, want []int, out []float32) error {
	t.chw = im.CHW(t.chw[:0])
	return t.transform(im.Channels, im.Height, im.Width, t.chw, nil, want, out)
}

// transform is the body of Caffe's Transform: src is c×h×w values, as bytes when
// pixels is non-empty and as floats otherwise.
func (t *dataTransformer) transform(c, h, w int, pixels []byte, floats []float32, want []int, out []float32) error {
	oh, ow := h, w
	if t.crop > 0 {
		oh, ow = t.crop, t.crop
	}
	if c != want[0] || oh != want[1] || ow != want[2] {
		return fmt.Errorf("record of shape %d×%d×%d gives items of %d×%d×%d, but its batch was shaped %d×%d×%d by the batch's first record (records of one batch must agree)",
			c, h, w, c, oh, ow, want[0], want[1], want[2])
	}
	if t.crop > 0 && (h < t.crop || w < t.crop) {
		return fmt.Errorf("crop_size %d is larger than the %d×%d image", t.crop, h, w)
	}
	if t.mean != nil && (c != t.meanC || h != t.meanH || w != t.meanW) {
		return fmt.Errorf("record of shape %d×%d×%d does not match the mean file %s of shape %d×%d×%d",
			c, h, w, t.p.GetMeanFile(), t.meanC, t.meanH, t.meanW)
	}
	mv := t.meanValues
	if len(mv) > 0 && len(mv) != 1 && len(mv) != c {
		return fmt.Errorf("transform_param: %d mean_value entries for %d channels: specify either 1 mean_value or as many as channels", len(mv), c)
	}

	mirror := t.p.GetMirror() && t.rand(2) == 1
	hOff, wOff := 0, 0
	if t.crop > 0 {
		if t.phase == caffepb.Phase_TRAIN {
			hOff, wOff = t.rand(h-t.crop+1), t.rand(w-t.crop+1)
		} else {
			hOff, wOff = (h-t.crop)/2, (w-t.crop)/2
		}
	}

	// src: c×h×w, out: c×oh×ow. The mean is indexed at the source position.
	for ch := 0; ch < c; ch++ {
		var m float32
		if len(mv) == 1 {
			m = mv[0]
		} else if len(mv) > 0 {
			m = mv[ch]
		}
		for y := 0; y < oh; y++ {
			srcRow := (ch*h+hOff+y)*w + wOff
			dstRow := (ch*oh + y) * ow
			for x := 0; x < ow; x++ {
				si := srcRow + x
				di := dstRow + x
				if mirror {
					di = dstRow + ow - 1 - x
				}
				var v float32
				if len(pixels) > 0 {
					v = float32(pixels[si])
				} else {
					v = floats[si]
				}
				if t.mean != nil {
					m = t.mean[si]
				}
				out[di] = float32(v-m) * t.scale
			}
		}
	}
	return nil
}
