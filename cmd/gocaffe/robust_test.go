package main

// Tests of what gocaffe does with hostile files, huge shapes, divergence, signals and temporary
// files. Each defect of the issue has a test here (or in the package it was fixed
// in) that failed before its fix.

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/internal/testutil/testdb"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// mnistFixtures returns the small MNIST idx files of the LeNet fixtures.
func mnistFixtures() (images, labels string) {
	fix := testutil.Path("fixtures/nets/lenet_mnist")
	return filepath.Join(fix, "t10k-images-1000-idx3-ubyte.gz"), filepath.Join(fix, "t10k-labels-1000-idx1-ubyte.gz")
}

// TestConvertStagesBesideOutput (defect 1): with OUT a bare name, as in the help's
// example, the database is staged in the working folder — not in $TMPDIR, which may
// be another file system (a rename across them fails) or, here, missing — and the
// stale staging folders of a killed earlier conversion are removed, those of a live
// one kept.
func TestConvertStagesBesideOutput(t *testing.T) {
	testutil.CaptureLog(t)
	images, labels := mnistFixtures()
	for _, backend := range []string{"lmdb", "leveldb"} {
		t.Run(backend, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			t.Setenv("TMPDIR", filepath.Join(dir, "no-such-tmp"))
			// A folder a conversion killed with SIGKILL left (no process holds it).
			stale := ".mnist_db.tmp-2147483646-123"
			if err := os.MkdirAll(filepath.Join(stale, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(stale, "data.mdb"), []byte("half"), 0o644)
			if _, err := gocaffe(t, "convert", "mnist", "--backend="+backend, images, labels, "mnist_db"); err != nil {
				t.Fatal(err)
			}
			b, _ := db.ParseBackend(backend)
			if n := len(testdb.Read(t, "mnist_db", b)); n != 1000 {
				t.Errorf("%d records, want 1000", n)
			}
			if names := testdb.Entries(t, "."); len(names) != 1 || names[0] != "mnist_db" {
				t.Errorf("the folder holds %v, want only mnist_db", names)
			}
		})
	}
}

// TestStagingOnlyBesideTargets (defect 1): every writer stages beside its output,
// so each works with $TMPDIR missing and leaves nothing but its output.
func TestStagingOnlyBesideTargets(t *testing.T) {
	testutil.CaptureLog(t)
	lenet := testutil.Path("fixtures/nets/lenet_mnist/lenet_train_test.prototxt")
	for _, tc := range []struct {
		name string
		args []string
		out  string
	}{
		{"upgrade", []string{"upgrade", testutil.Path("fixtures/upgrade/lenet_train.prototxt"), "up.prototxt"}, "up.prototxt"},
		{"draw", []string{"draw", "--model=" + lenet, "net.dot"}, "net.dot"},
		{"mean", []string{"mean", testutil.Path("fixtures/nets/lenet_mnist/mnist_test_lmdb"), "mean.binaryproto"}, "mean.binaryproto"},
		{"plot", []string{"plot", testutil.Path("fixtures/nets/lenet_mnist/train.log"), "--out=p.png"}, "p.png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			t.Setenv("TMPDIR", filepath.Join(dir, "no-such-tmp"))
			// An orphan of a killed earlier run.
			orphan := "." + tc.out + ".tmp2147483646-" + strconv.Itoa(7)
			os.WriteFile(orphan, []byte("half"), 0o644)
			if _, err := gocaffe(t, tc.args...); err != nil {
				t.Fatal(err)
			}
			if names := testdb.Entries(t, "."); len(names) != 1 || names[0] != tc.out {
				t.Errorf("the folder holds %v, want only %s", names, tc.out)
			}
		})
	}
}

// errContains fails unless err is an error whose message holds every part.
func errContains(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one saying %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not say %q", err, p)
		}
	}
}

