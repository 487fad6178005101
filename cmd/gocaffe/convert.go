package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/convert"
	"github.com/gocaffe/gocaffe/internal/io/db"
)

// convertFlags are the flags every convert subcommand takes.
type convertFlags struct {
	backend   string
	overwrite bool
}

// options reads the flags.
func (f *convertFlags) options() (convert.Options, error) {
	b, err := db.ParseBackend(f.backend)
	if err != nil {
		return convert.Options{}, fmt.Errorf("--backend: %w", err)
	}
	return convert.Options{Backend: b, Overwrite: f.overwrite, NewBar: convertBar}, nil
}

// convertBar draws a conversion's progress on a termbar when standard error is a
// terminal, and returns nil (no bar: the log says how far it got) otherwise.
func convertBar(label string, total int) convert.Bar {
	if b := newTermbar(label, total); b != nil {
		return termbarAsBar{b}
	}
	return nil
}

// termbarAsBar is a termbar with the methods of convert.Bar.
type termbarAsBar struct{ b *termbar }

// Set moves the bar to count.
func (t termbarAsBar) Set(count int) { t.b.set(count) }

// Finish ends the bar.
func (t termbarAsBar) Finish() { t.b.finish() }

// newConvertCmd builds gocaffe convert and its subcommands.
func newConvertCmd() *cobra.Command {
	f := &convertFlags{}
	c := &cobra.Command{
		Use:   "convert mnist|cifar10|cifar100|imageset ...",
		Short: "convert MNIST, CIFAR-10/100 or an image list into LMDB/LevelDB",
		Long: `convert writes a database of Datum records, as Caffe's converters do, from
MNIST's idx files (convert_mnist_data), the CIFAR-10 binary batches
(convert_cifar_data), the CIFAR-100 binary files, or a list of image files
(convert_imageset). The records — keys and bytes — are those Caffe's tools write.

A database appears only once it is complete: bad input stops the conversion with an
error and leaves nothing behind. An existing database is replaced only with
--overwrite.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return fmt.Errorf("convert: name what to convert: mnist, cifar10, cifar100 or imageset (gocaffe convert --help)")
		},
	}
	pf := c.PersistentFlags()
	pf.StringVar(&f.backend, "backend", "lmdb", "the database format to write: lmdb or leveldb")
	pf.BoolVar(&f.overwrite, "overwrite", false, "replace databases that exist")
	c.AddCommand(newConvertMNISTCmd(f), newConvertCIFAR10Cmd(f), newConvertCIFAR100Cmd(f), newConvertImagesetCmd(f))
	return c
}

// newConvertMNISTCmd builds gocaffe convert mnist.
func newConvertMNISTCmd(f *convertFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "mnist IMAGES LABELS OUT",
		Short: "convert MNIST idx files (gzipped or not) into a database (convert_mnist_data)",
		Long: `mnist converts an MNIST image file (idx3, magic 2051) and its label file (idx1,
magic 2049), gzipped or not, into a database at OUT: keys %08d, Datums of
1×rows×cols raw bytes and the label, as Caffe's convert_mnist_data writes them.

  gocaffe convert mnist train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz mnist_train_lmdb`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options()
			if err != nil {
				return err
			}
			return convert.MNIST(args[0], args[1], args[2], o)
		},
	}
}

// newConvertCIFAR10Cmd builds gocaffe convert cifar10.
func newConvertCIFAR10Cmd(f *convertFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "cifar10 DIR OUT",
		Short: "convert the CIFAR-10 binary batches into databases (convert_cifar_data)",
		Long: `cifar10 converts DIR/data_batch_1.bin … data_batch_5.bin into
OUT/cifar10_train_<backend> and DIR/test_batch.bin into OUT/cifar10_test_<backend>,
as Caffe's convert_cifar_data does: Datums of 3×32×32 raw bytes in the file's order
(the R, G and B planes — not BGR) and the label; training keys %05d of
10000·(batch−1) + index, test keys %05d of the index. A missing batch file is skipped
with a warning; a shorter one is read as it is.

  gocaffe convert cifar10 data/cifar-10-batches-bin examples/cifar10`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options()
			if err != nil {
				return err
			}
			return convert.CIFAR10(args[0], args[1], o)
		},
	}
}

// newConvertCIFAR100Cmd builds gocaffe convert cifar100.
func newConvertCIFAR100Cmd(f *convertFlags) *cobra.Command {
	var label string
	c := &cobra.Command{
		Use:   "cifar100 DIR OUT [--label=fine|coarse]",
		Short: "convert the CIFAR-100 binary files into databases",
		Long: `cifar100 converts DIR/train.bin into OUT/cifar100_train_<backend> and DIR/test.bin
into OUT/cifar100_test_<backend>. A CIFAR-100 record is a coarse label byte (one of
20 superclasses), a fine label byte (one of 100 classes) and 3072 pixel bytes; each
becomes a Datum of 3×32×32 raw bytes in the file's order (R, G, B planes) with the
label --label chooses (fine by default), under the key %05d of its index — the
layout of Caffe's CIFAR-10 databases, which Caffe never shipped a CIFAR-100
converter for.

  gocaffe convert cifar100 data/cifar-100-binary examples/cifar100`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var coarse bool
			switch label {
			case "fine":
			case "coarse":
				coarse = true
			default:
				return fmt.Errorf("--label=%q: want fine or coarse", label)
			}
			o, err := f.options()
			if err != nil {
				return err
			}
			return convert.CIFAR100(args[0], args[1], coarse, o)
		},
	}
	c.Flags().StringVar(&label, "label", "fine", "which label to store: fine (100 classes) or coarse (20 superclasses)")
	return c
}

// newConvertImagesetCmd builds gocaffe convert imageset.
func newConvertImagesetCmd(f *convertFlags) *cobra.Command {
	var is convert.ImagesetOptions
	c := &cobra.Command{
		Use:   "imageset ROOT LIST OUT",
		Short: "convert a list of image files into a database (convert_imageset)",
		Long: `imageset reads LIST, one "path label" per line, and writes each image ROOT+path
into a database at OUT under the key %08d_<path> (the line's index), as Caffe's
convert_imageset does: decoded to raw BGR (or grey with --gray) bytes, resized when
both --resize_height and --resize_width are given, or kept encoded with --encoded
(the file's own bytes when neither resizing nor --encode_type changes them).
ROOT is prepended as it is, so give it a trailing slash.

An image that cannot be read stops the conversion, unless --skip_bad is given: then
it is logged and left out, as convert_imageset does.

  gocaffe convert imageset --resize_height=256 --resize_width=256 --shuffle \
      /data/train/ train.txt train_lmdb`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options()
			if err != nil {
				return err
			}
			opts := is
			if !cmd.Flags().Changed("seed") {
				opts.Seed = time.Now().UnixNano()
			}
			return convert.Imageset(args[0], args[1], args[2], opts, o)
		},
	}
	fl := c.Flags()
	fl.IntVar(&is.ResizeHeight, "resize_height", 0, "height images are resized to (with --resize_width)")
	fl.IntVar(&is.ResizeWidth, "resize_width", 0, "width images are resized to (with --resize_height)")
	fl.BoolVar(&is.Shuffle, "shuffle", false, "randomly shuffle the order of images and their labels")
	fl.BoolVar(&is.Gray, "gray", false, "treat images as grey ones")
	fl.BoolVar(&is.Encoded, "encoded", false, "store the encoded image in the Datum")
	fl.StringVar(&is.EncodeType, "encode_type", "", "the format to encode images as (png, jpg, bmp, tiff); implies --encoded")
	fl.BoolVar(&is.CheckSize, "check_size", false, "check that all the Datums have the same size")
	fl.BoolVar(&is.SkipBad, "skip_bad", false, "log and leave out images that cannot be read, as convert_imageset does, instead of stopping")
	fl.Int64Var(&is.Seed, "seed", 0, "seed of --shuffle (default: from the clock, as Caffe's)")
	return c
}
