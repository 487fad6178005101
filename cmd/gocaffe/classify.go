package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/caffe"
	"github.com/gocaffe/gocaffe/internal/classify"
)

// modelFlags are the flags of the commands that run a trained net: the prototxt, the
// weights and the net state. Every such command registers them with register, so a
// setting added here reaches all of them.
type modelFlags struct {
	model, weights string
	stage          []string
	level          int
}

func (f *modelFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "", "the net prototxt (a deploy net)")
	fl.StringVar(&f.weights, "weights", "", "the trained weights: .caffemodel files, comma-separated")
	fl.IntVar(&f.level, "level", 0, "the net's NetState level")
	addStageFlag(c, &f.stage)
}

// load builds the net in the TEST phase with its weights.
func (f *modelFlags) load() (*caffe.Net, error) {
	if f.model == "" {
		return nil, errors.New("give the net with --model=NET.prototxt")
	}
	if f.weights == "" {
		return nil, errors.New("give the trained weights with --weights=W.caffemodel")
	}
	return caffe.LoadNet(f.model, caffe.Options{
		Phase:   caffe.Test,
		Level:   f.level,
		Stages:  f.stage,
		Weights: strings.Split(f.weights, ","),
	})
}

// classifyFlags are the flags of gocaffe classify.
type classifyFlags struct {
	modelFlags
	meanFile, meanValue, channelSwap, labels, root, input, output string
	scale                                                         float32
	topK, batch                                                   int
	json                                                          bool
}

// newClassifyCmd builds gocaffe classify.
func newClassifyCmd() *cobra.Command {
	f := &classifyFlags{}
	c := &cobra.Command{
		Use:   "classify --model=deploy.prototxt --weights=W.caffemodel [flags] IMAGE...",
		Short: "classify images with a trained net (classification.bin, classify.py)",
		Long: `classify runs images through a trained net (built in the TEST phase) and prints,
for each, its best classes with their scores, as Caffe's classification example and
classify.py do.

Each IMAGE is an image file (JPEG, PNG, BMP, GIF, TIFF or WebP), a folder (every image
under it, in name order) or an image list (one path per line, optionally followed by a
label as in Caffe's lists; paths are prefixed by --root_folder). Images go through the
net --batch_size at a time.

An image is decoded in grey for a net with one input channel and in colour otherwise.
Decoded colour images are in BGR order, as OpenCV decodes them and as Caffe's
convert_imageset stores them; --channel_swap reorders them. Caffe's own CIFAR-10
databases (convert_cifar_data) are RGB, so a net trained on them wants
--channel_swap=2,1,0.

The image is resized (bilinear) to the net's input; with a --mean_file larger than the
input, it is resized to the mean's size instead, the mean subtracted and the centre
cropped, as a Data layer with crop_size does in TEST. Then the mean is subtracted and
the values multiplied by --scale: the preprocessing of transform_param, so the classes
are those "gocaffe test" finds for the same images in a database made by
"gocaffe convert imageset" with the same resize.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withName("classify", runClassify(cmd, *f, args))
		},
	}
	f.register(c)
	fl := c.Flags()
	fl.StringVar(&f.meanFile, "mean_file", "", "a .binaryproto mean image to subtract")
	fl.StringVar(&f.meanValue, "mean_value", "", "per-channel means to subtract, comma-separated (one, or one per channel)")
	fl.Float32Var(&f.scale, "scale", 1, "multiply the values by this after subtracting the mean (transform_param scale)")
	fl.StringVar(&f.channelSwap, "channel_swap", "", "the order of the decoded BGR channels in the input: 2,1,0 for RGB")
	fl.StringVar(&f.labels, "labels", "", "a labels file: line i names class i")
	fl.IntVar(&f.topK, "top_k", 5, "how many classes to print per image")
	fl.IntVar(&f.batch, "batch_size", 0, "images per forward pass (default: the input's first dimension in the prototxt)")
	fl.StringVar(&f.root, "root_folder", "", "prefix of the paths in image lists")
	fl.StringVar(&f.input, "input", "", "the input blob (default: the net's only input)")
	fl.StringVar(&f.output, "output", "", "the output blob of class scores (default: the net's only output)")
	fl.BoolVar(&f.json, "json", false, "print JSON: one object per image with its path and classes")
	return c
}

// parseFloats reads a comma-separated list of numbers.
func parseFloats(flag, s string) ([]float32, error) {
	if s == "" {
		return nil, nil
	}
	var out []float32
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil {
			return nil, fmt.Errorf("--%s=%s: %q is not a number", flag, s, f)
		}
		out = append(out, float32(v))
	}
	return out, nil
}

// parseInts reads a comma-separated list of integers.
func parseInts(flag, s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("--%s=%s: %q is not an integer", flag, s, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// classifiedImage is one image's answer as --json prints it.
type classifiedImage struct {
	Path    string            `json:"path"`
	Classes []classifiedClass `json:"classes"`
}

type classifiedClass struct {
	Class int     `json:"class"`
	Label string  `json:"label"`
	Score float32 `json:"score"`
}

func runClassify(cmd *cobra.Command, f classifyFlags, args []string) error {
	if f.topK < 1 {
		return fmt.Errorf("--top_k must be at least 1, got %d", f.topK)
	}
	means, err := parseFloats("mean_value", f.meanValue)
	if err != nil {
		return err
	}
	swap, err := parseInts("channel_swap", f.channelSwap)
	if err != nil {
		return err
	}
	var labels []string
	if f.labels != "" {
		if labels, err = classify.ReadLabels(f.labels); err != nil {
			return err
		}
	}
	paths, err := classify.Collect(args, f.root)
	if err != nil {
		return err
	}
	n, err := f.load()
	if err != nil {
		return err
	}
	defer n.Close()
	c, err := caffe.NewClassifier(n, caffe.ClassifierOptions{
		Input: f.input, Output: f.output, MeanFile: f.meanFile, MeanValues: means, Scale: f.scale,
		ChannelSwap: swap, Labels: labels, BatchSize: f.batch,
	})
	if err != nil {
		return fmt.Errorf("%s: %w", f.model, err)
	}
	preds, err := c.ClassifyFiles(paths, f.topK)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(out)
		for i, p := range preds {
			ci := classifiedImage{Path: paths[i]}
			for _, q := range p {
				ci.Classes = append(ci.Classes, classifiedClass{q.Class, q.Label, q.Score})
			}
			if err := enc.Encode(ci); err != nil {
				return err
			}
		}
		return nil
	}
	for i, p := range preds {
		fmt.Fprintf(out, "---------- Prediction for %s ----------\n", paths[i])
		for _, q := range p {
			fmt.Fprintf(out, "%.4f - \"%s\"\n", q.Score, q.Label)
		}
	}
	return nil
}
