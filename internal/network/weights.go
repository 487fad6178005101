package network

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// ShareTrainedLayersWith makes this net's layers use the parameter values of the
// layers of the same name in other (how test nets follow the training net).
func (n *Net) ShareTrainedLayersWith(other *Net) error {
	for oi := range other.layers {
		name := other.layers[oi].name
		ti := n.LayerIndex(name)
		if ti < 0 {
			continue
		}
		if err := other.uniqueWithParams(name); err != nil {
			return err
		}
		if err := n.uniqueWithParams(name); err != nil {
			return err
		}
		src, dst := other.layers[oi].layer.Params(), n.layers[ti].layer.Params()
		if len(src) != len(dst) {
			return fmt.Errorf("layer %q: %d parameter blobs here, %d in the net shared with", name, len(dst), len(src))
		}
		for j := range dst {
			if !slices.Equal(src[j].Shape(), dst[j].Shape()) {
				return fmt.Errorf("layer %q: parameter %d has shape %s here, %s in the net shared with",
					name, j, dst[j].ShapeString(), src[j].ShapeString())
			}
			dst[j].ShareData(src[j])
		}
	}
	return nil
}

// uniqueWithParams returns an error when several layers with parameters are named
// name: weights go to layers by name, and only the first would get them (the others
// would train from their fillers, silently).
func (n *Net) uniqueWithParams(name string) error {
	var found []int
	for i := range n.layers {
		if s := &n.layers[i]; s.name == name && len(s.paramIDs) > 0 {
			found = append(found, i)
		}
	}
	if len(found) > 1 {
		return fmt.Errorf("the net has %d layers named %q with parameters (layers %v): weights go to layers by name, and only the first would get them; rename the others",
			len(found), name, found)
	}
	return nil
}

// CopyTrainedLayersFrom copies the blobs of every layer of trained into the layer of
// the same name, checking shapes by Caffe's rule (legacy 4-D blobs included). Layers
// this net does not have are skipped with a message, as in Caffe.
func (n *Net) CopyTrainedLayersFrom(trained *caffepb.NetParameter) error {
	for _, src := range trained.Layer {
		ti := n.LayerIndex(src.GetName())
		if ti < 0 {
			n.logf("Ignoring source layer %s", src.GetName())
			continue
		}
		if err := n.uniqueWithParams(src.GetName()); err != nil {
			return err
		}
		n.logf("Copying source layer %s", src.GetName())
		dst := n.layers[ti].layer.Params()
		if len(dst) != len(src.Blobs) {
			return fmt.Errorf("incompatible number of blobs for layer %q: the net has %d, the weights have %d",
				src.GetName(), len(dst), len(src.Blobs))
		}
		for j, b := range dst {
			if !b.ShapeEquals(src.Blobs[j]) {
				return fmt.Errorf("cannot copy param %d weights from layer %q; shape mismatch: source param shape is %s, target param shape is %s "+
					"(to learn this layer's parameters from scratch rather than copying from a saved net, rename the layer)",
					j, src.GetName(), blob.ShapeString(blob.ProtoShape(src.Blobs[j])), b.ShapeString())
			}
			if err := b.FromProto(src.Blobs[j], false); err != nil {
				return fmt.Errorf("layer %q param %d: %w", src.GetName(), j, err)
			}
		}
	}
	return nil
}

// ToProto returns the net as Caffe writes it to a .caffemodel: its name and every
// layer's parameters with its blobs (and their gradients with withDiff).
func (n *Net) ToProto(withDiff bool) *caffepb.NetParameter {
	out := &caffepb.NetParameter{Name: proto.String(n.name)}
	if n.name == "" {
		out.Name = nil
	}
	for i := range n.layers {
		s := &n.layers[i]
		l := proto.Clone(s.param).(*caffepb.LayerParameter)
		l.Blobs = nil
		for _, b := range s.layer.Params() {
			l.Blobs = append(l.Blobs, b.ToProto(withDiff))
		}
		out.Layer = append(out.Layer, l)
	}
	return out
}
