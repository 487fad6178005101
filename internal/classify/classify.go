// Package classify prepares images for a classification net and reads its answers, as
// Caffe's classification.cpp and pycaffe's classify.py do: decoding, resizing to the
// net's input, mean subtraction, scaling and channel reordering; the list of images
// from files, folders and image lists; labels files; the top-k classes.
//
// The preprocessing is the one a Data layer applies in the TEST phase to a database
// that convert_imageset made with the same resize, so that classifying a folder gives
// what testing the net on that folder's database gives.
package classify

import (
	"cmp"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
)

// Transform turns a decoded image into one C×H×W item of a net's input blob.
//
// For every output channel c, row y and column x,
//
//	out[c][y][x] = (pixel[swap[c]] at (y+dy, x+dx) − mean[c][y+dy][x+dx]) · scale
//
// where the image was first resized to the input's H×W — or, when the mean file is
// larger than the input, to the mean's size and then centre-cropped to H×W (dy, dx),
// as a Data layer with crop_size does in TEST. Decoded colour images are BGR, the
// order OpenCV and Caffe's convert_imageset give; ChannelSwap reorders them (2,1,0 for
// a net trained on RGB data such as Caffe's own CIFAR-10 databases). The mean is in the
// net's channel order, after the swap, as pycaffe's Transformer applies it.
type Transform struct {
	Channels, Height, Width int // the input item's shape; Channels is 1 or 3

	mean             []float32 // C×MH×MW; nil without a mean file
	meanH, meanW     int
	meanValues       []float32 // one, or one per channel
	scale            float32
	swap             []int // output channel c reads decoded channel swap[c]
	resizeH, resizeW int   // the size images are resized to before the crop
	cropY, cropX     int
	chw              []byte
}

// Options are the preprocessing settings of a Transform.
type Options struct {
	// MeanFile is a .binaryproto mean image (compute_image_mean's), of the input's
	// channels and at least its height and width.
	MeanFile string
	// MeanValues are per-channel means: one for all channels or one per channel.
	MeanValues []float32
	// Scale multiplies the values after the mean is subtracted; 0 means 1.
	Scale float32
	// ChannelSwap is the order of the decoded channels in the input: empty for the
	// decoded order (BGR), 2,1,0 for RGB.
	ChannelSwap []int
}

// NewTransform checks o against an input item of channels×height×width.
func NewTransform(channels, height, width int, o Options) (*Transform, error) {
	if channels != 1 && channels != 3 {
		return nil, fmt.Errorf("the input has %d channels: images make inputs of 1 (grey) or 3 (colour) channels", channels)
	}
	if height <= 0 || width <= 0 {
		return nil, fmt.Errorf("the input is %d×%d: images need a positive height and width", height, width)
	}
	t := &Transform{Channels: channels, Height: height, Width: width, scale: o.Scale,
		resizeH: height, resizeW: width}
	if t.scale == 0 {
		t.scale = 1
	}
	if o.MeanFile != "" && len(o.MeanValues) > 0 {
		return nil, fmt.Errorf("give a mean file or mean values, not both")
	}
	if n := len(o.MeanValues); n > 0 {
		if n != 1 && n != channels {
			return nil, fmt.Errorf("%d mean values for an input of %d channels: give one, or one per channel", n, channels)
		}
		t.meanValues = o.MeanValues
	}
	if o.MeanFile != "" {
		bp, err := protofile.ReadBlobProto(o.MeanFile)
		if err != nil {
			return nil, fmt.Errorf("mean file: %w", err)
		}
		b := blob.New()
		if err := b.FromProto(bp, true); err != nil {
			return nil, fmt.Errorf("mean file %s: %w", o.MeanFile, err)
		}
		if b.NumAxes() > 4 || b.Num() != 1 || b.Channels() != channels {
			return nil, fmt.Errorf("mean file %s has shape %s; the input wants (1, %d, H, W)", o.MeanFile, b.ShapeString(), channels)
		}
		mh, mw := b.Height(), b.Width()
		if mh < height || mw < width {
			return nil, fmt.Errorf("mean file %s is %d×%d, smaller than the %d×%d input", o.MeanFile, mh, mw, height, width)
		}
		t.mean, t.meanH, t.meanW = b.Data, mh, mw
		t.resizeH, t.resizeW = mh, mw
		t.cropY, t.cropX = (mh-height)/2, (mw-width)/2
	}
	if len(o.ChannelSwap) > 0 {
		if len(o.ChannelSwap) != channels {
			return nil, fmt.Errorf("channel swap %v has %d entries for an input of %d channels", o.ChannelSwap, len(o.ChannelSwap), channels)
		}
		seen := make([]bool, channels)
		for _, c := range o.ChannelSwap {
			if c < 0 || c >= channels || seen[c] {
				return nil, fmt.Errorf("channel swap %v is not an order of the channels 0..%d", o.ChannelSwap, channels-1)
			}
			seen[c] = true
		}
		t.swap = o.ChannelSwap
	}
	return t, nil
}

