package caffe

import (
	"fmt"
	"image"

	"github.com/gocaffe/gocaffe/internal/classify"
	"github.com/gocaffe/gocaffe/internal/io/datum"
)

// ClassifierOptions say how a Classifier prepares images and reads the net's answer.
type ClassifierOptions struct {
	// Input and Output name the blob images are written into and the blob of class
	// scores; empty means the net's only input and only output.
	Input, Output string
	// MeanFile is a .binaryproto mean image; MeanValues per-channel means (one, or one
	// per channel). At most one of them.
	MeanFile   string
	MeanValues []float32
	// Scale multiplies the values after the mean is subtracted (0 means 1), as a Data
	// layer's transform_param scale.
	Scale float32
	// ChannelSwap orders the decoded channels, which are BGR as in Caffe: nil keeps
	// BGR, {2, 1, 0} gives RGB (for nets trained on RGB data, such as Caffe's CIFAR-10
	// databases).
	ChannelSwap []int
	// Labels name the classes, in the order of the output; nil names them by index.
	Labels []string
	// BatchSize is the number of images per forward pass; 0 means the input blob's
	// first dimension as the prototxt gives it.
	BatchSize int
}

// Prediction is one class of an image's answer: its index, its label (or its index as
// text) and its score (a probability when the net ends in a Softmax).
type Prediction = classify.Prediction

// Classifier classifies images with a net, as Caffe's classification example and
// pycaffe's caffe.Classifier do. Images are decoded in grey or BGR colour to match the
// input's channels, resized to the input (or to the mean file's size and then
// centre-cropped, when the mean is larger), the mean subtracted and the result scaled:
// what a Data layer does in TEST to a database that convert_imageset made with the same
// resize.
type Classifier struct {
	net     *Net
	in, out *Blob
	t       *classify.Transform
	labels  []string
	batch   int
}

// NewClassifier prepares net (built in the Test phase, with its weights) for
// classifying images.
func NewClassifier(net *Net, opts ClassifierOptions) (*Classifier, error) {
	inName, err := only(opts.Input, net.Inputs(), "input")
	if err != nil {
		return nil, err
	}
	outName, err := only(opts.Output, net.Outputs(), "output")
	if err != nil {
		return nil, err
	}
	in, err := net.MustBlob(inName)
	if err != nil {
		return nil, err
	}
	out, err := net.MustBlob(outName)
	if err != nil {
		return nil, err
	}
	shape := in.Shape()
	if len(shape) != 4 {
		return nil, fmt.Errorf("input blob %q has shape %v; images need an input of (N, C, H, W)", inName, shape)
	}
	t, err := classify.NewTransform(shape[1], shape[2], shape[3], classify.Options{
		MeanFile: opts.MeanFile, MeanValues: opts.MeanValues, Scale: opts.Scale, ChannelSwap: opts.ChannelSwap})
	if err != nil {
		return nil, fmt.Errorf("input blob %q: %w", inName, err)
	}
	batch := opts.BatchSize
	if batch <= 0 {
		batch = max(shape[0], 1)
	}
	c := &Classifier{net: net, in: in, out: out, t: t, labels: opts.Labels, batch: batch}
	if len(opts.Labels) > 0 && shape[0] > 0 {
		if n := out.Count() / shape[0]; n != len(opts.Labels) {
			return nil, fmt.Errorf("%d labels for the %d classes of output %q: the number of labels must equal the output's dimension", len(opts.Labels), n, outName)
		}
	}
	return c, nil
}

// only returns name, or the single entry of names when name is empty.
func only(name string, names []string, what string) (string, error) {
	if name != "" {
		return name, nil
	}
	if len(names) != 1 {
		return "", fmt.Errorf("the net has %d %ss %v: name the one to use", len(names), what, names)
	}
	return names[0], nil
}

// ClassifyFiles decodes the image files and returns, for each, its k best classes,
// highest score first. The images go through the net BatchSize at a time.
func (c *Classifier) ClassifyFiles(paths []string, k int) ([][]Prediction, error) {
	return c.run(len(paths), k, func(i int) (*datum.Img, error) {
		im, err := c.t.ReadImage(paths[i])
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", paths[i], err)
		}
		return im, nil
	})
}

// ClassifyImages classifies decoded Go images (see ClassifyFiles).
func (c *Classifier) ClassifyImages(images []image.Image, k int) ([][]Prediction, error) {
	return c.run(len(images), k, func(i int) (*datum.Img, error) {
		return datum.FromGoImage(images[i], c.t.Mode()), nil
	})
}

// run classifies n images, which get returns one by one, a batch at a time.
func (c *Classifier) run(n, k int, get func(i int) (*datum.Img, error)) ([][]Prediction, error) {
	var out [][]Prediction
	for start := 0; start < n; start += c.batch {
		m := min(c.batch, n-start)
		if err := c.in.Reshape(m, c.t.Channels, c.t.Height, c.t.Width); err != nil {
			return nil, err
		}
		if err := c.net.Reshape(); err != nil {
			return nil, err
		}
		item := c.t.Channels * c.t.Height * c.t.Width
		data := c.in.Data()
		for i := 0; i < m; i++ {
			im, err := get(start + i)
			if err != nil {
				return nil, err
			}
			if err := c.t.Apply(im, data[i*item:(i+1)*item]); err != nil {
				return nil, fmt.Errorf("image %d: %w", start+i, err)
			}
		}
		if _, err := c.net.Forward(); err != nil {
			return nil, err
		}
		shape := c.out.Shape()
		if len(shape) == 0 || shape[0] != m {
			return nil, fmt.Errorf("output %q has shape %v for a batch of %d images: want one row of scores per image", c.out.Name(), shape, m)
		}
		scores := c.out.Data()
		per := len(scores) / m
		for i := 0; i < m; i++ {
			out = append(out, classify.TopK(scores[i*per:(i+1)*per], k, c.labels))
		}
	}
	return out, nil
}
