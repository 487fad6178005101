package net

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// sourceShape is the shape of a data layer's first top as the layer would give it
// from its source: the first record's channels, height and width — decoded when it
// is encoded, in colour or grey as force_color or force_gray ask — cropped to
// crop_size, for a batch. It reads the first record of a Data layer's database, and
// the first image of an ImageData layer's list (which new_height and new_width would
// otherwise fix).
func sourceShape(l *caffepb.LayerParameter) ([]int, error) {
	var c, h, w, batch int
	tp := l.GetTransformParam()
	switch l.GetType() {
	case "Data":
		p := l.GetDataParam()
		batch = int(p.GetBatchSize())
		b, err := db.FromProto(p.GetBackend())
		if err != nil {
			return nil, err
		}
		v, err := db.FirstValue(p.GetSource(), b)
		if err != nil {
			return nil, err
		}
		d := &caffepb.Datum{}
		if err := datum.Unmarshal(v, d); err != nil {
			return nil, fmt.Errorf("%s: the first record is not a Datum: %w", p.GetSource(), err)
		}
		if d.GetEncoded() {
			mode := datum.Native
			switch {
			case tp.GetForceColor():
				mode = datum.Color
			case tp.GetForceGray():
				mode = datum.Gray
			}
			im, err := datum.Image(d, mode)
			if err != nil {
				return nil, fmt.Errorf("%s: the first record: %w", p.GetSource(), err)
			}
			c, h, w = im.Channels, im.Height, im.Width
		} else if c, h, w, err = datum.Shape(d); err != nil {
			return nil, fmt.Errorf("%s: the first record: %w", p.GetSource(), err)
		}
	case "ImageData":
		p := l.GetImageDataParam()
		batch = int(p.GetBatchSize())
		list, err := datum.ReadImageList(p.GetSource())
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("%s lists no images", p.GetSource())
		}
		path := list[0].Path
		if root := p.GetRootFolder(); root != "" {
			path = root + path // Caffe concatenates root_folder and the listed name
		}
		im, err := datum.ReadImage(filepath.FromSlash(path), int(p.GetNewHeight()), int(p.GetNewWidth()), p.GetIsColor())
		if err != nil {
			return nil, fmt.Errorf("the first image of %s: %w", p.GetSource(), err)
		}
		c, h, w = im.Channels, im.Height, im.Width
	default:
		return nil, fmt.Errorf("a %s layer's source gives no shape here", l.GetType())
	}
	if crop := int(tp.GetCropSize()); crop > 0 {
		if h < crop || w < crop {
			return nil, fmt.Errorf("crop_size %d is larger than the %d×%d records", crop, h, w)
		}
		h, w = crop, crop
	}
	return []int{batch, c, h, w}, nil
}

// shortSource is a data layer's source for a message.
func shortSource(l *caffepb.LayerParameter) string {
	for _, s := range []string{l.GetDataParam().GetSource(), l.GetImageDataParam().GetSource()} {
		if s != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}
