// Package parallel splits loops over goroutines. Caffe runs everything but BLAS on
// one core; gocaffe splits the batch of im2col, pooling and activation loops, and the
// tiles of its matrix products, over every core it may use — through this one pool,
// so that a product called from inside a parallel loop finds the helpers busy and
// runs on its caller rather than starting more goroutines than there are cores.
//
// The loops run on the caller and on helper goroutines that live for the life of the
// process, so that a loop starts no goroutine. A loop whose body is a Ranger held in
// a long-lived struct (a layer) allocates nothing: a training iteration runs hundreds
// of them, and none of it may allocate.
//
// A training iteration of a small net (a batch of one, or LeNet) is hundreds of
// loops of a few microseconds each. Waking a parked goroutine costs about as much as
// such a loop, so a helper that finishes its work spins for a while (spinLoads) before
// it parks, as OpenMP's threads do: the next loop finds it awake.
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

// RunEach hands the items of [0, n) out one at a time (body.Range(i, i+1)) to up to
// w goroutines, never more than Workers(), so that a goroutine that starts late still
// finds work. It suits a few large items of uneven cost, as the tiles of a matrix
// product. With one goroutine, body.Range(0, n) does them all.
func RunEach(n, w int, body Ranger) {
	if n <= 0 {
		return
	}
	w = min(w, n, Workers())
	if w <= 1 {
		body.Range(0, n)
		return
	}
	run(body, n, 1, w)
}

// run runs body over [0, n) in chunks of chunk items on the caller and on up to w−1
// helpers, those that are idle, and returns when every chunk is done.
func run(body Ranger, n, chunk, w int) {
	j := getJob()
	j.body, j.n, j.chunk = body, n, chunk
	j.chunks = (n + chunk - 1) / chunk
	j.maxHelpers.Store(int64(min(w, j.chunks) - 1))
	j.next.Store(0)
	j.state.Store(0) // open: helpers may join from here on
	post(j)
	j.work()
	j.close()
	unpost(j)
	j.body = nil
	putJob(j)
}

// job is one loop, shared by the caller and the helpers that join it. Chunk c is the
// items [c·chunk, min((c+1)·chunk, n)); whoever is in the job takes chunks in turn.
type job struct {
	body   Ranger
	n      int
	chunk  int
	chunks int
	// maxHelpers is how many helpers may join besides the caller.
	maxHelpers atomic.Int64
	next       atomic.Int64 // the next chunk to take
	// state counts the helpers inside the job, with closedBit set once the caller
	// has taken the last chunk: from then on no helper may join.
	state atomic.Int64
}

const closedBit = 1 << 62

// work takes chunks until none is left.
func (j *job) work() {
	for {
		c := int(j.next.Add(1)) - 1
		if c >= j.chunks {
			return
		}
		j.body.Range(c*j.chunk, min((c+1)*j.chunk, j.n))
	}
}

// join lets a helper in, unless the job is closed.
func (j *job) join() bool {
	for {
		s := j.state.Load() // before maxHelpers: if open, it was set for this use
		if s&closedBit != 0 || s >= j.maxHelpers.Load() {
			return false
		}
		if j.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

// leave lets a helper out.
func (j *job) leave() { j.state.Add(-1) }

// close shuts the job to new helpers and waits for those inside to finish their
// chunks. It spins rather than blocks: the chunks are short, and a caller woken by
// a helper would wait for that helper's core (it is readied there) until the helper
// yields. Now and then it yields itself, so that other goroutines (a data layer's
// prefetcher) may run.
func (j *job) close() {
	if j.state.Or(closedBit) == 0 {
		return
	}
	for spins := 1; j.state.Load() != closedBit; spins++ {
		if spins%yieldEvery == 0 {
			runtime.Gosched()
		}
	}
}

// free holds finished jobs for reuse: a channel rather than a sync.Pool, which a
// garbage collection may empty. A free job is closed, so a helper holding a stale
// pointer to it cannot join until it is posted again.
var free = make(chan *job, 64)

func getJob() *job {
	select {
	case j := <-free:
		return j
	default:
		j := new(job)
		j.state.Store(closedBit)
		return j
	}
}

func putJob(j *job) {
	select {
	case free <- j:
	default:
	}
}

// The pool: posted is the job an idle helper should join (the last one posted;
// a loop inside a loop replaces it, and its caller finishes the outer loop's chunks
// itself); parked helpers wait on wake.
var (
	posted  atomic.Pointer[job]
	parked  atomic.Int64
	wake    = make(chan struct{}, 256)
	helpers struct {
		sync.Mutex
		n atomic.Int64
	}
)

// spinLoads is how many times an idle helper looks for work before it parks: a load
// of posted takes about a nanosecond, so a few hundred microseconds. Every
// yieldEvery loads a spinning goroutine yields, so that a goroutine readied on its
// core (the caller of a loop, a prefetcher) runs.
const (
	spinLoads  = 1 << 18
	yieldEvery = 256
)

// post offers j to the helpers, waking parked ones if any are needed.
func post(j *job) {
	want := j.maxHelpers.Load()
	startHelpers(int(want))
	posted.Store(j)
	for p := min(parked.Load(), want); p > 0; p-- {
		select {
		case wake <- struct{}{}:
		default:
			return
		}
	}
}

// unpost withdraws j, unless another loop has been posted since.
func unpost(j *job) { posted.CompareAndSwap(j, nil) }

// startHelpers makes sure at least n helper goroutines exist.
func startHelpers(n int) {
	if int(helpers.n.Load()) >= n {
		return
	}
	helpers.Lock()
	for int(helpers.n.Load()) < n {
		go helper(int(helpers.n.Load()))
		helpers.n.Add(1)
	}
	helpers.Unlock()
}

// helper i joins posted jobs while it may (i < Workers()−1), spinning between them
// for spinLoads looks, then parks until a job is posted.
func helper(i int) {
	for {
		for spins := 0; spins < spinLoads; spins++ {
			if j := posted.Load(); j != nil && j.join() {
				j.work()
				j.leave()
				spins = 0
				continue
			}
			if spins%yieldEvery == yieldEvery-1 {
				if i >= Workers()-1 {
					break
				}
				runtime.Gosched()
			}
		}
		// Park. A job posted after parked is counted is seen by the check below or
		// wakes us; one posted before it is seen by the check.
		parked.Add(1)
		if j := posted.Load(); j != nil && j.join() {
			parked.Add(-1)
			j.work()
			j.leave()
			continue
		}
		<-wake
		parked.Add(-1)
	}
}