// TestConvertCorruptGzip (defect 2): one flipped byte in the middle of an MNIST
// .gz gave exit 0, a "bytes after the records" warning and hundreds of wrong
// records. Now the conversion fails naming the file, and no database appears.
func TestConvertCorruptGzip(t *testing.T) {
	testutil.CaptureLog(t)
	images, labels := mnistFixtures()
	dir := t.TempDir()
	good, err := os.ReadFile(images)
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []int{len(good) / 2, len(good) / 3, len(good) - 5} {
		bad := bytes.Clone(good)
		bad[at] ^= 0x01
		p := filepath.Join(dir, "images.gz")
		os.WriteFile(p, bad, 0o644)
		out := filepath.Join(dir, "db")
		_, err := gocaffe(t, "convert", "mnist", p, labels, out)
		errContains(t, err, p, "corrupt")
		if _, err := os.Stat(out); err == nil {
			t.Errorf("byte %d flipped: a database was written", at)
		}
		if names := testdb.Entries(t, dir); len(names) != 1 {
			t.Errorf("byte %d flipped: left behind %v", at, names)
		}
	}
}

// craftedDatum is defect 5's record: a shape whose product wraps around, in 64
// bits, to the 784 bytes of data it holds.
func craftedDatum() *caffepb.Datum {
	return &caffepb.Datum{
		Channels: proto.Int32(26983373), Height: proto.Int32(3498256), Width: proto.Int32(1954213),
		Data: make([]byte, 784), Label: proto.Int32(1),
	}
}

func goodDatum(label int32) *caffepb.Datum {
	return &caffepb.Datum{Channels: proto.Int32(1), Height: proto.Int32(28), Width: proto.Int32(28),
		Data: make([]byte, 784), Label: proto.Int32(label)}
}

// tinyDataNet is a net reading source: Data, InnerProduct, SoftmaxWithLoss.
func tinyDataNet(source string) string {
	return `name: "tiny"
layer { name: "data" type: "Data" top: "data" top: "label"
  data_param { source: "` + source + `" backend: LMDB batch_size: 1 } }
layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
  inner_product_param { num_output: 2 weight_filler { type: "xavier" } } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" top: "loss" }
`
}

// TestCraftedDatum (defect 5): a Datum whose shape product wraps around to its data's
// length passed the size check and crashed train, test and mean with "index out of
// range [784]" in the prefetch goroutine. Now each says which database and key.
func TestCraftedDatum(t *testing.T) {
	testutil.CaptureLog(t)
	dir := t.TempDir()
	t.Chdir(dir)
	first := testdb.Write(t, "first_lmdb", db.LMDB, craftedDatum(), goodDatum(0))
	second := testdb.Write(t, "second_lmdb", db.LMDB, goodDatum(0), craftedDatum(), goodDatum(1))
	if err := protofile.WriteBinary("empty.caffemodel", &caffepb.NetParameter{Name: proto.String("no weights")}); err != nil {
		t.Fatal(err)
	}
	for _, source := range []string{first, second} {
		key := "00000000"
		if source == second {
			key = "00000001"
		}
		os.WriteFile(source+".prototxt", []byte(tinyDataNet(source)), 0o644)
		os.WriteFile(source+"_solver.prototxt", []byte(`net: "`+source+`.prototxt"
base_lr: 0.01 lr_policy: "fixed" max_iter: 4 display: 1 snapshot_after_train: false`), 0o644)
		for _, args := range [][]string{
			{"train", "--solver=" + source + "_solver.prototxt"},
			{"test", "--model=" + source + ".prototxt", "--weights=empty.caffemodel", "--iterations=3"},
			{"mean", source, "mean.binaryproto"},
		} {
			t.Run(source+"/"+args[0], func(t *testing.T) {
				_, err := gocaffe(t, args...)
				errContains(t, err, source, key, "26983373")
			})
		}
	}
	if _, err := os.Stat("mean.binaryproto"); err == nil {
		t.Error("a mean was written")
	}
}

// inputNet is a net of one Input layer of the given dims feeding body.
func inputNet(dims, body string) string {
	return `name: "huge"
layer { name: "in" type: "Input" top: "x" input_param { shape { ` + dims + ` } } }
` + body
}

