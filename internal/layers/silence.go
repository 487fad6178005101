package layers

import (
	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Silence", newSilence) }

// silence consumes blobs nobody else reads, so that the net does not print them as
// outputs. It computes nothing; asked for gradients, it gives zeros.
//
//	bottom i  any shape
//	(no top)
type silence struct{ base }

func newSilence(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &silence{newBase(p, ctx)}, nil
}

func (l *silence) BlobCounts() BlobCounts {
	return BlobCounts{MinBottom: 1, MaxBottom: Any, MinTop: 0, MaxTop: 0}
}

func (l *silence) Reshape(bottom, top []*blob.Blob) error { return nil }
func (l *silence) Forward(bottom, top []*blob.Blob) error { return nil }

// Backward: dbottom_i = 0, the blob reaches no loss through this layer.
func (l *silence) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	for i, b := range bottom {
		if down[i] {
			clear(b.Diff)
		}
	}
}
