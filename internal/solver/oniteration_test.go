package solver

import (
	"fmt"
	"testing"
)

// TestOnIteration: the hook sees every iteration once, after its update, with
// whether its display lines were logged, whatever the display interval and resume
// point.
func TestOnIteration(t *testing.T) {
	for _, tt := range []struct {
		settings string
		want     string
	}{
		{`display: 3 max_iter: 7`, "0d 1 2 3d 4 5 6d"},
		{`display: 0 max_iter: 3`, "0 1 2"},
		{`display: 1 max_iter: 2`, "0d 1d"},
	} {
		quiet(t)
		var got []string
		s := newSolver(t, toyNet+tt.settings+` snapshot_after_train: false`, Options{
			OnIteration: func(iter int, displayed bool) {
				if s := fmt.Sprint(iter); displayed {
					got = append(got, s+"d")
				} else {
					got = append(got, s)
				}
			},
		})
		if err := s.Solve(); err != nil {
			t.Fatal(err)
		}
		if g := fmt.Sprint(got); g != "["+tt.want+"]" {
			t.Errorf("%s: calls %s, want [%s]", tt.settings, g, tt.want)
		}
	}
}
