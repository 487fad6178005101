package net

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
)

// CopyTrainedLayersFromFile copies the weights of a .caffemodel file into the layers of
// the same name (see CopyTrainedLayersFrom). The error names the file.
func (n *Net) CopyTrainedLayersFromFile(path string) error {
	w, err := protofile.ReadNetBinary(path)
	if err != nil {
		return err
	}
	if err := n.CopyTrainedLayersFrom(w); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
