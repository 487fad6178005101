package main

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/internal/testutil/testdb"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The conversions themselves are tested in internal/convert; these tests check the
// commands' flags and arguments reach them.

// cifar100Record is a generated record: coarse label, fine label, 3072 pixels.
func cifar100Record(i int) []byte {
	r := []byte{byte(i % 20), byte((7 * i) % 100)}
	for j := 0; j < datum.CIFARImageBytes; j++ {
		r = append(r, byte(j*i+j/1024))
	}
	return r
}

// writeCIFAR100 writes generated CIFAR-100 files of the given sizes into a new
// folder and returns it.
func writeCIFAR100(t *testing.T, sizes map[string]int) string {
	t.Helper()
	in := t.TempDir()
	for split, n := range sizes {
		var b []byte
		for i := 0; i < n; i++ {
			b = append(b, cifar100Record(i)...)
		}
		if err := os.WriteFile(filepath.Join(in, split+".bin"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

// TestConvertCommands runs each convert command with its flags, in Caffe's
// single-dash spelling or cobra's, and checks the database they asked for.
func TestConvertCommands(t *testing.T) {
	testutil.CaptureLog(t)
	fix := testutil.Path("fixtures/nets/lenet_mnist")
	images, labels := filepath.Join(fix, "t10k-images-1000-idx3-ubyte.gz"), filepath.Join(fix, "t10k-labels-1000-idx1-ubyte.gz")
	cifar := writeCIFAR100(t, map[string]int{"train": 3, "test": 2})
	root := t.TempDir() + "/"
	writePNG(t, root+"a.png", image.NewRGBA(image.Rect(0, 0, 5, 4)))
	list := filepath.Join(t.TempDir(), "list.txt")
	os.WriteFile(list, []byte("a.png 7\n"), 0o644)
	out := t.TempDir()
	for _, tc := range []struct {
		name  string
		args  []string
		db    string
		b     db.Backend
		check func(d *caffepb.Datum) bool
	}{
		{"mnist", []string{"convert", "mnist", images, labels, filepath.Join(out, "mnist")}, "mnist", db.LMDB,
			func(d *caffepb.Datum) bool { return d.GetHeight() == 28 }},
		{"mnist -backend=leveldb", []string{"convert", "mnist", "-backend=leveldb", images, labels, filepath.Join(out, "mnist_leveldb")}, "mnist_leveldb", db.LevelDB,
			func(d *caffepb.Datum) bool { return d.GetHeight() == 28 }},
		{"mnist --overwrite", []string{"convert", "mnist", "--overwrite", images, labels, filepath.Join(out, "mnist")}, "mnist", db.LMDB,
			func(d *caffepb.Datum) bool { return d.GetHeight() == 28 }},
		{"cifar100", []string{"convert", "cifar100", cifar, filepath.Join(out, "fine")}, "fine/cifar100_train_lmdb", db.LMDB,
			func(d *caffepb.Datum) bool { return d.GetLabel() == int32(cifar100Record(0)[1]) }},
		{"cifar100 --label=coarse", []string{"convert", "cifar100", "--label=coarse", cifar, filepath.Join(out, "coarse")}, "coarse/cifar100_test_lmdb", db.LMDB,
			func(d *caffepb.Datum) bool { return d.GetLabel() == int32(cifar100Record(0)[0]) }},
		{"imageset", []string{"convert", "imageset", "-gray", "--resize_height=3", "-resize_width=2", "--shuffle", "--seed=3", root, list, filepath.Join(out, "images")}, "images", db.LMDB,
			func(d *caffepb.Datum) bool {
				return d.GetChannels() == 1 && d.GetHeight() == 3 && d.GetWidth() == 2 && d.GetLabel() == 7
			}},
		{"imageset --encoded", []string{"convert", "imageset", "--encoded", "--backend=leveldb", root, list, filepath.Join(out, "encoded")}, "encoded", db.LevelDB,
			func(d *caffepb.Datum) bool { return d.GetEncoded() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := execute(tc.args...); err != nil {
				t.Fatal(err)
			}
			if d := testdb.Datums(t, testdb.Read(t, filepath.Join(out, tc.db), tc.b))[0]; !tc.check(d) {
				t.Errorf("first record: %v", d)
			}
		})
	}
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"convert"}, "name what to convert"},
		{[]string{"convert", "mnist", "--backend=hdf5", images, labels, filepath.Join(out, "db")}, "--backend: unknown database backend"},
		{[]string{"convert", "mnist", images, labels, filepath.Join(out, "mnist")}, "--overwrite"},
		{[]string{"convert", "cifar100", "--label=medium", cifar, filepath.Join(out, "db")}, "want fine or coarse"},
		{[]string{"convert", "cifar10", cifar}, "accepts 2 arg(s), received 1"},
		{[]string{"mean", "--backend=xyz", filepath.Join(out, "mnist")}, "--backend: unknown database backend"},
	} {
		if err := execute(tc.args...); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "db")); err == nil {
		t.Error("a failed conversion left its output behind")
	}
}

