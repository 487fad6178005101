package convert

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// MNIST converts an MNIST image file (idx3, magic 2051) and its label file (idx1,
// magic 2049), gzipped or not, into a database at out, as Caffe's
// convert_mnist_data does: keys %08d, Datums of 1×rows×cols raw bytes and the label.
func MNIST(imagesPath, labelsPath, out string, o Options) error {
	if err := o.checkTargets(out); err != nil {
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
	w, err := o.createDB(out, images.Count, "mnist")
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
