package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Tile", newTile) }

// tile repeats its bottom tiles times along one axis: everything from that axis on
// is copied whole, tiles times in a row.
//
//	bottom (outer, inner)          inner = the count from axis on
//	top    (outer, tiles·inner)    axis tiles times longer
type tile struct {
	base
	tiles        int
	outer, inner int
}

func newTile(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	tp := p.GetTileParam()
	if tp == nil || tp.Tiles == nil || tp.GetTiles() <= 0 {
		return nil, fmt.Errorf("tile_param.tiles must be given and positive")
	}
	return &tile{base: newBase(p, ctx), tiles: int(tp.GetTiles())}, nil
}

func (l *tile) BlobCounts() BlobCounts { return Exactly(1, 1) }

func (l *tile) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	b := bottom[0]
	axis, err := b.CanonicalAxis(int(l.param.GetTileParam().GetAxis()))
	if err != nil {
		return fmt.Errorf("tile_param.axis: %w", err)
	}
	shape := append([]int(nil), b.Shape()...)
	shape[axis] *= l.tiles
	top[0].Reshape(shape...)
	l.outer, l.inner = b.CountRange(0, axis), b.CountFrom(axis)
	return nil
}

// Forward: top[o, t, :] = bottom[o, :] for every tile t.
func (l *tile) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	for o := 0; o < l.outer; o++ {
		src := x[o*l.inner:][:l.inner]
		for t := 0; t < l.tiles; t++ {
			copy(y[(o*l.tiles+t)*l.inner:][:l.inner], src)
		}
	}
	return nil
}

// Backward: dbottom[o, :] = Σ_t dtop[o, t, :], summed in tile order.
func (l *tile) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	dy, dx := top[0].Diff, bottom[0].Diff
	for o := 0; o < l.outer; o++ {
		d := dx[o*l.inner:][:l.inner]
		copy(d, dy[o*l.tiles*l.inner:][:l.inner])
		for t := 1; t < l.tiles; t++ {
			blas.Axpy(1, dy[(o*l.tiles+t)*l.inner:][:l.inner], d)
		}
	}
}
