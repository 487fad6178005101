package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Layers of Caffe that gocaffe does not have: data layers that need a host program or
// window files, and Python layers. They are registered so that a net using one fails at
// once with an error that names the layer and what to use instead, rather than as an
// unknown type.
func init() {
	for typ, why := range map[string]string{
		"WindowData": "it is not supported; crop the windows into image files and list them for an " +
			"ImageData layer, or convert them into an LMDB (gocaffe convert imageset) for a Data layer",
		"MemoryData": "it is fed arrays from C++ or Python code, which a command-line run does not have; " +
			"use an Input layer, or a Data layer over an LMDB (gocaffe convert)",
		"Python": "it runs Python code inside Caffe, which gocaffe cannot host; write the layer in Go " +
			"(docs/new-layer.md shows how)",
	} {
		Register(typ, unsupported(why))
	}
}

func unsupported(why string) Constructor {
	return func(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
		return nil, fmt.Errorf("%s layers cannot be used in gocaffe: %s", p.GetType(), why)
	}
}
