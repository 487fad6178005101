// Package mpi lets the processes of a data-parallel training run (gocaffe-mpi started
// by mpirun or srun) work as one: a Group sums gradients over the ranks, broadcasts
// rank 0's weights and gathers the ranks' data positions for snapshots.
//
// The collectives are built here, in Go, on point-to-point exchanges that a Transport
// carries: Open MPI's MPI_Isend and MPI_Irecv in the binary built with the mpi build
// tag (mpi_cgo.go), channels between goroutines in the tests (Local). Building them
// here rather than calling MPI_Allreduce fixes the order of every sum by the number
// of ranks alone — Open MPI picks its allreduce algorithm by message size, process
// placement and tuning parameters, so its sums' order (and so the trained weights)
// could change between runs of one job — and lets a rank that waits say whom it waits
// for, and stop waiting when the Watch reports a rank gone.
//
// Without the mpi build tag (or without cgo) the package still builds: Available is
// false and Init says how to get a build with MPI.
package mpi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"
)

// Transport carries the messages of a Group between its ranks.
type Transport interface {
	// Rank is this process's rank, 0 ≤ Rank < Size.
	Rank() int
	// Size is the number of ranks.
	Size() int
	// Exchange sends send to rank to (unless to < 0) while it receives a message of
	// exactly len(recv) bytes from rank from into recv (unless from < 0), and returns
	// once both are done. Messages between two ranks arrive in the order they were
	// sent. While it waits it calls stop now and then and returns stop's error if
	// that is not nil.
	Exchange(to int, send []byte, from int, recv []byte, stop func() error) error
}

// Group is the ranks of a data-parallel run. Every rank must call the same
// collective methods in the same order, with buffers of the same length.
type Group struct {
	t          Transport
	rank, size int
	scratch    []float32 // one chunk of the ring allreduce
	failure    atomic.Pointer[error]
}

// NewGroup makes a Group that exchanges its messages over t.
func NewGroup(t Transport) *Group {
	return &Group{t: t, rank: t.Rank(), size: t.Size()}
}

// Rank is this process's rank: 0 for the root, which logs, tests and snapshots.
func (g *Group) Rank() int { return g.rank }

// Size is the number of ranks.
func (g *Group) Size() int { return g.size }

// Fail makes every collective under way or to come return err (wrapped), once: the
// first failure reported stays. The Watch calls it when a rank has died.
func (g *Group) Fail(err error) {
	g.failure.CompareAndSwap(nil, &err)
}

// Failure returns the error given to Fail, or nil.
func (g *Group) Failure() error {
	if p := g.failure.Load(); p != nil {
		return *p
	}
	return nil
}

// exchange is Transport.Exchange with the group's failure as the stop condition
// and the peers named in the error.
func (g *Group) exchange(what string, to int, send []byte, from int, recv []byte) error {
	if err := g.Failure(); err != nil {
		return err
	}
	err := g.t.Exchange(to, send, from, recv, g.Failure)
	if err == nil {
		return nil
	}
	if f := g.Failure(); f != nil && errors.Is(err, f) {
		return err
	}
	switch {
	case to >= 0 && from >= 0 && to != from:
		return fmt.Errorf("%s (sending to rank %d, receiving from rank %d): %w", what, to, from, err)
	case to >= 0:
		return fmt.Errorf("%s (with rank %d): %w", what, to, err)
	default:
		return fmt.Errorf("%s (with rank %d): %w", what, from, err)
	}
}

// floatBytes is the memory of v as bytes (no copy).
func floatBytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

// chunk returns the bounds of chunk c of n values cut into size chunks.
func chunk(n, size, c int) (lo, hi int) {
	return c * n / size, (c + 1) * n / size
}

