package blas

import (
	"sync"
	"time"
)

// PeakGFLOPS measures the arithmetic rate of the micro-kernel on data that stays in
// L1: what the cores can do when no memory is in the way (the wide AVX-512 kernel
// where the CPU has it, else the 6×16 one; two flops a multiply-add). It runs the
// kernel for about d on each of threads goroutines at once and returns the rate of
// one core (the first run, alone) and of all of them together.
func PeakGFLOPS(threads int, d time.Duration) (perCore, total float64) {
	const k = 256
	run := func(stop time.Time) float64 {
		a0, a1 := make([]float32, mr*k), make([]float32, mr*k)
		b0, b1 := make([]float32, nr*k), make([]float32, nr*k)
		c := make([]float32, 2*mr*2*nr)
		flops, start := 0.0, time.Now()
		for time.Now().Before(stop) {
			for range 64 {
				if useAVX512 {
					kernelWide(k, a0, a1, b0, b1, c, 2*nr, 1, 0)
					flops += 2 * 2 * mr * 2 * nr * k
				} else {
					kernel(k, a0, b0, c, nr, 1, 0)
					flops += 2 * mr * nr * k
				}
			}
		}
		return flops / time.Since(start).Seconds() / 1e9
	}
	perCore = run(time.Now().Add(d))
	rates := make([]float64, threads)
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for i := range rates {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rates[i] = run(stop)
		}()
	}
	wg.Wait()
	for _, r := range rates {
		total += r
	}
	return perCore, total
}
