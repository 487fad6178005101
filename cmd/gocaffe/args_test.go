package main

import (
	"strings"
	"testing"
)

// TestPositionalHint: files given as arguments get the command line with the flags
// that take them; other arguments are refused as before.
func TestPositionalHint(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"train", "s.prototxt"}, "did you mean: gocaffe train --solver=s.prototxt"},
		{[]string{"train", "s.prototxt", "w.caffemodel"}, "did you mean: gocaffe train --solver=s.prototxt --weights=w.caffemodel"},
		{[]string{"train", "s.prototxt", "x.solverstate"}, "did you mean: gocaffe train --solver=s.prototxt --snapshot=x.solverstate"},
		{[]string{"test", "m.prototxt", "w.caffemodel"}, "did you mean: gocaffe test --model=m.prototxt --weights=w.caffemodel"},
		{[]string{"time", "m.prototxt"}, "did you mean: gocaffe time --model=m.prototxt"},
		{[]string{"summary", "m.prototxt"}, "did you mean: gocaffe summary --model=m.prototxt"},
		{[]string{"gradcheck", "m.prototxt"}, "did you mean: gocaffe gradcheck --model=m.prototxt"},
		{[]string{"time", "m.prototxt", "w.caffemodel"}, "did you mean: gocaffe time --model=m.prototxt --weights=w.caffemodel"},
		{[]string{"summary", "w.caffemodel"}, `summary takes no arguments, got "w.caffemodel"`},
		{[]string{"train", "foo"}, `train takes no arguments, got "foo" (its files are flags: gocaffe train --help)`},
	} {
		stderr := captureStderr(t, func() {
			if code := run(newRootCmd(), tt.args); code == 0 {
				t.Errorf("%v: exit status 0", tt.args)
			}
		})
		if !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: %q, want %q", tt.args, stderr, tt.want)
		}
	}
}
