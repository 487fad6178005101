package testutil

import (
	"bytes"
	"os"
	"testing"

	"github.com/gocaffe/gocaffe/internal/glog"
)

// CaptureLog sends glog's lines to a buffer for the rest of the test: the tests of
// commands and tools compare the lines Caffe's tools log.
func CaptureLog(t testing.TB) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	prev := glog.SetOutput(&buf)
	t.Cleanup(func() { glog.SetOutput(prev) })
	return &buf
}

// ReadFile returns the contents of a file, failing the test when it cannot be read.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
