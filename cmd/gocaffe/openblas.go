//go:build openblas

package main

// With the openblas build tag (and Debian's libopenblas-pthread-dev), gocaffe can
// multiply with the real OpenBLAS: GOCAFFE_GEMM=openblas. It is how gocaffe's own
// products are checked against Caffe's library; see internal/math/openblas.
import _ "github.com/gocaffe/gocaffe/internal/math/openblas"