// TestHugeShapes (defect 4): shapes whose sizes no blob can hold, or whose product
// wraps around, ended in "fatal error: runtime: out of memory" (no Go program can
// catch that); now each is an error naming the layer, from every command that
// builds the net, and summary too.
func TestHugeShapes(t *testing.T) {
	testutil.CaptureLog(t)
	dir := t.TempDir()
	t.Chdir(dir)
	ip := func(n string) string {
		return `layer { name: "fc" type: "InnerProduct" bottom: "x" top: "y" inner_product_param { num_output: ` + n + ` } }`
	}
	for _, tc := range []struct {
		name, net string
		says      []string
	}{
		{"inner product", inputNet("dim: 1 dim: 784", ip("2000000000")), []string{`layer "fc" (InnerProduct)`, "1568000000000 values"}},
		{"embed", inputNet("dim: 4", `layer { name: "emb" type: "Embed" bottom: "x" top: "y" embed_param { input_dim: 4000000000 num_output: 4000000000 } }`),
			[]string{`layer "emb" (Embed)`, "more than a blob can hold"}},
		{"convolution", inputNet("dim: 1 dim: 3 dim: 8 dim: 8", `layer { name: "conv" type: "Convolution" bottom: "x" top: "y" convolution_param { num_output: 4294967295 kernel_size: 3 } }`),
			[]string{`layer "conv" (Convolution)`, "more than a blob can hold"}},
		{"input wraps to 0", inputNet("dim: 4294967296 dim: 4294967296 dim: 16", ""), []string{`layer "in" (Input)`, "4294967296"}},
		{"dummy data wraps to 0", `layer { name: "dummy" type: "DummyData" top: "x" dummy_data_param { shape { dim: 4294967296 dim: 4294967296 dim: 16 } } }`,
			[]string{`layer "dummy" (DummyData)`, "4294967296"}},
	} {
		os.WriteFile(tc.name+".prototxt", []byte(tc.net), 0o644)
		os.WriteFile(tc.name+"_solver.prototxt", []byte(`net: "`+tc.name+`.prototxt" base_lr: 0.01 lr_policy: "fixed" max_iter: 1 snapshot_after_train: false`), 0o644)
		for _, args := range [][]string{
			{"train", "--solver=" + tc.name + "_solver.prototxt"},
			{"test", "--model=" + tc.name + ".prototxt", "--weights=none.caffemodel", "--iterations=1"},
			{"time", "--model=" + tc.name + ".prototxt", "--iterations=1"},
			{"summary", "--model=" + tc.name + ".prototxt"},
		} {
			t.Run(tc.name+"/"+args[0], func(t *testing.T) {
				_, err := gocaffe(t, args...)
				errContains(t, err, tc.says...)
			})
		}
	}
}

