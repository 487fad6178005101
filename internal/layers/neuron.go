package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// neuron is what the element-wise layers share, as Caffe's NeuronLayer: one bottom,
// one top of the bottom's shape, so the layer may run in place. A layer that shapes
// more than its top (a saved copy of the input, a scratch buffer) has its own Reshape.
type neuron struct {
	base
}

func newNeuron(p *caffepb.LayerParameter, ctx *Context) neuron {
	return neuron{base: newBase(p, ctx)}
}

// BlobCounts implements Layer: one bottom, one top.
func (neuron) BlobCounts() BlobCounts { return Exactly(1, 1) }

// Reshape implements Layer: the top takes the bottom's shape.
func (n *neuron) Reshape(bottom, top []*blob.Blob) error {
	top[0].ReshapeLike(bottom[0])
	return nil
}
