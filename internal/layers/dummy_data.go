package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/filler"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("DummyData", newDummyData) }

// dummyData is the DummyData layer: tops of given shapes filled by fillers. Constant
// tops are filled once; the others are drawn again at every Forward.
type dummyData struct {
	base
	fillers []*caffepb.FillerParameter // one per top
}

func newDummyData(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &dummyData{base: newBase(p, ctx)}, nil
}

func (l *dummyData) BlobCounts() BlobCounts { return BlobCounts{0, 0, 1, Any, false} }

func (l *dummyData) Setup(bottom, top []*blob.Blob) error {
	p := l.param.GetDummyDataParam()
	nTop := len(top)
	legacy := len(p.GetNum()) + len(p.GetChannels()) + len(p.GetHeight()) + len(p.GetWidth())
	if legacy > 0 && len(p.GetShape()) > 0 {
		return fmt.Errorf("dummy_data_param: give shape or num/channels/height/width, not both")
	}
	oneOrAll := func(n int, what string) error {
		if n != 1 && n != nTop {
			return fmt.Errorf("dummy_data_param: %d %s for %d tops: give 1 or one per top", n, what, nTop)
		}
		return nil
	}
	if n := len(p.GetDataFiller()); n > 0 {
		if err := oneOrAll(n, "data_filler"); err != nil {
			return err
		}
	}
	shapes := make([][]int, nTop)
	if legacy > 0 {
		for _, f := range []struct {
			v    []uint32
			name string
		}{{p.GetNum(), "num"}, {p.GetChannels(), "channels"}, {p.GetHeight(), "height"}, {p.GetWidth(), "width"}} {
			if err := oneOrAll(len(f.v), f.name); err != nil {
				return err
			}
		}
		pick := func(v []uint32, i int) int {
			if len(v) == 1 {
				return int(v[0])
			}
			return int(v[i])
		}
		for i := range shapes {
			shapes[i] = []int{pick(p.GetNum(), i), pick(p.GetChannels(), i), pick(p.GetHeight(), i), pick(p.GetWidth(), i)}
		}
	} else {
		if err := oneOrAll(len(p.GetShape()), "shape"); err != nil {
			return err
		}
		for i := range shapes {
			s := p.GetShape()[0]
			if len(p.GetShape()) > 1 {
				s = p.GetShape()[i]
			}
			shape, err := shapeFromProto(s)
			if err != nil {
				return fmt.Errorf("dummy_data_param shape %d: %w", i, err)
			}
			shapes[i] = shape
		}
	}
	l.fillers = make([]*caffepb.FillerParameter, nTop)
	for i := range top {
		switch n := len(p.GetDataFiller()); n {
		case 0:
			l.fillers[i] = &caffepb.FillerParameter{} // constant 0
		case 1:
			l.fillers[i] = p.GetDataFiller()[0]
		default:
			l.fillers[i] = p.GetDataFiller()[i]
		}
		top[i].Reshape(shapes[i]...)
		if err := filler.Fill(top[i], l.fillers[i], l.ctx.RNG); err != nil {
			return fmt.Errorf("data_filler %d: %w", i, err)
		}
	}
	return nil
}

func (l *dummyData) Reshape(bottom, top []*blob.Blob) error { return nil }

func (l *dummyData) Forward(bottom, top []*blob.Blob) error {
	for i, t := range top {
		if l.fillers[i].GetType() != "constant" {
			if err := filler.Fill(t, l.fillers[i], l.ctx.RNG); err != nil {
				return err
			}
		}
	}
	return nil
}

func (l *dummyData) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {}
