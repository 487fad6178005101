package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Layers of Caffe that gocaffe does not have: data layers that need HDF5 or a host
// program, and Python layers. They are registered so that a net using one fails at
// once with an error that names the layer and what to use instead, rather than as an
// unknown type.
func init() {
	for typ, why := range map[string]string{
		"HDF5Data": "HDF5 files are not supported yet; convert the data to an LMDB of Datum records " +
			"(gocaffe convert) and read it with a Data layer",
		"WindowData": "it is not supported; crop the windows into image files and list them for an " +
			"ImageData layer, or convert them into an LMDB (gocaffe convert imageset) for a Data layer",
		"MemoryData": "it is fed arrays from C++ or Python code, which a command-line run does not have; " +
			"use an Input layer, or a Data layer over an LMDB (gocaffe convert)",
		"HDF5Output": "HDF5 files are not supported yet; remove the layer (gocaffe test prints the " +
			"mean of every output of the net)",
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
