package layers

// Prefetching returns the number of data layers' prefetch goroutines running.
func Prefetching() int64 { return prefetching.Load() }
