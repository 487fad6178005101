package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// convertFlags are the flags every convert subcommand takes.
var convertFlags struct {
	backend   string
	overwrite bool
}

var convertCmd = &cobra.Command{
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

func init() {
	f := convertCmd.PersistentFlags()
	f.StringVar(&convertFlags.backend, "backend", "lmdb", "the database format to write: lmdb or leveldb")
	f.BoolVar(&convertFlags.overwrite, "overwrite", false, "replace databases that exist")
	convertCmd.AddCommand(convertMNISTCmd, convertCIFAR10Cmd, convertCIFAR100Cmd, convertImagesetCmd)
	addCommand(convertCmd)
}

// resetConvertFlags puts every convert flag back to its default: flags keep their
// values across runs in one process (tests).
func resetConvertFlags() {
	convertFlags.backend, convertFlags.overwrite = "lmdb", false
	cifar100Label = "fine"
	imagesetFlags = imagesetOptions{}
}

// backend returns the --backend flag's value.
func backend() (db.Backend, error) {
	b, err := db.ParseBackend(convertFlags.backend)
	if err != nil {
		return 0, fmt.Errorf("--backend: %w", err)
	}
	return b, nil
}

// checkTargets refuses to start when an output database exists and --overwrite is
// not given, before anything is written.
func checkTargets(paths ...string) error {
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil && !convertFlags.overwrite {
			return fmt.Errorf("%s exists: remove it or use --overwrite to replace it", p)
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// dbWriter writes Datum records into a new database, with a progress display.
type dbWriter struct {
	w        *db.Writer
	path     string
	prog     *progress
	buf      []byte
	finished bool
}

// createDB starts a database of total records at path.
func createDB(path string, total int, what string) (*dbWriter, error) {
	b, err := backend()
	if err != nil {
		return nil, err
	}
	w, err := db.Create(path, b, convertFlags.overwrite)
	if err != nil {
		return nil, err
	}
	return &dbWriter{w: w, path: path, prog: newProgress(total, what)}, nil
}

// put adds a record.
func (w *dbWriter) put(key string, d *caffepb.Datum) error {
	var err error
	w.buf, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(w.buf[:0], d)
	if err != nil {
		return err
	}
	if err := w.w.Put([]byte(key), w.buf); err != nil {
		return err
	}
	w.prog.add()
	return nil
}

// commit completes the database.
func (w *dbWriter) commit() error {
	w.finished = true
	w.prog.finish()
	return w.w.Commit()
}

// abort discards the database unless it was committed; deferred by every converter.
func (w *dbWriter) abort() {
	if !w.finished {
		w.prog.finish()
		w.w.Abort()
	}
}

// progress shows how a conversion advances: a bar with the count and the time left
// when standard error is a terminal, Caffe's "Processed N files." every 1000 records
// otherwise.
type progress struct {
	bar   *termbar
	n     int
	total int
}

func newProgress(total int, what string) *progress {
	return &progress{bar: newTermbar(what, total), total: total}
}

func (p *progress) add() {
	p.n++
	if p.bar != nil {
		p.bar.set(p.n)
	} else if p.n%1000 == 0 {
		glog.InfoDepthf(1, "Processed %d files.", p.n)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.finish()
		p.bar = nil
		glog.InfoDepthf(1, "Processed %d files.", p.n)
	} else if p.n%1000 != 0 {
		glog.InfoDepthf(1, "Processed %d files.", p.n)
	}
}

// ---- mnist ----

var convertMNISTCmd = &cobra.Command{
	Use:   "mnist IMAGES LABELS OUT",
	Short: "convert MNIST idx files (gzipped or not) into a database (convert_mnist_data)",
	Long: `mnist converts an MNIST image file (idx3, magic 2051) and its label file (idx1,
magic 2049), gzipped or not, into a database at OUT: keys %08d, Datums of
1×rows×cols raw bytes and the label, as Caffe's convert_mnist_data writes them.

  gocaffe convert mnist train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz mnist_train_lmdb`,
	Args: cobra.ExactArgs(3),
	RunE: func(cmd *cobra.Command, args []string) error {
		defer resetConvertFlags()
		return convertMNIST(args[0], args[1], args[2])
	},
}

func convertMNIST(imagesPath, labelsPath, out string) error {
	if _, err := backend(); err != nil {
		return err
	}
	if err := checkTargets(out); err != nil {
		return err
	}
	images, err := datum.OpenMNISTImages(imagesPath)
	if err != nil {
		return err
	}
	defer images.Close()
	labels, err := datum.OpenMNISTLabels(labelsPath)
	if err != nil {
		return err
	}
	defer labels.Close()
	if images.Count != labels.Count {
		return fmt.Errorf("%s holds %d images but %s holds %d labels", imagesPath, images.Count, labelsPath, labels.Count)
	}
	w, err := createDB(out, images.Count, "mnist")
	if err != nil {
		return err
	}
	defer w.abort()
	glog.Infof("A total of %d items.", images.Count)
	glog.Infof("Rows: %d Cols: %d", images.Rows, images.Cols)
	d := &caffepb.Datum{
		Channels: proto.Int32(1),
		Height:   proto.Int32(int32(images.Rows)),
		Width:    proto.Int32(int32(images.Cols)),
		Data:     make([]byte, images.Rows*images.Cols),
	}
	for i := 0; i < images.Count; i++ {
		if err := images.Next(d.Data); err != nil {
			return err
		}
		label, err := labels.Next()
		if err != nil {
			return err
		}
		d.Label = proto.Int32(int32(label))
		if err := w.put(fmt.Sprintf("%08d", i), d); err != nil {
			return err
		}
	}
	// Read both files to their ends: a gzip file's checksum is checked only there,
	// and a damaged file must not make a database.
	for _, f := range []struct {
		finish func() (int64, error)
		path   string
	}{{images.Finish, imagesPath}, {labels.Finish, labelsPath}} {
		trailing, err := f.finish()
		if err != nil {
			return err
		}
		if trailing > 0 {
			glog.Warningf("%s holds %d bytes after the %d records its header announces; they were ignored", f.path, trailing, images.Count)
		}
	}
	return w.commit()
}

// ---- cifar10, cifar100 ----

var convertCIFAR10Cmd = &cobra.Command{
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
		defer resetConvertFlags()
		return convertCIFAR10(args[0], args[1])
	},
}

var cifar100Label = "fine"

var convertCIFAR100Cmd = &cobra.Command{
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
		defer resetConvertFlags()
		var coarse bool
		switch cifar100Label {
		case "fine":
		case "coarse":
			coarse = true
		default:
			return fmt.Errorf("--label=%q: want fine or coarse", cifar100Label)
		}
		return convertCIFAR100(args[0], args[1], coarse)
	},
}

func init() {
	convertCIFAR100Cmd.Flags().StringVar(&cifar100Label, "label", "fine", "which label to store: fine (100 classes) or coarse (20 superclasses)")
}

// cifarSplit is one database a CIFAR conversion writes and the files it reads.
type cifarSplit struct {
	name  string // "Training" or "Testing", for the log
	out   string
	files []*datum.CIFARFile
	keys  []int    // per file: the key of its first record
	logs  []string // per file: what to log before it, if anything
}

// openCIFARFiles opens the files of a split, skipping (with a warning) those that do
// not exist.
func openCIFARFiles(s *cifarSplit, open func(string) (*datum.CIFARFile, error), paths []string, keys []int, logs []string) error {
	for i, p := range paths {
		f, err := open(p)
		if errors.Is(err, fs.ErrNotExist) {
			glog.Warningf("%s does not exist: skipped", p)
			continue
		}
		if err != nil {
			return err
		}
		s.files = append(s.files, f)
		s.keys = append(s.keys, keys[i])
		s.logs = append(s.logs, logs[i])
	}
	return nil
}

func closeCIFAR(splits []*cifarSplit) {
	for _, s := range splits {
		for _, f := range s.files {
			f.Close()
		}
	}
}

// checkInputDir makes sure the folder of a dataset's files exists: a missing one is
// not a folder of missing files.
func checkInputDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist: give the folder that holds the dataset's binary files", dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a folder: give the folder that holds the dataset's binary files", dir)
	}
	return nil
}

