package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// TestMeanCommand: gocaffe mean reads --backend (in Caffe's spelling too) and its
// arguments, and writes OUT only when given. The mean itself is tested in
// internal/convert.
func TestMeanCommand(t *testing.T) {
	log := testutil.CaptureLog(t)
	src := testutil.CopyDir(t, "fixtures/nets/cifar10_synth/cifar10_train_lmdb")
	out := filepath.Join(t.TempDir(), "mean.binaryproto")
	if err := execute("mean", "-backend=lmdb", src, out); err != nil {
		t.Fatal(err)
	}
	if m, err := protofile.ReadBlobProto(out); err != nil || m.GetChannels() != 3 || m.GetHeight() != 32 {
		t.Errorf("%s: %v", out, err)
	}
	log.Reset()
	if err := execute("mean", src); err != nil || !strings.Contains(log.String(), "mean_value channel [2]: ") || strings.Contains(log.String(), "Write to") {
		t.Errorf("mean without OUT: %v\n%s", err, log)
	}
	if err := execute("mean", "--backend=leveldb", src); err == nil || !strings.Contains(err.Error(), "LMDB") {
		t.Errorf("an LMDB read as a LevelDB: %v", err)
	}
}
