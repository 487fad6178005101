package convert

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

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

// closeCIFAR closes the files of the splits.
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

// CIFAR10 converts dir/data_batch_1.bin … data_batch_5.bin into
// out/cifar10_train_<backend> and dir/test_batch.bin into out/cifar10_test_<backend>,
// as Caffe's convert_cifar_data does: Datums of 3×32×32 raw bytes in the file's
// order (the R, G and B planes — not BGR) and the label; training keys %05d of
// 10000·(batch−1) + index, test keys %05d of the index. A missing batch file is
// skipped with a warning; a shorter one is read as it is.
func CIFAR10(dir, out string, o Options) error {
	b := o.Backend
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
	return o.writeCIFAR(dir, out, splits, false)
}

// CIFAR100 converts dir/train.bin into out/cifar100_train_<backend> and dir/test.bin
// into out/cifar100_test_<backend>, in the layout of Caffe's CIFAR-10 databases
// (Caffe never shipped a CIFAR-100 converter): a record — a coarse label byte (one
// of 20 superclasses), a fine label byte (one of 100 classes) and 3072 pixel bytes —
// becomes a Datum of 3×32×32 raw bytes in the file's order (R, G, B planes) with the
// fine label, or the coarse one when coarse is set, under the key %05d of its index.
func CIFAR100(dir, out string, coarse bool, o Options) error {
	b := o.Backend
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
	return o.writeCIFAR(dir, out, splits, coarse)
}

// writeCIFAR writes the databases of the splits that have files.
func (o Options) writeCIFAR(dir, out string, splits []*cifarSplit, coarse bool) error {
	var targets []string
	for _, s := range splits {
		if len(s.files) > 0 {
			targets = append(targets, s.out)
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("%s holds none of the binary files to convert", dir)
	}
	if err := o.checkTargets(targets...); err != nil {
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
		if err := o.writeCIFARSplit(s, coarse); err != nil {
			return err
		}
	}
	return nil
}

// writeCIFARSplit writes the database of one split.
func (o Options) writeCIFARSplit(s *cifarSplit, coarse bool) error {
	total := 0
	for _, f := range s.files {
		total += f.Count
	}
	w, err := o.createDB(s.out, total, strings.ToLower(s.name))
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