// TestMemoryLimit (defect 4): a net that needs more memory than gocaffe may use
// (here --max_memory) is refused before the allocation that would pass the limit,
// naming the largest layers; summary, which only computes shapes, describes it
// without the memory.
func TestMemoryLimit(t *testing.T) {
	testutil.CaptureLog(t)
	dir := t.TempDir()
	t.Chdir(dir)
	// 200 MB of input (values and gradients), then inner products of 800 MB and 8 GB.
	net := inputNet("dim: 100 dim: 250000", `
layer { name: "small" type: "InnerProduct" bottom: "x" top: "s" inner_product_param { num_output: 400 } }
layer { name: "big" type: "InnerProduct" bottom: "x" top: "b" inner_product_param { num_output: 4000 } }`)
	os.WriteFile("net.prototxt", []byte(net), 0o644)
	if testing.Short() {
		t.Log("-short: the full suite also runs gocaffe time on the net, which allocates 1 GB before the limit refuses the rest")
	} else {
		_, err := gocaffe(t, "time", "--model=net.prototxt", "--iterations=1", "--max_memory=2.5GB")
		errContains(t, err, `layer "big" (InnerProduct)`, "may hold at most 2.5 GB (--max_memory)", "largest layers: small (InnerProduct) 763.2 MB, in (Input) 190.7 MB")
	}
	var out string
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	stderr := captureStderr(t, func() {
		var code int
		if code, out = runCapture(t, "summary", "--model=net.prototxt", "--max_memory=1MB"); code != 0 {
			t.Errorf("summary: exit status %d", code)
		}
	})
	runtime.ReadMemStats(&after)
	if !strings.Contains(out, "Total parameters: 1,100,004,400") {
		t.Errorf("summary:\n%s%s", out, stderr)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
		t.Errorf("summary of a net of 9 GB allocated %d bytes", n)
	}
	if _, err := parseBytes("12 furlongs"); err == nil {
		t.Error("a size of 12 furlongs")
	}
	for s, want := range map[string]int64{"1024": 1024, "8GB": 8 << 30, "1.5 MB": 3 << 19, "2GiB": 2 << 30} {
		if got, err := parseBytes(s); err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
}

// TestSilentMistakes (defect 8): mistakes that were accepted without a word now get
// an error (or, for a name used twice where no weights are copied, a warning).
func TestSilentMistakes(t *testing.T) {
	testutil.CaptureLog(t)
	dir := t.TempDir()
	t.Chdir(dir)
	lenet := testutil.Path("fixtures/nets/lenet_mnist")
	// A net whose two inner products share a name, and its weights.
	twice := inputNet("dim: 2 dim: 3", `
layer { name: "fc" type: "InnerProduct" bottom: "x" top: "a" inner_product_param { num_output: 4 } }
layer { name: "fc" type: "InnerProduct" bottom: "a" top: "b" inner_product_param { num_output: 2 } }`)
	os.WriteFile("twice.prototxt", []byte(twice), 0o644)
	os.WriteFile("twice_solver.prototxt", []byte(`net: "twice.prototxt" base_lr: 0.01 lr_policy: "fixed" max_iter: 1 snapshot_after_train: false`), 0o644)
	if err := protofile.WriteBinary("fc.caffemodel", &caffepb.NetParameter{Layer: []*caffepb.LayerParameter{{Name: proto.String("fc")}}}); err != nil {
		t.Fatal(err)
	}
	inPlace := func(layer string) string {
		return inputNet("dim: 1 dim: 3 dim: 8 dim: 8", layer)
	}
	for name, net := range map[string]string{
		"conv_in_place": inPlace(`layer { name: "conv" type: "Convolution" bottom: "x" top: "x" convolution_param { num_output: 2 kernel_size: 3 } }`),
		"pool_in_place": inPlace(`layer { name: "pool" type: "Pooling" bottom: "x" top: "x" pooling_param { pool: MAX kernel_size: 2 stride: 2 } }`),
		"relu_in_place": inPlace(`layer { name: "relu" type: "ReLU" bottom: "x" top: "x" }`),
		"empty":         `name: "nothing"`,
		"test_only":     `name: "t" layer { name: "in" type: "Input" top: "x" input_param { shape { dim: 1 } } include { phase: TEST } }`,
	} {
		os.WriteFile(name+".prototxt", []byte(net), 0o644)
		os.WriteFile(name+"_solver.prototxt", []byte(`net: "`+name+`.prototxt" base_lr: 0.01 lr_policy: "fixed" max_iter: 1 snapshot_after_train: false`), 0o644)
	}
	os.WriteFile("empty.txt", []byte("\n\n"), 0o644)
	solverstate := filepath.Join(lenet, "lenet_iter_100.solverstate")
	caffemodel := filepath.Join(lenet, "lenet_iter_100.caffemodel")
	lenetSolver := "relu_in_place_solver.prototxt"
	for _, tc := range []struct {
		name string
		args []string
		says []string // the error, or with ok, the log
		ok   bool
	}{
		{"name used twice", []string{"train", "--solver=twice_solver.prototxt"}, []string{`Layers 1 and 2 are both named "fc"`}, true},
		{"name used twice, weights by name", []string{"train", "--solver=twice_solver.prototxt", "--weights=fc.caffemodel"},
			[]string{`2 layers named "fc" with parameters`, "rename"}, false},
		{"convolution in place", []string{"train", "--solver=conv_in_place_solver.prototxt"},
			[]string{`layer "conv" (Convolution)`, `in place on blob "x"`, "1 3 8 8", "1 2 6 6"}, false},
		{"pooling in place", []string{"train", "--solver=pool_in_place_solver.prototxt"},
			[]string{`layer "pool" (Pooling)`, `in place on blob "x"`}, false},
		{"relu in place is fine", []string{"train", "--solver=relu_in_place_solver.prototxt"}, []string{"Optimization Done."}, true},
		{"no layers", []string{"train", "--solver=empty_solver.prototxt"}, []string{`"nothing"`, "no layers"}, false},
		{"no layers in TRAIN", []string{"train", "--solver=test_only_solver.prototxt"}, []string{"no layers", "TRAIN"}, false},
		{"solverstate as weights", []string{"train", "--solver=" + lenetSolver, "--weights=" + solverstate},
			[]string{solverstate, "is a .solverstate", "--snapshot"}, false},
		{"solverstate as test weights", []string{"test", "--model=relu_in_place.prototxt", "--weights=" + solverstate},
			[]string{solverstate, "is a .solverstate"}, false},
		{"caffemodel as snapshot", []string{"train", "--solver=" + lenetSolver, "--snapshot=" + caffemodel},
			[]string{caffemodel, "is a .caffemodel", "--weights"}, false},
		{"empty weights entry", []string{"train", "--solver=twice_solver.prototxt", "--weights=fc.caffemodel,"}, []string{"empty entry"}, false},
		{"empty test weights entry", []string{"test", "--model=twice.prototxt", "--weights=,fc.caffemodel"}, []string{"empty entry"}, false},
		{"missing cifar folder", []string{"convert", "cifar10", "no_such_folder", "out"}, []string{"no_such_folder", "does not exist"}, false},
		{"empty image list", []string{"convert", "imageset", "./", "empty.txt", "images_lmdb"}, []string{"empty.txt", "lists no images"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			log, err := gocaffe(t, tc.args...)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range tc.says {
					if !strings.Contains(log, s) {
						t.Errorf("the log does not say %q", s)
					}
				}
				return
			}
			errContains(t, err, tc.says...)
		})
	}
	if _, err := os.Stat("images_lmdb"); err == nil {
		t.Error("an empty image list made a database")
	}
}

