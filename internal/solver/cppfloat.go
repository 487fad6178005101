package solver

import (
	"math"
	"strconv"
)

// G is a number printed as C++'s `std::ostream << float` prints it with the stream's
// default settings: six significant digits, fixed or scientific notation by %g's rule,
// trailing zeros dropped. Caffe's log lines carry numbers in that form, and the tools
// written for them (parse_log.py, parse_log.sh) read them by it, so gocaffe prints
// every number of a Caffe message through G.
type G float64

// String implements fmt.Stringer.
func (g G) String() string { return string(AppendG(nil, float64(g))) }

// AppendG appends v in C++'s default stream notation to b.
func AppendG(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		if math.Signbit(v) {
			return append(b, "-nan"...)
		}
		return append(b, "nan"...)
	case math.IsInf(v, 1):
		return append(b, "inf"...)
	case math.IsInf(v, -1):
		return append(b, "-inf"...)
	}
	// strconv's 'g' with a precision follows C's %g: scientific when the exponent is
	// below -4 or at least the precision, trailing zeros removed, and an exponent of at
	// least two digits.
	return strconv.AppendFloat(b, v, 'g', 6, 64)
}
