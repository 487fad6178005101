// Package blob holds Blob, the N-D array of float32 values and gradients that flows
// between a net's layers, as in Caffe.
package blob

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// MaxAxes is the largest number of axes a blob may have, as in Caffe.
const MaxAxes = 32

// Blob is an N-D array in row-major (N, C, H, W, ...) order with a gradient of the same
// shape. Data and Diff always have exactly Count() elements (none while ShapesOnly
// runs); reshaping to a smaller count keeps the backing arrays, so a net reshaped
// between batches allocates nothing.
type Blob struct {
	shape []int
	count int
	Data  []float32
	Diff  []float32
}

// New returns a zeroed blob of the given shape.
func New(shape ...int) *Blob {
	b := &Blob{}
	b.Reshape(shape...)
	return b
}

// Reshape gives the blob a new shape. Values are kept when the count does not grow
// (they are then meaningless in the new layout, as in Caffe); new storage is zeroed.
//
// A shape Reshape cannot take — a negative dimension, more than MaxAxes axes, more
// than MaxCount values — panics with a *ShapeError, and storage beyond the memory
// limit (see SetMemoryLimit) panics with an *AllocError, before anything is
// allocated. Layers check the shapes that come from users; the net turns these
// panics, which a user's file can still cause (a product too large for any
// parameter to show alone), into errors naming the layer (see Recover).
func (b *Blob) Reshape(shape ...int) {
	count, err := CountOf(shape...)
	if err != nil {
		panic(err)
	}
	if count > cap(b.Data) && !shapesOnly() {
		mustAlloc(2*int64(count)*4, shape)
	}
	b.shape = append(b.shape[:0], shape...)
	b.count = count
	b.Data = resize(b.Data, count)
	b.Diff = resize(b.Diff, count)
}

func resize(s []float32, n int) []float32 {
	if shapesOnly() {
		return s[:0]
	}
	if n <= cap(s) {
		return s[:n]
	}
	return make([]float32, n)
}

// ReshapeLike gives the blob the shape of other.
func (b *Blob) ReshapeLike(other *Blob) { b.Reshape(other.shape...) }

// Shape returns the blob's shape. The slice must not be modified.
func (b *Blob) Shape() []int { return b.shape }

// NumAxes is the number of axes.
func (b *Blob) NumAxes() int { return len(b.shape) }

// Count is the number of elements: the product of all dimensions (1 for a 0-axis blob).
func (b *Blob) Count() int { return b.count }

// CountRange is the product of the dimensions of axes [start, end).
func (b *Blob) CountRange(start, end int) int {
	n := 1
	for _, d := range b.shape[start:end] {
		n *= d
	}
	return n
}

// CountFrom is the product of the dimensions from axis start to the last.
func (b *Blob) CountFrom(start int) int { return b.CountRange(start, len(b.shape)) }

// CanonicalAxis turns an axis index that may count from the end (-1 is the last axis)
// into one counting from the front, or returns an error if it is out of range.
func (b *Blob) CanonicalAxis(axis int) (int, error) {
	n := len(b.shape)
	if axis < -n || axis >= n {
		return 0, fmt.Errorf("axis %d out of range for a %d-axis blob of shape %s", axis, n, b.ShapeString())
	}
	if axis < 0 {
		return axis + n, nil
	}
	return axis, nil
}

// Dim returns the dimension of an axis, which may count from the end (-1 is the last).
// It panics if the axis is out of range.
func (b *Blob) Dim(axis int) int {
	a, err := b.CanonicalAxis(axis)
	if err != nil {
		panic(err)
	}
	return b.shape[a]
}

// LegacyDim returns the dimension of axis i of Caffe's legacy 4-D view
// (num, channels, height, width): 1 for axes the blob does not have.
func (b *Blob) LegacyDim(i int) int {
	if i >= len(b.shape) || i < -len(b.shape) {
		return 1
	}
	return b.Dim(i)
}

// Num, Channels, Height and Width are the legacy 4-D view of the first four axes.
func (b *Blob) Num() int      { return b.LegacyDim(0) }
func (b *Blob) Channels() int { return b.LegacyDim(1) }
func (b *Blob) Height() int   { return b.LegacyDim(2) }
func (b *Blob) Width() int    { return b.LegacyDim(3) }

// Offset is the flat index of the element at the given leading indices; missing
// trailing indices count as 0.
func (b *Blob) Offset(indices ...int) int {
	off := 0
	for i, d := range b.shape {
		off *= d
		if i < len(indices) {
			off += indices[i]
		}
	}
	return off
}

// ShareData makes b use other's values (and shape). Layers that pass data through
// unchanged (Split, Flatten, Reshape) share rather than copy; they share again after
// every Reshape, since other may have been given new storage.
func (b *Blob) ShareData(other *Blob) {
	b.shape = append(b.shape[:0], other.shape...)
	b.count = other.count
	b.Data = other.Data
}

