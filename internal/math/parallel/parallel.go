// Package parallel splits loops over goroutines. Caffe runs everything but BLAS on
// one core; gocaffe splits the batch of im2col, pooling and activation loops over
// every core it may use.
package parallel

import (
	"runtime"
	"sync"
)

// Workers is the number of goroutines For uses: GOMAXPROCS.
func Workers() int { return runtime.GOMAXPROCS(0) }

// For calls body on contiguous chunks [lo, hi) covering [0, n), on up to Workers()
// goroutines, and returns when all are done. Work below minPerWorker items per
// goroutine runs on fewer goroutines (on the caller alone when n < 2·minPerWorker),
// since starting a goroutine costs about a microsecond.
func For(n, minPerWorker int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	w := Workers()
	if minPerWorker < 1 {
		minPerWorker = 1
	}
	if most := n / minPerWorker; most < w {
		w = most
	}
	if w <= 1 {
		body(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for lo := chunk; lo < n; lo += chunk {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			body(lo, hi)
		}(lo, min(lo+chunk, n))
	}
	body(0, min(chunk, n))
	wg.Wait()
}

// ForEach calls body(i, worker) for every i in [0, n) on up to Workers() goroutines;
// worker is in [0, Workers()) and identifies the goroutine, so that each can use its
// own scratch buffer. Items are handed out in contiguous chunks.
func ForEach(n int, body func(i, worker int)) {
	if n <= 0 {
		return
	}
	w := min(Workers(), n)
	if w <= 1 {
		for i := 0; i < n; i++ {
			body(i, 0)
		}
		return
	}
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for worker := 0; worker < w; worker++ {
		lo, hi := worker*chunk, min((worker+1)*chunk, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func(worker, lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				body(i, worker)
			}
		}(worker, lo, hi)
	}
	wg.Wait()
}
