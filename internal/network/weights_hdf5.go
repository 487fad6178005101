package network

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/io/hdf5"
)

// ToHDF5 returns the net's weights as Caffe's Net::ToHDF5 lays them out in a
// .caffemodel.h5: a group "data" with a group per layer holding its parameter blobs
// as datasets "0", "1", ... (a shared parameter only in the layer that owns it) and,
// with withDiff, the same under "diff" with the gradients (shared ones too).
func (n *Net) ToHDF5(withDiff bool) (*hdf5.Builder, error) {
	b := hdf5.NewBuilder()
	data := b.Root().Group("data")
	var diff *hdf5.Node
	if withDiff {
		diff = b.Root().Group("diff")
	}
	for li := range n.layers {
		s := &n.layers[li]
		lg := data.Group(s.name)
		var dg *hdf5.Node
		if withDiff {
			dg = diff.Group(s.name)
		}
		for pi, id := range s.paramIDs {
			p := n.params[id].blob
			key := strconv.Itoa(pi)
			if n.params[id].owner < 0 {
				if err := lg.Float32(key, p.Shape(), p.Data); err != nil {
					return nil, fmt.Errorf("layer %q: %w", s.name, err)
				}
			}
			if withDiff {
				if err := dg.Float32(key, p.Shape(), p.Diff); err != nil {
					return nil, fmt.Errorf("layer %q: %w", s.name, err)
				}
			}
		}
	}
	return b, nil
}

// CopyTrainedLayersFromHDF5 copies the weights of a .caffemodel.h5 into the layers of
// the same name, as Caffe's Net::CopyTrainedLayersFromHDF5: layers the net lacks are
// skipped, a parameter missing from the file is an error unless the net shares it
// from another layer, and shapes must match exactly.
func (n *Net) CopyTrainedLayersFromHDF5(path string) error {
	f, err := hdf5.Open(path)
	if err != nil {
		return err
	}
	data, err := f.Root().Group("data")
	if err != nil {
		return fmt.Errorf("%s holds no weights (a .caffemodel.h5 has a group \"data\"): %w", path, err)
	}
	for _, name := range data.Names() {
		ti := n.LayerIndex(name)
		if ti < 0 {
			n.logf("Ignoring source layer %s", name)
			continue
		}
		n.logf("Copying source layer %s", name)
		lg, err := data.Group(name)
		if err != nil {
			return err
		}
		target := n.layers[ti].paramIDs
		if got := len(lg.Names()); got > len(target) {
			return fmt.Errorf("%s: incompatible number of blobs for layer %q: the file has %d, the net %d", path, name, got, len(target))
		}
		for j, id := range target {
			b := n.params[id].blob
			key := strconv.Itoa(j)
			if !lg.Has(key) {
				if n.params[id].owner >= 0 {
					continue // shared: its owner gets the values
				}
				return fmt.Errorf("%s: incompatible number of blobs for layer %q: parameter %d is missing", path, name, j)
			}
			d, err := lg.Dataset(key)
			if err != nil {
				return err
			}
			if !slices.Equal(d.Shape, b.Shape()) {
				return fmt.Errorf("%s: cannot load layer %q param %d: shape mismatch: the file has %s, the net %s",
					path, name, j, blob.ShapeString(d.Shape), b.ShapeString())
			}
			v, err := d.Float32()
			if err != nil {
				return err
			}
			copy(b.Data, v)
		}
	}
	return nil
}