// AllreduceSum replaces buf, on every rank, by the element-wise sum of every rank's
// buf. It is a ring allreduce: buf is cut into Size chunks; in Size−1 steps every
// rank passes a partial sum to the next rank, which adds its own values, until rank
// c−1 holds chunk c summed over all ranks as ((g[c] + g[c+1]) + g[c+2]) + … (ranks
// modulo Size); Size−1 more steps pass the finished chunks round the ring. Each rank
// sends and receives 2·(Size−1)/Size of buf, and the order of every sum depends on
// Size alone: a run repeats bit for bit, and every rank ends with the same bits.
func (g *Group) AllreduceSum(buf []float32) error {
	n, size := len(buf), g.size
	if size == 1 {
		return g.Failure()
	}
	right, left := (g.rank+1)%size, (g.rank+size-1)%size
	if need := n/size + 1; cap(g.scratch) < need {
		g.scratch = make([]float32, need)
	}
	mod := func(c int) int { return ((c % size) + size) % size }
	// Reduce-scatter: at step s, send the partial sum of chunk rank−s, receive that
	// of chunk rank−s−1 and add this rank's values to it.
	for s := 0; s < size-1; s++ {
		slo, shi := chunk(n, size, mod(g.rank-s))
		rlo, rhi := chunk(n, size, mod(g.rank-s-1))
		tmp := g.scratch[:rhi-rlo]
		if err := g.exchange("summing gradients", right, floatBytes(buf[slo:shi]), left, floatBytes(tmp)); err != nil {
			return err
		}
		own := buf[rlo:rhi]
		for i, v := range tmp {
			own[i] = v + own[i]
		}
	}
	// Allgather: this rank now holds chunk rank+1 complete; pass the complete chunks on.
	for s := 0; s < size-1; s++ {
		slo, shi := chunk(n, size, mod(g.rank+1-s))
		rlo, rhi := chunk(n, size, mod(g.rank-s))
		if err := g.exchange("sharing summed gradients", right, floatBytes(buf[slo:shi]), left, floatBytes(buf[rlo:rhi])); err != nil {
			return err
		}
	}
	return nil
}

// Broadcast copies rank 0's buf into every other rank's, along a binomial tree
// (log₂ Size rounds).
func (g *Group) Broadcast(buf []float32) error {
	return g.broadcast("broadcasting rank 0's values", floatBytes(buf))
}

func (g *Group) broadcast(what string, b []byte) error {
	size, rank := g.size, g.rank
	mask := 1
	for mask < size {
		if rank&mask != 0 {
			if err := g.exchange(what, -1, nil, rank-mask, b); err != nil {
				return err
			}
			break
		}
		mask <<= 1
	}
	for mask >>= 1; mask > 0; mask >>= 1 {
		if rank+mask < size {
			if err := g.exchange(what, rank+mask, b, -1, nil); err != nil {
				return err
			}
		}
	}
	return g.Failure()
}

// BroadcastBytes returns rank 0's b on every rank (b is ignored elsewhere).
func (g *Group) BroadcastBytes(b []byte) ([]byte, error) {
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
	if err := g.broadcast("broadcasting rank 0's state", n[:]); err != nil {
		return nil, err
	}
	size := binary.LittleEndian.Uint64(n[:])
	if g.rank != 0 {
		b = make([]byte, size)
	}
	if err := g.broadcast("broadcasting rank 0's state", b); err != nil {
		return nil, err
	}
	return b, nil
}

// GatherBytes returns, on rank 0, every rank's b in rank order (rank 0's own
// first); on the other ranks it returns nil once b is sent.
func (g *Group) GatherBytes(b []byte) ([][]byte, error) {
	if g.rank != 0 {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		if err := g.exchange("sending this rank's state to rank 0", 0, n[:], -1, nil); err != nil {
			return nil, err
		}
		if err := g.exchange("sending this rank's state to rank 0", 0, b, -1, nil); err != nil {
			return nil, err
		}
		return nil, g.Failure()
	}
	out := [][]byte{b}
	for r := 1; r < g.size; r++ {
		var n [8]byte
		if err := g.exchange("gathering the ranks' states", -1, nil, r, n[:]); err != nil {
			return nil, err
		}
		p := make([]byte, binary.LittleEndian.Uint64(n[:]))
		if err := g.exchange("gathering the ranks' states", -1, nil, r, p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Barrier returns once every rank has called it (a gather to rank 0 and a broadcast
// back).
func (g *Group) Barrier() error {
	if _, err := g.GatherBytes(nil); err != nil {
		return err
	}
	_, err := g.BroadcastBytes(nil)
	return err
}
