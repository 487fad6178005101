package mpi

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// onRanks runs f on size ranks of one process, each a goroutine, and returns their
// errors.
func onRanks(size int, f func(g *Group) error) []error {
	ts := Local(size)
	errs := make([]error, size)
	var wg sync.WaitGroup
	for r := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[r] = f(NewGroup(ts[r]))
		}()
	}
	wg.Wait()
	return errs
}

// values are rank r's test values: not sums of each other in any order.
func values(r, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(math.Sin(float64(1+r*7919+i*31))) * float32(1+r)
	}
	return v
}

// TestAllreduceSum checks the documented order of every sum, bit for bit, and that
// every rank gets the same bits, for numbers of ranks and lengths around the chunks'
// edges (fewer values than ranks included).
func TestAllreduceSum(t *testing.T) {
	for _, size := range []int{1, 2, 3, 4, 5} {
		for _, n := range []int{0, 1, 2, 5, 1000, 4099} {
			t.Run(fmt.Sprintf("%dranks_%dvalues", size, n), func(t *testing.T) {
				want := make([]float32, n)
				var in [][]float32
				for r := 0; r < size; r++ {
					in = append(in, values(r, n))
				}
				for c := 0; c < size; c++ {
					lo, hi := chunk(n, size, c)
					for i := lo; i < hi; i++ {
						acc := in[c][i]
						for k := 1; k < size; k++ {
							acc += in[(c+k)%size][i]
						}
						want[i] = acc
					}
				}
				got := make([][]float32, size)
				errs := onRanks(size, func(g *Group) error {
					got[g.Rank()] = values(g.Rank(), n)
					return g.AllreduceSum(got[g.Rank()])
				})
				for r := range got {
					if errs[r] != nil {
						t.Fatalf("rank %d: %v", r, errs[r])
					}
					for i := range want {
						if math.Float32bits(got[r][i]) != math.Float32bits(want[i]) {
							t.Fatalf("rank %d, value %d: %v, want %v", r, i, got[r][i], want[i])
						}
					}
				}
			})
		}
	}
}

// TestBroadcastAndGather checks Broadcast, BroadcastBytes and GatherBytes.
func TestBroadcastAndGather(t *testing.T) {
	for _, size := range []int{1, 2, 3, 5, 8} {
		t.Run(fmt.Sprintf("%dranks", size), func(t *testing.T) {
			root := values(0, 777)
			floats := make([][]float32, size)
			blobs := make([][]byte, size)
			var gathered [][]byte
			errs := onRanks(size, func(g *Group) error {
				floats[g.Rank()] = values(g.Rank(), 777)
				if err := g.Broadcast(floats[g.Rank()]); err != nil {
					return err
				}
				var err error
				if blobs[g.Rank()], err = g.BroadcastBytes([]byte(fmt.Sprintf("state of rank %d", g.Rank()))); err != nil {
					return err
				}
				all, err := g.GatherBytes(bytes.Repeat([]byte{byte(g.Rank())}, g.Rank()*3))
				if g.Rank() == 0 {
					gathered = all
				} else if all != nil {
					return fmt.Errorf("rank %d got the gather's result", g.Rank())
				}
				if err != nil {
					return err
				}
				return g.Barrier()
			})
			for r := 0; r < size; r++ {
				if errs[r] != nil {
					t.Fatalf("rank %d: %v", r, errs[r])
				}
				for i := range root {
					if floats[r][i] != root[i] {
						t.Fatalf("rank %d: value %d is %v, rank 0 has %v", r, i, floats[r][i], root[i])
					}
				}
				if string(blobs[r]) != "state of rank 0" {
					t.Errorf("rank %d: BroadcastBytes gave %q", r, blobs[r])
				}
			}
			if len(gathered) != size {
				t.Fatalf("gathered %d, want %d", len(gathered), size)
			}
			for r, b := range gathered {
				if !bytes.Equal(b, bytes.Repeat([]byte{byte(r)}, r*3)) {
					t.Errorf("gathered from rank %d: %v", r, b)
				}
			}
		})
	}
}

// TestFailStopsWaiting: a rank waiting for one that never comes returns the error
// given to Fail, and every later call too.
func TestFailStopsWaiting(t *testing.T) {
	ts := Local(2)
	g := NewGroup(ts[0])
	gone := &DownError{Rank: 1, Reason: "died"}
	done := make(chan error)
	go func() { done <- g.AllreduceSum(make([]float32, 10)) }()
	time.Sleep(20 * time.Millisecond)
	g.Fail(gone)
	g.Fail(errors.New("a later failure is not the one reported"))
	if err := <-done; !errors.Is(err, gone) {
		t.Fatalf("AllreduceSum returned %v, want %v", err, gone)
	}
	if err := g.Broadcast(make([]float32, 3)); !errors.Is(err, gone) {
		t.Fatalf("Broadcast after the failure returned %v", err)
	}
}

// TestTruncatedMessage: ranks whose buffers differ get an error, not wrong numbers.
func TestTruncatedMessage(t *testing.T) {
	errs := onRanks(2, func(g *Group) error {
		return g.Broadcast(make([]float32, 10+g.Rank()))
	})
	if errs[1] == nil {
		t.Fatal("rank 1 received 40 bytes into 44 without an error")
	}
}
