// Package parallel splits loops over goroutines. Caffe runs everything but BLAS on
// one core; gocaffe splits the batch of im2col, pooling and activation loops, and the
// tiles of its matrix products, over every core it may use — through this one pool,
// so that a product called from inside a parallel loop finds the helpers busy and
// runs on its caller rather than starting more goroutines than there are cores.
//
// The loops run on the caller and on helper goroutines that live for the life of
// the process, so that a loop starts no goroutine. A loop whose body is a Ranger
// held in a long-lived struct (a layer) allocates nothing: a training iteration
// runs hundreds of them, and DESIGN.md wants none of it to allocate.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers is the number of goroutines a loop uses at most: GOMAXPROCS.
func Workers() int { return runtime.GOMAXPROCS(0) }

// A Ranger is the body of a loop over [0, n): Range(lo, hi) handles the items lo to
// hi−1. Calls on different goroutines get disjoint ranges.
type Ranger interface {
	Range(lo, hi int)
}

// Func makes a Ranger of a function.
type Func func(lo, hi int)

// Range calls f.
func (f Func) Range(lo, hi int) { f(lo, hi) }

// For calls body on contiguous chunks [lo, hi) covering [0, n), on up to Workers()
// goroutines, and returns when all are done. Work below minPerWorker items per
// goroutine runs on fewer goroutines (on the caller alone when n < 2·minPerWorker),
// since waking a goroutine costs about a microsecond. A closure passed as body is
// allocated by the caller; Run with a Ranger avoids that.
func For(n, minPerWorker int, body func(lo, hi int)) { Run(n, minPerWorker, Func(body)) }

// Run is For with body.Range as the loop body. The chunks, and so the calls of
// body.Range, depend only on n, minPerWorker and Workers(), never on timing; which
// goroutine runs which chunk does.
func Run(n, minPerWorker int, body Ranger) {
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
		body.Range(0, n)
		return
	}
	run(body, n, (n+w-1)/w, w)
}

// RunEach calls body.Range(i, i+1) for every i in [0, n), on up to w goroutines
// (never more than Workers()): the items are handed out one at a time, so that a
// goroutine that starts late still finds work. It suits a few large items of
// uneven cost, as the tiles of a matrix product.
func RunEach(n, w int, body Ranger) {
	w = min(w, n, Workers())
	if w <= 1 {
		if n > 0 {
			body.Range(0, n)
		}
		return
	}
	run(body, n, 1, w)
}

// run runs body over [0, n) in chunks of chunk items on the caller and up to w−1
// idle helpers.
func run(body Ranger, n, chunk, w int) {
	j := getJob()
	j.body, j.n, j.chunk = body, n, chunk
	j.chunks = (n + chunk - 1) / chunk
	j.start(w)
	j.body = nil
	putJob(j)
}

// job is one loop, shared by the caller and the helpers that join it. Chunk c is
// the items [c·chunk, min((c+1)·chunk, n)); the goroutines take chunks in turn.
type job struct {
	body   Ranger
	n      int
	chunk  int
	chunks int
	next   atomic.Int64 // the next chunk to take
	wg     sync.WaitGroup
}

// start runs the job on the caller and up to w−1 idle helpers, and returns when
// every chunk is done.
func (j *job) start(w int) {
	j.next.Store(0)
	startHelpers(w - 1)
	// Only idle helpers take the job: a busy one (running another loop, as when a
	// loop body itself runs a loop) is not waited for, and the caller takes the
	// chunks nobody else does.
	for i := 1; i < w; i++ {
		j.wg.Add(1)
		select {
		case work <- j:
		default:
			j.wg.Done()
			i = w
		}
	}
	j.run()
	j.wg.Wait()
}

// run takes chunks until none is left.
func (j *job) run() {
	for {
		c := int(j.next.Add(1)) - 1
		if c >= j.chunks {
			return
		}
		j.body.Range(c*j.chunk, min((c+1)*j.chunk, j.n))
	}
}

// free holds finished jobs for reuse: a channel rather than a sync.Pool, which a
// garbage collection may empty.
var free = make(chan *job, 64)

func getJob() *job {
	select {
	case j := <-free:
		return j
	default:
		return new(job)
	}
}

func putJob(j *job) {
	select {
	case free <- j:
	default:
	}
}

// work hands a job to an idle helper. It is unbuffered: a send succeeds only when a
// helper is waiting, so the caller knows whom to wait for.
var work = make(chan *job)

var helpers struct {
	sync.Mutex
	n atomic.Int64
}

// startHelpers makes sure at least n helper goroutines exist. They live for the
// life of the process, parked on work when idle.
func startHelpers(n int) {
	if int(helpers.n.Load()) >= n {
		return
	}
	helpers.Lock()
	for int(helpers.n.Load()) < n {
		go helper()
		helpers.n.Add(1)
	}
	helpers.Unlock()
}

func helper() {
	for j := range work {
		j.run()
		j.wg.Done()
	}
}