// ShareDiff makes b use other's gradient.
func (b *Blob) ShareDiff(other *Blob) { b.Diff = other.Diff }

// ShapeString formats the shape as Caffe's logs do: "64 1 28 28 (50176)".
func (b *Blob) ShapeString() string { return ShapeString(b.shape) }

// ShapeString formats a shape as Caffe's logs do: "64 1 28 28 (50176)".
func ShapeString(shape []int) string {
	var sb strings.Builder
	n := 1
	for _, d := range shape {
		sb.WriteString(strconv.Itoa(d))
		sb.WriteByte(' ')
		n *= d
	}
	fmt.Fprintf(&sb, "(%d)", n)
	return sb.String()
}

// ShapeEquals reports whether a serialised blob has the blob's shape. A proto with the
// legacy num/channels/height/width fields (and no shape) matches a blob of at most four
// axes whose shape, padded with leading 1s to four axes, equals (num, channels, height,
// width) — Caffe's rule, which lets old .caffemodel files load into today's layers.
func (b *Blob) ShapeEquals(p *caffepb.BlobProto) bool {
	if IsLegacy(p) {
		if len(b.shape) > 4 {
			return false
		}
		legacy := [4]int{int(p.GetNum()), int(p.GetChannels()), int(p.GetHeight()), int(p.GetWidth())}
		for i := 0; i < 4; i++ {
			if b.LegacyDim(i-4) != legacy[i] {
				return false
			}
		}
		return true
	}
	dims := p.GetShape().GetDim()
	if len(dims) != len(b.shape) {
		return false
	}
	for i, d := range dims {
		if int(d) != b.shape[i] {
			return false
		}
	}
	return true
}

// IsLegacy reports whether a serialised blob gives its shape in the legacy
// num/channels/height/width fields rather than in shape.
func IsLegacy(p *caffepb.BlobProto) bool {
	return p.Shape == nil && (p.Num != nil || p.Channels != nil || p.Height != nil || p.Width != nil)
}

// ProtoShape returns the shape a serialised blob declares: its shape field, or the
// four legacy dimensions.
func ProtoShape(p *caffepb.BlobProto) []int {
	if IsLegacy(p) {
		return []int{int(p.GetNum()), int(p.GetChannels()), int(p.GetHeight()), int(p.GetWidth())}
	}
	dims := p.GetShape().GetDim()
	shape := make([]int, len(dims))
	for i, d := range dims {
		shape[i] = int(d)
	}
	return shape
}

// FromProto copies a serialised blob's values (and gradient, if it has one) into b.
// With reshape, b takes the proto's shape; otherwise the shapes must match by
// ShapeEquals. Values may be given as float (data) or double (double_data).
func (b *Blob) FromProto(p *caffepb.BlobProto, reshape bool) error {
	shape := ProtoShape(p)
	if reshape {
		count, err := CountOf(shape...)
		if err != nil {
			return err
		}
		// The values must fit the shape before the shape is allocated: a file's few
		// bytes can announce gigabytes.
		if n := max(len(p.GetData()), len(p.GetDoubleData())); n != count {
			return fmt.Errorf("blob of shape %s has %d values, want %d", ShapeString(shape), n, count)
		}
		if err := Recover(func() { b.Reshape(shape...) }); err != nil {
			return err
		}
	} else if !b.ShapeEquals(p) {
		return fmt.Errorf("shape mismatch: the file has %s, the net expects %s",
			ShapeString(shape), b.ShapeString())
	}
	if err := copyValues(b.Data, p.GetData(), p.GetDoubleData(), "data"); err != nil {
		return err
	}
	if len(p.GetDiff()) > 0 || len(p.GetDoubleDiff()) > 0 {
		return copyValues(b.Diff, p.GetDiff(), p.GetDoubleDiff(), "diff")
	}
	return nil
}

func copyValues(dst, f []float32, d []float64, what string) error {
	switch {
	case len(d) > 0:
		if len(d) != len(dst) {
			return fmt.Errorf("blob has %d double %s values, want %d", len(d), what, len(dst))
		}
		for i, v := range d {
			dst[i] = float32(v)
		}
	case len(f) == len(dst):
		copy(dst, f)
	default:
		return fmt.Errorf("blob has %d %s values, want %d", len(f), what, len(dst))
	}
	return nil
}

// ToProto serialises the blob with its shape (never the legacy fields) and float
// values, and its gradient when withDiff is set (Caffe's snapshot_diff).
func (b *Blob) ToProto(withDiff bool) *caffepb.BlobProto {
	dims := make([]int64, len(b.shape))
	for i, d := range b.shape {
		dims[i] = int64(d)
	}
	p := &caffepb.BlobProto{
		Shape: &caffepb.BlobShape{Dim: dims},
		Data:  append([]float32(nil), b.Data...),
	}
	if withDiff {
		p.Diff = append([]float32(nil), b.Diff...)
	}
	return p
}
