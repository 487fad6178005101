package main

import (
	"os"
	"testing"
)

// asGocaffe, set to 1 in the environment, makes the test binary run as gocaffe
// itself: how the fault tests start gocaffe as a process of its own, to kill it.
const asGocaffe = "GOCAFFE_TEST_RUN_AS_GOCAFFE"

func TestMain(m *testing.M) {
	if os.Getenv(asGocaffe) == "1" {
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(m.Run())
}