func convertCIFAR10(dir, out string) error {
	b, err := backend()
	if err != nil {
		return err
	}
	if err := checkInputDir(dir); err != nil {
		return err
	}
	train := &cifarSplit{name: "Training", out: filepath.Join(out, "cifar10_train_"+b.String())}
	test := &cifarSplit{name: "Testing", out: filepath.Join(out, "cifar10_test_"+b.String())}
	splits := []*cifarSplit{train, test}
	defer closeCIFAR(splits)
	var paths, logs []string
	var keys []int
	for k := 1; k <= 5; k++ {
		paths = append(paths, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", k)))
		keys = append(keys, (k-1)*10000)
		logs = append(logs, fmt.Sprintf("Training Batch %d", k))
	}
	if err := openCIFARFiles(train, datum.OpenCIFAR10, paths, keys, logs); err != nil {
		return err
	}
	if err := openCIFARFiles(test, datum.OpenCIFAR10, []string{filepath.Join(dir, "test_batch.bin")}, []int{0}, []string{""}); err != nil {
		return err
	}
	for _, s := range splits {
		for _, f := range s.files {
			if f.Count > 10000 {
				// Keys would run into the next batch's.
				return fmt.Errorf("%s holds %d records; a CIFAR-10 batch holds at most 10000", f.Path, f.Count)
			}
		}
	}
	return writeCIFAR(dir, out, splits, false)
}

func convertCIFAR100(dir, out string, coarse bool) error {
	b, err := backend()
	if err != nil {
		return err
	}
	if err := checkInputDir(dir); err != nil {
		return err
	}
	train := &cifarSplit{name: "Training", out: filepath.Join(out, "cifar100_train_"+b.String())}
	test := &cifarSplit{name: "Testing", out: filepath.Join(out, "cifar100_test_"+b.String())}
	splits := []*cifarSplit{train, test}
	defer closeCIFAR(splits)
	if err := openCIFARFiles(train, datum.OpenCIFAR100, []string{filepath.Join(dir, "train.bin")}, []int{0}, []string{""}); err != nil {
		return err
	}
	if err := openCIFARFiles(test, datum.OpenCIFAR100, []string{filepath.Join(dir, "test.bin")}, []int{0}, []string{""}); err != nil {
		return err
	}
	for _, s := range splits {
		for _, f := range s.files {
			if f.Count > 100000 {
				return fmt.Errorf("%s holds %d records; keys of five digits allow at most 100000", f.Path, f.Count)
			}
		}
	}
	return writeCIFAR(dir, out, splits, coarse)
}

// writeCIFAR writes the databases of the splits that have files.
func writeCIFAR(dir, out string, splits []*cifarSplit, coarse bool) error {
	var targets []string
	for _, s := range splits {
		if len(s.files) > 0 {
			targets = append(targets, s.out)
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("%s holds none of the binary files to convert", dir)
	}
	if err := checkTargets(targets...); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, s := range splits {
		if len(s.files) == 0 {
			glog.Warningf("no %s data: %s not written", strings.ToLower(s.name), s.out)
			continue
		}
		if err := writeCIFARSplit(s, coarse); err != nil {
			return err
		}
	}
	return nil
}

func writeCIFARSplit(s *cifarSplit, coarse bool) error {
	total := 0
	for _, f := range s.files {
		total += f.Count
	}
	w, err := createDB(s.out, total, strings.ToLower(s.name))
	if err != nil {
		return err
	}
	defer w.abort()
	glog.Infof("Writing %s data", s.name)
	d := &caffepb.Datum{
		Channels: proto.Int32(3),
		Height:   proto.Int32(datum.CIFARSize),
		Width:    proto.Int32(datum.CIFARSize),
	}
	for i, f := range s.files {
		if s.logs[i] != "" {
			glog.Infof("%s", s.logs[i])
		}
		for j := 0; j < f.Count; j++ {
			r, err := f.Next()
			if err != nil {
				return err
			}
			label := r.Label
			if coarse {
				label = r.Coarse
			}
			d.Label = proto.Int32(int32(label))
			d.Data = r.Pixels
			if err := w.put(fmt.Sprintf("%05d", s.keys[i]+j), d); err != nil {
				return err
			}
		}
	}
	return w.commit()
}

// ---- imageset ----

type imagesetOptions struct {
	resizeHeight, resizeWidth int
	shuffle, gray, encoded    bool
	encodeType                string
	checkSize, skipBad        bool
	seed                      int64
}

var imagesetFlags imagesetOptions

var convertImagesetCmd = &cobra.Command{
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
		defer resetConvertFlags()
		o := imagesetFlags
		if !cmd.Flags().Changed("seed") {
			o.seed = time.Now().UnixNano()
		}
		return convertImageset(args[0], args[1], args[2], o)
	},
}

func init() {
	f := convertImagesetCmd.Flags()
	f.IntVar(&imagesetFlags.resizeHeight, "resize_height", 0, "height images are resized to (with --resize_width)")
	f.IntVar(&imagesetFlags.resizeWidth, "resize_width", 0, "width images are resized to (with --resize_height)")
	f.BoolVar(&imagesetFlags.shuffle, "shuffle", false, "randomly shuffle the order of images and their labels")
	f.BoolVar(&imagesetFlags.gray, "gray", false, "treat images as grey ones")
	f.BoolVar(&imagesetFlags.encoded, "encoded", false, "store the encoded image in the Datum")
	f.StringVar(&imagesetFlags.encodeType, "encode_type", "", "the format to encode images as (png, jpg, bmp, tiff); implies --encoded")
	f.BoolVar(&imagesetFlags.checkSize, "check_size", false, "check that all the Datums have the same size")
	f.BoolVar(&imagesetFlags.skipBad, "skip_bad", false, "log and leave out images that cannot be read, as convert_imageset does, instead of stopping")
	f.Int64Var(&imagesetFlags.seed, "seed", 0, "seed of --shuffle (default: from the clock, as Caffe's)")
}

func convertImageset(root, list, out string, o imagesetOptions) error {
	if _, err := backend(); err != nil {
		return err
	}
	if err := checkTargets(out); err != nil {
		return err
	}
	lines, err := datum.ReadImageList(list)
	if err != nil {
		return err
	}
	if len(lines) == 0 {
		return fmt.Errorf("%s lists no images: want one \"path label\" per line", list)
	}
	if o.shuffle {
		glog.Infof("Shuffling data")
		shuffleEntries(lines, o.seed)
	}
	glog.Infof("A total of %d images.", len(lines))
	if o.encodeType != "" && !o.encoded {
		glog.Infof("encode_type specified, assuming encoded=true.")
	}
	h, w := max(0, o.resizeHeight), max(0, o.resizeWidth)
	if (h > 0) != (w > 0) {
		glog.Warningf("only one of --resize_height and --resize_width is set: images are not resized")
	}

	dw, err := createDB(out, len(lines), "images")
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
		d, err := imageDatum(path, e.Label, h, w, !o.gray, o.encoded, o.encodeType)
		if err != nil {
			if o.skipBad {
				glog.Errorf("Could not open or find file %s: %v", path, err)
				continue
			}
			return fmt.Errorf("%s: %w", where, err)
		}
		if o.checkSize {
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
