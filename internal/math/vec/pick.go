package vec

import "math"

// pick returns a if c, else b, without a branch: the compiler turns a choice between
// integers into a conditional move, not one between floats, and the sign of an
// activation is a coin toss that a branch would mispredict half the time.
func pick(c bool, a, b float32) float32 {
	ra, rb := math.Float32bits(a), math.Float32bits(b)
	if c {
		rb = ra
	}
	return math.Float32frombits(rb)
}
