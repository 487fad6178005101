package blob

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// MaxCount is the most values a blob may hold: Caffe's limit (its Blob::Reshape
// checks "blob size exceeds INT_MAX"). A larger blob could not be saved in a
// .caffemodel either (protobuf messages end at 2 GB).
const MaxCount = math.MaxInt32

// ShapeError is a shape no blob can take. Reshape panics with it; CountOf returns it.
type ShapeError struct {
	Shape []int64 // the dimensions asked for
	Msg   string  // what is wrong with them
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("blob shape %s: %s", Dims64String(e.Shape), e.Msg)
}

// CountOf returns the number of values of a blob of the given shape, or a
// *ShapeError when a dimension is negative, there are more than MaxAxes axes, or the
// product exceeds MaxCount (checked as it is formed, so that no product wraps around).
func CountOf(shape ...int) (int, error) {
	if len(shape) > MaxAxes {
		return 0, shapeError(shape, fmt.Sprintf("%d axes, at most %d", len(shape), MaxAxes))
	}
	count := 1
	for _, d := range shape {
		if d < 0 {
			return 0, shapeError(shape, "negative dimension")
		}
		if count != 0 && d > MaxCount/count {
			return 0, shapeError(shape, fmt.Sprintf("%s values, more than a blob can hold (%d, Caffe's limit)", productString(shape), MaxCount))
		}
		count *= d
	}
	return count, nil
}

// CountOf64 is CountOf for dimensions as a prototxt or a binary proto gives them
// (int64, uint32, ...): each must be a valid int before it is one.
func CountOf64(shape ...int64) (int, error) {
	if len(shape) > MaxAxes {
		return 0, &ShapeError{Shape: append([]int64(nil), shape...), Msg: fmt.Sprintf("%d axes, at most %d", len(shape), MaxAxes)}
	}
	dims := make([]int, len(shape))
	for i, d := range shape {
		if d < 0 {
			return 0, &ShapeError{Shape: append([]int64(nil), shape...), Msg: "negative dimension"}
		}
		if d > MaxCount {
			return 0, &ShapeError{Shape: append([]int64(nil), shape...), Msg: fmt.Sprintf("dimension %d is more than a blob can hold (%d, Caffe's limit)", d, MaxCount)}
		}
		dims[i] = int(d)
	}
	return CountOf(dims...)
}

func shapeError(shape []int, msg string) *ShapeError {
	s := make([]int64, len(shape))
	for i, d := range shape {
		s[i] = int64(d)
	}
	return &ShapeError{Shape: s, Msg: msg}
}

// productString writes the exact product of dimensions, however large.
func productString(shape []int) string {
	p := big.NewInt(1)
	for _, d := range shape {
		p.Mul(p, big.NewInt(int64(d)))
	}
	return p.String()
}

// Dims64String formats dimensions as "a × b × c".
func Dims64String(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.FormatInt(d, 10)
	}
	return strings.Join(parts, " × ")
}

// Recover runs f and returns, as an error, the *ShapeError or *AllocError it panics
// with; other panics go on. It is how the net turns a shape or an allocation a user's
// file asked for and no blob can take into an error naming the layer.
func Recover(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			var se *ShapeError
			var ae *AllocError
			if e, ok := r.(error); ok && (errors.As(e, &se) || errors.As(e, &ae)) {
				err = e
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}
