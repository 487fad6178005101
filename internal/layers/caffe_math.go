package layers

// Caffe's element-wise arithmetic, where its result is not Go's: the layers that
// compute as Caffe's CPU code does, call for call, use these for the single elements
// of its caffe_* calls.

// caffeSign is caffe_sign: (0 < x) − (x < 0), so +0 for ±0 and NaN.
func caffeSign(x float32) float32 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// cppMax is std::max(a, b): b if a < b, else a (so a NaN b is passed over, and
// cppMax(−0, 0) is −0), unlike Go's max.
func cppMax(a, b float32) float32 {
	if a < b {
		return b
	}
	return a
}

// cppMin is std::min(a, b): b if b < a, else a.
func cppMin(a, b float32) float32 {
	if b < a {
		return b
	}
	return a
}

// scalElem is one element of caffe_scal (cblas_sscal): v·alpha, but 0 for alpha 0
// (or NaN), whatever v is, and v itself for alpha 1.
func scalElem(alpha, v float32) float32 {
	switch {
	case alpha == 1:
		return v
	case alpha == 0 || alpha != alpha:
		return 0
	}
	return v * alpha
}

// boolf is a C++ bool in arithmetic: 1 or 0.
func boolf(b bool) float32 {
	if b {
		return 1
	}
	return 0
}
