package main

import (
	"io"
	"os"
	"testing"
)

// asGocaffe, set to 1 in the environment, makes the test binary run as gocaffe
// itself: how the fault tests start gocaffe as a process of its own, to kill it.
const asGocaffe = "GOCAFFE_TEST_RUN_AS_GOCAFFE"

func TestMain(m *testing.M) {
	if os.Getenv(asGocaffe) == "1" {
		os.Exit(run(newRootCmd(), os.Args[1:]))
	}
	os.Exit(m.Run())
}

// execute runs gocaffe with args, as main would get them, on a command tree of its
// own, and returns the command's error.
func execute(args ...string) error { return executeTo(nil, args...) }

// executeTo is execute with the command's standard output going to out (os.Stdout
// when nil).
func executeTo(out io.Writer, args ...string) error {
	root := newRootCmd()
	if out != nil {
		root.SetOut(out)
	}
	root.SetArgs(normalizeArgs(args))
	return root.Execute()
}