// Mode is how images are decoded for this input: grey or colour (BGR).
func (t *Transform) Mode() datum.ColorMode {
	if t.Channels == 1 {
		return datum.Gray
	}
	return datum.Color
}

// ReadImage decodes an image file for the input (grey or BGR colour).
func (t *Transform) ReadImage(path string) (*datum.Img, error) {
	return datum.ReadImage(path, 0, 0, t.Channels == 3)
}

// Apply writes the transformed image into out, which holds Channels·Height·Width values.
func (t *Transform) Apply(im *datum.Img, out []float32) error {
	if im.Channels != t.Channels {
		return fmt.Errorf("the image has %d channels, the input %d", im.Channels, t.Channels)
	}
	if len(out) != t.Channels*t.Height*t.Width {
		return fmt.Errorf("output of %d values for a %d×%d×%d item", len(out), t.Channels, t.Height, t.Width)
	}
	if im.Height != t.resizeH || im.Width != t.resizeW {
		im = im.Resize(t.resizeH, t.resizeW)
	}
	t.chw = im.CHW(t.chw[:0])
	h, w := t.resizeH, t.resizeW
	for c := 0; c < t.Channels; c++ {
		src := c
		if t.swap != nil {
			src = t.swap[c]
		}
		var m float32
		switch len(t.meanValues) {
		case 0:
		case 1:
			m = t.meanValues[0]
		default:
			m = t.meanValues[c]
		}
		for y := 0; y < t.Height; y++ {
			row := (src*h+y+t.cropY)*w + t.cropX
			mrow := (c*h+y+t.cropY)*w + t.cropX
			dst := out[(c*t.Height+y)*t.Width : (c*t.Height+y+1)*t.Width]
			for x := range dst {
				v := float32(t.chw[row+x])
				if t.mean != nil {
					m = t.mean[mrow+x]
				}
				dst[x] = (v - m) * t.scale
			}
		}
	}
	return nil
}

// ImageExtensions are the file name extensions taken as images in folders and on the
// command line (case-insensitive).
var ImageExtensions = []string{".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}

// IsImageName reports whether a file name has an image extension.
func IsImageName(name string) bool {
	return slices.Contains(ImageExtensions, strings.ToLower(filepath.Ext(name)))
}

// Collect turns command-line arguments into image paths, in order: a file with an
// image extension is an image; a folder stands for the images under it (recursively,
// in lexical order); any other file is an image list, one image per line, optionally
// followed by a space and an integer label as in Caffe's lists (the label is ignored),
// its paths prefixed by root as convert_imageset's root folder is.
func Collect(args []string, root string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		switch {
		case st.IsDir():
			n := len(out)
			err := filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if !d.IsDir() && IsImageName(p) {
					out = append(out, p)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("reading folder %s: %w", a, err)
			}
			if len(out) == n {
				return nil, fmt.Errorf("folder %s holds no images (%s)", a, strings.Join(ImageExtensions, " "))
			}
		case IsImageName(a):
			out = append(out, a)
		default:
			list, err := readList(a, root)
			if err != nil {
				return nil, err
			}
			out = append(out, list...)
		}
	}
	return out, nil
}

// readList reads an image list: "path" or "path label" per line.
func readList(path, root string) ([]string, error) {
	var out []string
	err := datum.EachLine(path, func(n int, line string) error {
		if !utf8Text(line) {
			return fmt.Errorf("%s:%d: not a text line: an image list has one image path per line (images need one of the extensions %s)",
				path, n, strings.Join(ImageExtensions, " "))
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			if _, err := strconv.ParseInt(line[i+1:], 10, 64); err == nil {
				line = line[:i]
			}
		}
		out = append(out, root+line)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("image list %s names no images", path)
	}
	return out, nil
}

// utf8Text reports whether a line looks like text (no NUL or other control bytes but
// tabs), so that an image with an unknown extension is not read as a list.
func utf8Text(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' {
			return false
		}
	}
	return true
}

// ReadLabels reads a labels file: one label per line, line i naming class i (Caffe's
// synset_words.txt).
func ReadLabels(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := strings.TrimRight(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	if text == "" {
		return nil, fmt.Errorf("labels file %s is empty", path)
	}
	return strings.Split(text, "\n"), nil
}

// Prediction is one class of an image's answer.
type Prediction struct {
	Class int     // the index in the output
	Label string  // the class's label, or its index when there are no labels
	Score float32 // the output's value: a probability after a Softmax
}

// TopK returns the k highest of scores, highest first; equal scores keep the lower
// class first. Labels, when given, name the classes.
func TopK(scores []float32, k int, labels []string) []Prediction {
	k = min(k, len(scores))
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(scores[b], scores[a]) })
	out := make([]Prediction, k)
	for i := range out {
		c := idx[i]
		label := strconv.Itoa(c)
		if c < len(labels) {
			label = labels[c]
		}
		out[i] = Prediction{Class: c, Label: label, Score: scores[c]}
	}
	return out
}
