package mpi

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// watched starts a watch on size ranks of one process and returns them with the
// channels their onDown reports arrive on.
func watched(t *testing.T, size int, timeout time.Duration) ([]*Watch, []chan error) {
	t.Helper()
	ts := Local(size)
	ws := make([]*Watch, size)
	downs := make([]chan error, size)
	errs := make([]error, size)
	var wg sync.WaitGroup
	for r := range ts {
		downs[r] = make(chan error, 4)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws[r], errs[r] = StartWatch(NewGroup(ts[r]), timeout, func(err error) { downs[r] <- err }, func(s string) { t.Error(s) })
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	return ws, downs
}

// TestWatch: every rank learns which rank is gone and why — killed (its connection
// closes without a goodbye), failed with an error, or silent past the timeout — and
// a run that ends well reports nothing.
func TestWatch(t *testing.T) {
	const size = 3
	tests := []struct {
		name     string
		act      func(ws []*Watch)
		gone     int    // the rank reported, -1 for none
		reason   string // in the report
		timeout  time.Duration
		reported []int // the ranks that must report it
	}{
		{"rank 2 killed", func(ws []*Watch) { ws[2].conns[0].c.Close() }, 2, "died", time.Minute, []int{0, 1}},
		{"rank 0 killed", func(ws []*Watch) {
			// A killed process runs no more code: rank 0's readers must not see their
			// connections close one by one and report the ranks at the other ends
			// before the last one closes, as a live rank 0 rightly would.
			ws[0].mu.Lock()
			ws[0].finished = true
			ws[0].mu.Unlock()
			for _, c := range ws[0].conns {
				c.c.Close()
			}
		}, 0, "died", time.Minute, []int{1, 2}},
		{"rank 1 failed", func(ws []*Watch) { ws[1].Failed(errors.New("database d, key \"7\": not a Datum")) }, 1, `failed: database d, key "7": not a Datum`, time.Minute, []int{0, 2}},
		{"rank 0 failed", func(ws []*Watch) { ws[0].Failed(errors.New("snapshot: disk full")) }, 0, "failed: snapshot: disk full", time.Minute, []int{1, 2}},
		{"rank 2 silent", func(ws []*Watch) { ws[2].stopBeats() }, 2, "has sent nothing for 1s", time.Second, []int{0, 1}},
		{"all finish", func(ws []*Watch) {
			for _, w := range ws {
				w.Finish()
			}
		}, -1, "", time.Minute, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ws, downs := watched(t, size, tc.timeout)
			tc.act(ws)
			for _, r := range tc.reported {
				select {
				case err := <-downs[r]:
					var de *DownError
					if !errors.As(err, &de) || de.Rank != tc.gone || !strings.Contains(de.Reason, tc.reason) {
						t.Errorf("rank %d reported %v, want rank %d ... %s", r, err, tc.gone, tc.reason)
					}
					if !errors.Is(ws[r].g.Failure(), err) {
						t.Errorf("rank %d: the group's failure is %v", r, ws[r].g.Failure())
					}
				case <-time.After(time.Minute):
					t.Fatalf("rank %d never reported rank %d", r, tc.gone)
				}
			}
			if tc.gone < 0 {
				time.Sleep(100 * time.Millisecond)
				for r := range downs {
					select {
					case err := <-downs[r]:
						t.Errorf("rank %d reported %v after a good end", r, err)
					default:
					}
				}
			}
			for _, w := range ws {
				w.Finish()
			}
		})
	}
}
