package solver

import (
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// BenchmarkCheckParams is the cost --on_nan=stop adds to every iteration: one pass
// over LeNet's 431,080 parameters (compare with a forward-backward pass of LeNet,
// `gocaffe time`, about 20–40 ms on two cores).
func BenchmarkCheckParams(b *testing.B) {
	w, err := protofile.ReadNetBinary(testutil.Path("fixtures/nets/lenet_mnist/lenet_iter_100.caffemodel"))
	if err != nil {
		b.Fatal(err)
	}
	s := &Solver{}
	n := 0
	for _, l := range w.Layer {
		for _, p := range l.Blobs {
			bl := &blob.Blob{}
			if err := bl.FromProto(p, true); err != nil {
				b.Fatal(err)
			}
			s.params = append(s.params, bl)
			n += bl.Count()
		}
	}
	if n != 431080 {
		b.Fatalf("%d parameters", n)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.checkParams(); err != nil {
			b.Fatal(err)
		}
	}
}
