package parallel

import (
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

func TestForEachWorkersInRange(t *testing.T) {
	for _, n := range []int{0, 1, 5, 64} {
		hits := make([]int32, n)
		ForEach(n, func(i, worker int) {
			if worker < 0 || worker >= Workers() {
				t.Errorf("worker %d out of range", worker)
			}
			atomic.AddInt32(&hits[i], 1)
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("n=%d: index %d visited %d times", n, i, h)
			}
		}
	}
}