// divergingSolver trains a linear regression with base_lr 1e6: the loss overflows
// to +Inf at iteration 4 and is NaN from iteration 5.
const divergingSolver = `net_param {
  name: "tiny"
  layer { name: "data" type: "DummyData" top: "x" top: "y"
    dummy_data_param { shape { dim: 4 dim: 3 } shape { dim: 4 dim: 1 } data_filler { type: "gaussian" } data_filler { type: "gaussian" } } }
  layer { name: "ip" type: "InnerProduct" bottom: "x" top: "ip" inner_product_param { num_output: 1 weight_filler { type: "gaussian" } } }
  layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "y" top: "loss" }
}
base_lr: 1000000 lr_policy: "fixed" display: 1 max_iter: 12 snapshot: 1 snapshot_prefix: "tiny" random_seed: 1
`

// TestDivergenceStops (defect 3): a run whose loss went NaN trained on to max_iter
// and exited 0, writing snapshots of NaN weights. Now it stops at the first
// non-finite loss with an error naming the iteration and the first layer and blob
// that went non-finite, and writes no snapshot, so the last good one stays the latest;
// --on_nan=continue trains on as Caffe does.
func TestDivergenceStops(t *testing.T) {
	testutil.CaptureLog(t)
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("solver.prototxt", []byte(divergingSolver), 0o644)
	_, err := gocaffe(t, "train", "--solver=solver.prototxt")
	errContains(t, err, "iteration 4: the loss is inf", `layer "loss" (EuclideanLoss), top "loss"`, "--on_nan=continue")
	var last string
	for i := 1; i <= 12; i++ {
		p := fmt.Sprintf("tiny_iter_%d.caffemodel", i)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		last = p
		w, err := protofile.ReadNetBinary(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range w.Layer {
			for _, b := range l.Blobs {
				for _, v := range b.Data {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("%s holds %v", p, v)
					}
				}
			}
		}
	}
	if last != "tiny_iter_4.caffemodel" {
		t.Errorf("the last snapshot is %s, want tiny_iter_4.caffemodel (the last before the loss overflowed)", last)
	}

	if _, err := gocaffe(t, "train", "--solver=solver.prototxt", "--on_nan=continue"); err != nil {
		t.Fatalf("--on_nan=continue: %v", err)
	}
	if _, err := os.Stat("tiny_iter_12.caffemodel"); err != nil {
		t.Errorf("--on_nan=continue did not train to max_iter: %v", err)
	}
	_, err = gocaffe(t, "train", "--solver=solver.prototxt", "--on_nan=maybe")
	errContains(t, err, "--on_nan")
}
