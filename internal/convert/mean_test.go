package convert

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/internal/testutil/testdb"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// logMessages returns the messages of glog lines, without their prefixes (with or
// without the year that the glog of the Caffe fixtures prints).
func logMessages(log string) []string {
	re := regexp.MustCompile(`(?m)^[IWE]\d{4}(?:\d{4})? [\d:.]+ +\d+ [^ ]+\] (.*)$`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(log, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestMeanCIFAR computes the mean of the synthetic CIFAR-10 training LMDB and expects
// Caffe's mean.binaryproto (1e-5; in fact the same bytes) and compute_image_mean's log.
func TestMeanCIFAR(t *testing.T) {
	log := testutil.CaptureLog(t)
	src := testutil.CopyDir(t, "fixtures/nets/cifar10_synth/cifar10_train_lmdb")
	out := filepath.Join(t.TempDir(), "mean.binaryproto")
	if err := Mean(src, db.LMDB, out); err != nil {
		t.Fatal(err)
	}
	got, err := protofile.ReadBlobProto(out)
	if err != nil {
		t.Fatal(err)
	}
	fixture := testutil.Path("fixtures/nets/cifar10_synth/mean.binaryproto")
	want, err := protofile.ReadBlobProto(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if got.GetNum() != 1 || got.GetChannels() != 3 || got.GetHeight() != 32 || got.GetWidth() != 32 {
		t.Errorf("shape %d×%d×%d×%d", got.GetNum(), got.GetChannels(), got.GetHeight(), got.GetWidth())
	}
	if err := testutil.CompareSlices(got.Data, want.Data, 1e-5, 0); err != nil {
		t.Error(err)
	}
	if a, b := testutil.ReadFile(t, out), testutil.ReadFile(t, fixture); !bytes.Equal(a, b) {
		t.Errorf("mean.binaryproto differs from Caffe's in its bytes (%d vs %d)", len(a), len(b))
	}
	// compute_image_mean.log, from "Starting iteration" on, with our paths.
	var wantLog []string
	for _, m := range logMessages(string(testutil.ReadFile(t, testutil.Path("fixtures/nets/cifar10_synth/compute_image_mean.log")))) {
		if strings.HasPrefix(m, "Opened") {
			continue
		}
		wantLog = append(wantLog, strings.Replace(m, "mean.binaryproto", out, 1))
	}
	gotLog := logMessages(log.String())[1:] // after "Opened lmdb ..."
	if strings.Join(gotLog, "\n") != strings.Join(wantLog, "\n") {
		t.Errorf("log:\n%s\nCaffe's:\n%s", strings.Join(gotLog, "\n"), strings.Join(wantLog, "\n"))
	}
}

// TestMeanByHand: raw, float and encoded records, LMDB and LevelDB, against means
// worked out by hand.
func TestMeanByHand(t *testing.T) {
	log := testutil.CaptureLog(t)
	dir := t.TempDir()
	shape := func(d *caffepb.Datum) *caffepb.Datum {
		d.Channels, d.Height, d.Width = proto.Int32(2), proto.Int32(1), proto.Int32(2)
		return d
	}
	png, err := datum.Encode(&datum.Img{Height: 1, Width: 2, Channels: 2 + 1, Pix: []byte{1, 2, 3, 4, 5, 6}}, "png")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []db.Backend{db.LMDB, db.LevelDB} {
		// Values (c, x): record 1 = 1 2 3 4, record 2 = 0.5 0 0 8, record 3 = 10 10 10 10.
		src := testdb.Write(t, filepath.Join(dir, "db_"+b.String()), b,
			shape(&caffepb.Datum{Data: []byte{1, 2, 3, 4}}),
			shape(&caffepb.Datum{FloatData: []float32{0.5, 0, 0, 8}}),
			shape(&caffepb.Datum{Data: []byte{10, 10, 10, 10}}))
		out := filepath.Join(dir, "mean_"+b.String())
		log.Reset()
		if err := Mean(src, b, out); err != nil {
			t.Fatal(err)
		}
		m, err := protofile.ReadBlobProto(out)
		if err != nil {
			t.Fatal(err)
		}
		want := []float32{11.5 / 3, 12.0 / 3, 13.0 / 3, 22.0 / 3}
		if err := testutil.CompareSlices(m.Data, want, 1e-6, 0); err != nil {
			t.Errorf("%s: %v", b, err)
		}
		for _, line := range []string{"mean_value channel [0]: 3.91667", "mean_value channel [1]: 5.83333", "Processed 3 files."} {
			if !strings.Contains(log.String(), line) {
				t.Errorf("%s: the log lacks %q:\n%s", b, line, log)
			}
		}
	}

	// Encoded records are decoded (here a 1×2 BGR PNG: 3 channels).
	src := testdb.Write(t, filepath.Join(dir, "encoded"), db.LMDB,
		&caffepb.Datum{Data: png, Encoded: proto.Bool(true)}, &caffepb.Datum{Data: png, Encoded: proto.Bool(true)})
	out := filepath.Join(dir, "mean_encoded")
	if err := Mean(src, db.LMDB, out); err != nil {
		t.Fatal(err)
	}
	m, _ := protofile.ReadBlobProto(out)
	if err := testutil.CompareSlices(m.Data, []float32{1, 4, 2, 5, 3, 6}, 0, 0); err != nil || m.GetChannels() != 3 {
		t.Errorf("encoded: %v, %d channels", err, m.GetChannels())
	}
	// Without OUT nothing is written, the channel means are still logged.
	log.Reset()
	if err := Mean(src, db.LMDB, ""); err != nil || !strings.Contains(log.String(), "mean_value channel [2]: 4.5") {
		t.Errorf("mean without OUT: %v\n%s", err, log)
	}
}

func TestMeanErrors(t *testing.T) {
	testutil.CaptureLog(t)
	dir := t.TempDir()
	one := &caffepb.Datum{Channels: proto.Int32(1), Height: proto.Int32(1), Width: proto.Int32(2), Data: []byte{1, 2}}
	two := &caffepb.Datum{Channels: proto.Int32(1), Height: proto.Int32(1), Width: proto.Int32(3), Data: []byte{1, 2, 3}}
	mixed := testdb.Write(t, filepath.Join(dir, "mixed"), db.LMDB, one, two)
	empty := testdb.Write(t, filepath.Join(dir, "empty"), db.LMDB)
	for _, tc := range []struct {
		src     string
		backend db.Backend
		out     string
		err     string
	}{
		{mixed, db.LMDB, "m1", `key "00000001": incorrect data field size 3`},
		{empty, db.LMDB, "m2", "is empty"},
		{mixed, db.LevelDB, "m3", "LMDB"},
	} {
		err := Mean(tc.src, tc.backend, filepath.Join(dir, tc.out))
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s as %s: error %v, want one containing %q", tc.src, tc.backend, err, tc.err)
		}
	}
	for _, name := range []string{"m1", "m2", "m3"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s was written despite the error", name)
		}
	}
}
