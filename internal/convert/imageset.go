package convert

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// ImagesetOptions are the settings of Imageset, convert_imageset's flags.
type ImagesetOptions struct {
	// ResizeHeight and ResizeWidth, when both are positive, are the size images are
	// resized to.
	ResizeHeight, ResizeWidth int
	// Shuffle puts the list in a random order drawn from Seed.
	Shuffle bool
	// Gray decodes images in grey rather than BGR colour.
	Gray bool
	// Encoded stores images encoded rather than as raw bytes: the file's own bytes
	// when neither resizing nor EncodeType changes them.
	Encoded bool
	// EncodeType is the format to encode images as (png, jpg, bmp, tiff); it implies
	// Encoded.
	EncodeType string
	// CheckSize refuses an image of another size than the first.
	CheckSize bool
	// SkipBad logs and leaves out the images that cannot be read, as
	// convert_imageset does, instead of stopping.
	SkipBad bool
	// Seed is the seed of Shuffle.
	Seed int64
}

// Imageset reads list, one "path label" per line, and writes each image root+path
// into a database at out under the key %08d_<path> (the line's index), as Caffe's
// convert_imageset does: decoded to raw BGR (or grey) bytes, resized, or kept
// encoded, as opts says. root is prepended as it is (give it a trailing slash).
func Imageset(root, list, out string, opts ImagesetOptions, o Options) error {
	if err := o.checkTargets(out); err != nil {
		return err
	}
	lines, err := datum.ReadImageList(list)
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return fmt.Errorf("%s lists no images: want one \"path label\" per line", list)
	}
	if opts.Shuffle {
		glog.Infof("Shuffling data")
		shuffleEntries(lines, opts.Seed)
	}
	glog.Infof("A total of %d images.", len(lines))
	if opts.EncodeType != "" && !opts.Encoded {
		glog.Infof("encode_type specified, assuming encoded=true.")
	}
	h, w := max(0, opts.ResizeHeight), max(0, opts.ResizeWidth)
	if (h > 0) != (w > 0) {
		glog.Warningf("only one of --resize_height and --resize_width is set: images are not resized")
	}

	dw, err := o.createDB(out, len(lines), "images")
	if err != nil {
		return err
	}
	defer dw.abort()
	var (
		sizeSet            bool
		size, sizeC, sizeH int
		sizeW              int
	)
	for i, e := range lines {
		path := root + e.Path
		where := fmt.Sprintf("%s:%d: %s", list, e.Line, path)
		d, err := imageDatum(path, e.Label, h, w, !opts.Gray, opts.Encoded, opts.EncodeType)
		if err != nil {
			if opts.SkipBad {
				glog.Errorf("Could not open or find file %s: %v", path, err)
				continue
			}
			return fmt.Errorf("%s: %w", where, err)
		}
		if opts.CheckSize {
			c, hh, ww := int(d.GetChannels()), int(d.GetHeight()), int(d.GetWidth())
			n := len(d.Data)
			if d.GetEncoded() {
				// Compare the decoded images' shapes: encoded sizes vary.
				im, err := datum.Image(d, datum.Native)
				if err != nil {
					return fmt.Errorf("%s: %w", where, err)
				}
				c, hh, ww, n = im.Channels, im.Height, im.Width, len(im.Pix)
			}
			if !sizeSet {
				size, sizeC, sizeH, sizeW, sizeSet = n, c, hh, ww, true
			} else if n != size {
				return fmt.Errorf("%s: image of %d×%d×%d (%d values), but the first was %d×%d×%d (%d values) (--check_size)",
					where, c, hh, ww, n, sizeC, sizeH, sizeW, size)
			}
		}
		if err := dw.put(fmt.Sprintf("%08d_%s", i, e.Path), d); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return dw.commit()
}

// imageDatum makes the Datum of one image file, as Caffe's ReadImageToDatum does.
func imageDatum(path string, label int32, h, w int, color, encoded bool, encodeType string) (*caffepb.Datum, error) {
	if h == 0 || w == 0 {
		h, w = 0, 0
	}
	im, err := datum.ReadImage(path, h, w, color)
	if err != nil {
		return nil, err
	}
	enc := encodeType
	if encoded && enc == "" {
		// Guess the format from the file name.
		ext := filepath.Ext(path)
		if ext == "" {
			return nil, fmt.Errorf("cannot guess the encoding of %q from its name: give --encode_type", path)
		}
		enc = strings.ToLower(ext[1:])
	}
	if enc == "" {
		return datum.FromImage(im, label), nil
	}
	if h == 0 && w == 0 && matchExt(path, enc) {
		// Neither resized nor converted: the file's own bytes.
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return &caffepb.Datum{Data: data, Label: proto.Int32(label), Encoded: proto.Bool(true)}, nil
	}
	data, err := datum.Encode(im, enc)
	if err != nil {
		return nil, err
	}
	return &caffepb.Datum{Data: data, Label: proto.Int32(label), Encoded: proto.Bool(true)}, nil
}

// matchExt reports whether a file name's extension is the encoding enc (Caffe's
// matchExt: case-insensitive, jpeg counts as jpg).
func matchExt(path, enc string) bool {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	enc = strings.ToLower(enc)
	return ext == enc || (enc == "jpg" && ext == "jpeg")
}

// shuffleEntries puts the list in a random order drawn from seed.
func shuffleEntries(lines []datum.ListEntry, seed int64) {
	r := rng.New(uint32(seed) ^ uint32(seed>>32))
	r.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
}