// TestCIFAR100Models converts a small generated CIFAR-100 set where
// scripts/get_cifar.sh puts the real one, computes its mean, and builds and runs the
// TRAIN and TEST nets of both models/cifar100 solvers on it: 100 outputs, a loss near
// log(100) for the untrained nets.
func TestCIFAR100Models(t *testing.T) {
	testutil.CaptureLog(t)
	root := t.TempDir()
	in := writeCIFAR100(t, map[string]int{"train": 200, "test": 100})
	data := filepath.Join(root, "data", "cifar100")
	if err := execute("convert", "cifar100", in, data); err != nil {
		t.Fatal(err)
	}
	if err := execute("mean", filepath.Join(data, "cifar100_train_lmdb"), filepath.Join(data, "mean.binaryproto")); err != nil {
		t.Fatal(err)
	}
	models := filepath.Join(root, "models", "cifar100")
	os.MkdirAll(models, 0o755)
	files, _ := filepath.Glob(filepath.Join(testutil.Root(), "models", "cifar100", "*.prototxt"))
	if len(files) != 4 {
		t.Fatalf("models/cifar100 holds %d prototxt files, want 4", len(files))
	}
	for _, f := range files {
		os.WriteFile(filepath.Join(models, filepath.Base(f)), testutil.ReadFile(t, f), 0o644)
	}
	t.Chdir(root)
	for _, variant := range []string{"quick", "full"} {
		solver, err := protofile.ReadSolverText("models/cifar100/cifar100_" + variant + "_solver.prototxt")
		if err != nil {
			t.Fatal(err)
		}
		for _, phase := range []caffepb.Phase{caffepb.Phase_TRAIN, caffepb.Phase_TEST} {
			param, err := protofile.ReadNetText(solver.GetNet())
			if err != nil {
				t.Fatal(err)
			}
			param.State = &caffepb.NetState{Phase: phase.Enum()}
			n, err := network.New(param, network.Options{Quiet: true})
			if err != nil {
				t.Fatalf("%s %s: %v", variant, phase, err)
			}
			loss, err := n.Forward()
			n.Close()
			if err != nil {
				t.Fatalf("%s %s: %v", variant, phase, err)
			}
			classifier := map[string]string{"quick": "ip2", "full": "ip1"}[variant]
			if shape := n.Blob(classifier).Shape(); fmt.Sprint(shape) != "[100 100]" {
				t.Errorf("%s %s: the classifier's output is %v, want [100 100]", variant, phase, shape)
			}
			if math.Abs(float64(loss)-math.Log(100)) > 0.5 {
				t.Errorf("%s %s: initial loss %g, want about log(100) = 4.6", variant, phase, loss)
			}
		}
	}
}
