package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("Crop", newCrop) }

// crop cuts out of bottom[0] a window the size of bottom[1] in the axes from
// crop_param.axis on, starting at crop_param.offset (one offset for all those axes,
// one per axis, or none: 0). The axes before axis keep bottom[0]'s size.
//
//	bottom[0] (d0, …, d_{n-1})       the data
//	bottom[1] (…, s_a, …, s_{n-1})   only its shape is read
//	top       (d0, …, d_{a-1}, s_a, …, s_{n-1})
//	top[i…] = bottom[0][i… + offset…]
type crop struct {
	base
	offsets   []int // (n) per axis of bottom[0], 0 before axis
	srcStride []int // (n) bottom[0]'s row-major strides
	dstStride []int // (n) the top's
	index     []int // (n) the loop's multi-index, kept to avoid allocating in Forward
}

func newCrop(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	return &crop{base: newBase(p, ctx)}, nil
}

func (l *crop) BlobCounts() BlobCounts { return Exactly(2, 1) }

func (l *crop) Setup(bottom, top []*blob.Blob) error {
	cp := l.param.GetCropParam()
	n := bottom[0].NumAxes()
	start, err := bottom[0].CanonicalAxis(int(cp.GetAxis()))
	if err != nil {
		return fmt.Errorf("crop_param.axis: %w", err)
	}
	if k := len(cp.GetOffset()); k > 1 && start+k != n {
		return fmt.Errorf("crop_param.offset: %d offsets given for axes %d to %d of the %d-axis bottom %s; give one offset, or one per axis from axis %d on (%d)",
			k, start, start+k-1, n, bottom[0].ShapeString(), start, n-start)
	}
	return nil
}

func (l *crop) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	cp := l.param.GetCropParam()
	b, ref := bottom[0], bottom[1]
	n := b.NumAxes()
	start, err := b.CanonicalAxis(int(cp.GetAxis()))
	if err != nil {
		return fmt.Errorf("crop_param.axis: %w", err)
	}
	if ref.NumAxes() < n {
		return fmt.Errorf("the size blob (bottom 1, %s) has fewer axes than the data (bottom 0, %s)", ref.ShapeString(), b.ShapeString())
	}
	l.offsets = resizeInts(l.offsets, n)
	shape := append([]int(nil), b.Shape()...)
	offs := cp.GetOffset()
	for i := 0; i < n; i++ {
		l.offsets[i] = 0
		if i < start {
			continue
		}
		switch {
		case len(offs) == 1:
			l.offsets[i] = int(offs[0])
		case len(offs) > 1:
			l.offsets[i] = int(offs[i-start])
		}
		shape[i] = ref.Dim(i)
		if b.Dim(i)-l.offsets[i] < shape[i] {
			return fmt.Errorf("the crop for dimension %d is out of bounds with size %d and offset %d: data %s, size blob %s",
				i, shape[i], l.offsets[i], b.ShapeString(), ref.ShapeString())
		}
	}
	top[0].Reshape(shape...)
	l.srcStride, l.dstStride = resizeInts(l.srcStride, n), resizeInts(l.dstStride, n)
	for i := 0; i < n; i++ {
		l.srcStride[i], l.dstStride[i] = b.CountFrom(i+1), top[0].CountFrom(i+1)
	}
	l.index = resizeInts(l.index, n)
	return nil
}

func resizeInts(s []int, n int) []int {
	if cap(s) < n {
		return make([]int, n)
	}
	return s[:n]
}

// rows calls f(src, dst) with the start of every row of the top along the last axis
// in bottom[0] (src) and in the top (dst); a row holds top.Dim(-1) values.
func (l *crop) rows(top *blob.Blob, f func(src, dst int)) {
	n := top.NumAxes()
	shape := top.Shape()
	for _, d := range shape {
		if d == 0 {
			return
		}
	}
	idx := l.index
	clear(idx)
	for {
		src, dst := l.offsets[n-1], 0
		for i := 0; i < n-1; i++ {
			src += (idx[i] + l.offsets[i]) * l.srcStride[i]
			dst += idx[i] * l.dstStride[i]
		}
		f(src, dst)
		a := n - 2
		for ; a >= 0; a-- {
			idx[a]++
			if idx[a] < shape[a] {
				break
			}
			idx[a] = 0
		}
		if a < 0 {
			return
		}
	}
}

// Forward: top[i…] = bottom[0][i… + offset…], a row at a time.
func (l *crop) Forward(bottom, top []*blob.Blob) error {
	x, y := bottom[0].Data, top[0].Data
	w := top[0].Dim(-1)
	l.rows(top[0], func(src, dst int) { copy(y[dst:dst+w], x[src:src+w]) })
	return nil
}

// Backward: dbottom[0] is dtop inside the window and 0 outside; bottom[1] gives only
// its shape, so its gradient is 0.
func (l *crop) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if down[0] {
		dy, dx := top[0].Diff, bottom[0].Diff
		clear(dx)
		w := top[0].Dim(-1)
		l.rows(top[0], func(src, dst int) { copy(dx[src:src+w], dy[dst:dst+w]) })
	}
	if down[1] {
		clear(bottom[1].Diff)
	}
}
