package mpi

import (
	"fmt"
	"time"
)

// Local returns the transports of size ranks that live as goroutines of one
// process, connected by channels: for tests of the collectives and of data-parallel
// training without mpirun.
func Local(size int) []Transport {
	boxes := make([][]chan []byte, size) // boxes[from][to]
	for i := range boxes {
		boxes[i] = make([]chan []byte, size)
		for j := range boxes[i] {
			boxes[i][j] = make(chan []byte, 64)
		}
	}
	out := make([]Transport, size)
	for r := range out {
		out[r] = &local{rank: r, boxes: boxes}
	}
	return out
}

type local struct {
	rank  int
	boxes [][]chan []byte
}

func (l *local) Rank() int { return l.rank }
func (l *local) Size() int { return len(l.boxes) }

func (l *local) Exchange(to int, send []byte, from int, recv []byte, stop func() error) error {
	if to >= 0 {
		l.boxes[l.rank][to] <- append([]byte(nil), send...)
	}
	if from < 0 {
		return nil
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case m := <-l.boxes[from][l.rank]:
			if len(m) != len(recv) {
				return fmt.Errorf("message truncated: %d bytes came, %d expected", len(m), len(recv))
			}
			copy(recv, m)
			return nil
		case <-tick.C:
			if err := stop(); err != nil {
				return err
			}
		}
	}
}
