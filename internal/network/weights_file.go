package network

import (
	"fmt"
	"strings"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
)

// CopyTrainedLayersFromFile copies the weights of a .caffemodel file — or of a
// .caffemodel.h5, by its .h5 extension as in Caffe — into the layers of the same name
// (see CopyTrainedLayersFrom). The error names the file.
func (n *Net) CopyTrainedLayersFromFile(path string) error {
	if strings.HasSuffix(path, ".h5") {
		return n.CopyTrainedLayersFromHDF5(path)
	}
	w, err := protofile.ReadNetBinary(path)
	if err != nil {
		return err
	}
	if err := n.CopyTrainedLayersFrom(w); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
