package parallel

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

func TestForCoversEveryIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 7, 100, 1001} {
		for _, minPer := range []int{0, 1, 10, 1000} {
			hits := make([]int32, n)
			For(n, minPer, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&hits[i], 1)
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("n=%d min=%d: index %d visited %d times", n, minPer, i, h)
				}
			}
		}
	}
}

// chunkLog records the ranges a loop was called with.
type chunkLog struct {
	sync.Mutex
	ranges [][2]int
}

func (c *chunkLog) Range(lo, hi int) {
	c.Lock()
	c.ranges = append(c.ranges, [2]int{lo, hi})
	c.Unlock()
}

// TestRunChunksFixed: the ranges body gets depend on n, the grain and the number of
// workers only, whoever runs them.
func TestRunChunksFixed(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	for _, tc := range []struct {
		n, grain int
		want     [][2]int
	}{
		{10, 1, [][2]int{{0, 3}, {3, 6}, {6, 9}, {9, 10}}},
		{10, 4, [][2]int{{0, 5}, {5, 10}}},
		{10, 6, [][2]int{{0, 10}}},
		{4, 0, [][2]int{{0, 1}, {1, 2}, {2, 3}, {3, 4}}},
	} {
		for range 20 {
			var c chunkLog
			Run(tc.n, tc.grain, &c)
			slices.SortFunc(c.ranges, func(a, b [2]int) int { return a[0] - b[0] })
			if !slices.Equal(c.ranges, tc.want) {
				t.Fatalf("n %d grain %d: ranges %v, want %v", tc.n, tc.grain, c.ranges, tc.want)
			}
		}
	}
}

// nested runs a loop whose body runs loops, as a convolution's chunks run GEMMs.
type nested struct{ sum atomic.Int64 }

func (s *nested) Range(lo, hi int) {
	for i := lo; i < hi; i++ {
		For(100, 1, func(lo, hi int) { s.sum.Add(int64(hi - lo)) })
	}
}

// TestRunNested: loops inside loops finish (a busy helper is not waited for) and do
// all their work.
func TestRunNested(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	for range 50 {
		var s nested
		Run(8, 1, &s)
		if got := s.sum.Load(); got != 800 {
			t.Fatalf("nested loops did %d items, want 800", got)
		}
	}
}

type counter struct{ n atomic.Int64 }

func (c *counter) Range(lo, hi int) { c.n.Add(int64(hi - lo)) }

// TestRunAllocs: a loop over a Ranger held by pointer allocates nothing once the
// helpers exist.
func TestRunAllocs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	var c counter
	Run(1000, 1, &c) // start the helper
	c.n.Store(0)
	if allocs := testing.AllocsPerRun(100, func() { Run(1000, 1, &c) }); allocs != 0 {
		t.Errorf("Run allocates %v times per call", allocs)
	}
	// AllocsPerRun runs the function once more to warm up.
	if c.n.Load() != 101*1000 {
		t.Errorf("counted %d items, want %d", c.n.Load(), 101*1000)
	}
}

func BenchmarkRun(b *testing.B) {
	var c counter
	for b.Loop() {
		Run(1<<10, 1, &c)
	}
}
