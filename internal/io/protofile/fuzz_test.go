package protofile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Fuzz targets of the readers of a user's proto files: net and solver
// prototxt, and the binary .caffemodel, .solverstate and .binaryproto. Each must
// answer any bytes with a value or an error — no panic, no hang, no allocation the
// bytes do not pay for. `go test` runs their seed corpora (from testdata/); `make
// fuzz` fuzzes each for a few seconds.

// prototxtSeeds returns every prototxt under testdata whose name matches keep.
func prototxtSeeds(f *testing.F, keep func(name string) bool) [][]byte {
	var seeds [][]byte
	filepath.WalkDir(testutil.Path(""), func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".prototxt") || !keep(filepath.Base(path)) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err == nil && len(data) < 16<<10 { // larger seeds make every minimisation slow
			seeds = append(seeds, data)
		}
		return nil
	})
	if len(seeds) == 0 {
		f.Fatal("no prototxt seeds under testdata")
	}
	return seeds
}

func isSolver(name string) bool { return strings.Contains(name, "solver") }

// FuzzNetText parses (and upgrades) a net prototxt; what parses must print and parse
// again.
func FuzzNetText(f *testing.F) {
	glog.SetQuiet(true)
	for _, s := range prototxtSeeds(f, func(n string) bool { return !isSolver(n) }) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseNetText("fuzz.prototxt", data)
		if err != nil {
			if _, ok := err.(*TextError); !ok && !strings.Contains(err.Error(), "fuzz.prototxt") {
				t.Fatalf("the error does not name the file: %v", err)
			}
			return
		}
		again := &caffepb.NetParameter{}
		if err := UnmarshalText("printed", MarshalText(p), again); err != nil {
			t.Fatalf("the printed net does not parse: %v\n%s", err, MarshalText(p))
		}
	})
}

// FuzzSolverText parses (and upgrades) a solver prototxt; what parses must print and
// parse again.
func FuzzSolverText(f *testing.F) {
	glog.SetQuiet(true)
	for _, s := range prototxtSeeds(f, isSolver) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseSolverText("fuzz.prototxt", data)
		if err != nil {
			return
		}
		UpgradeSnapshotPrefix(p, "dir/fuzz.prototxt")
		again := &caffepb.SolverParameter{}
		if err := UnmarshalText("printed", MarshalText(p), again); err != nil {
			t.Fatalf("the printed solver does not parse: %v\n%s", err, MarshalText(p))
		}
	})
}

// shrinkFloats cuts every repeated float and double field of m to at most 3 values:
// a real file's structure in a seed small enough to fuzz quickly.
func shrinkFloats(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && (fd.Kind() == protoreflect.FloatKind || fd.Kind() == protoreflect.DoubleKind):
			l := v.List()
			if l.Len() > 3 {
				l.Truncate(3)
			}
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len(); i++ {
				shrinkFloats(v.List().Get(i).Message())
			}
		case fd.Message() != nil && !fd.IsMap():
			shrinkFloats(v.Message())
		}
		return true
	})
}

// FuzzBinaryProto reads bytes as each binary file a user gives gocaffe: a
// .caffemodel (upgraded, every blob loaded), a .solverstate (every history blob
// loaded) and a .binaryproto (loaded as a mean is).
func FuzzBinaryProto(f *testing.F) {
	glog.SetQuiet(true)
	seeds := map[string]proto.Message{
		"fixtures/nets/lenet_mnist/lenet_iter_100.caffemodel":           &caffepb.NetParameter{},
		"fixtures/realworld/ethereon_lenet_iter_10000.caffemodel":       &caffepb.NetParameter{},
		"fixtures/nets/cifar10_synth/init.caffemodel":                   &caffepb.NetParameter{},
		"fixtures/nets/lenet_mnist/lenet_iter_100.solverstate":          &caffepb.SolverState{},
		"fixtures/nets/cifar10_synth/cifar10_quick_iter_40.solverstate": &caffepb.SolverState{},
		"fixtures/nets/cifar10_synth/mean.binaryproto":                  &caffepb.BlobProto{},
		"fixtures/nets/lenet_mnist/resume/lenet_iter_100.solverstate":   &caffepb.SolverState{},
		"fixtures/realworld/longwang_lenet_iter_10000.caffemodel":       &caffepb.NetParameter{},
		"fixtures/nets/cifar10_synth/cifar10_quick_iter_40.caffemodel":  &caffepb.NetParameter{},
		"fixtures/nets/lenet_mnist/lenet_iter_50.solverstate":           &caffepb.SolverState{},
	}
	for rel, m := range seeds {
		data, err := os.ReadFile(testutil.Path(rel))
		if err != nil {
			f.Fatal(err)
		}
		if err := proto.Unmarshal(data, m); err != nil {
			f.Fatalf("%s: %v", rel, err)
		}
		shrinkFloats(m.ProtoReflect())
		small, err := MarshalBinary(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(small)
		f.Add(data[:min(len(data), 2048)]) // a real file's first bytes, cut short
	}
	// At most 64 MB of blobs however large the shapes the bytes announce.
	blob.SetMemoryLimit(testutil.HeapNow() + 64<<20)
	f.Cleanup(func() { blob.SetMemoryLimit(0) })
	f.Fuzz(func(t *testing.T, data []byte) {
		load := func(p *caffepb.BlobProto) {
			b := &blob.Blob{}
			if err := b.FromProto(p, true); err == nil && b.Count() != len(b.Data) {
				t.Fatalf("a blob of %d values holds %d", b.Count(), len(b.Data))
			}
		}
		np := &caffepb.NetParameter{}
		if UnmarshalBinary("fuzz.caffemodel", data, np) == nil {
			if _, err := UpgradeNet(np, "fuzz.caffemodel"); err == nil {
				for _, l := range np.Layer {
					for _, b := range l.Blobs {
						load(b)
					}
				}
			}
		}
		st := &caffepb.SolverState{}
		if UnmarshalBinary("fuzz.solverstate", data, st) == nil {
			for _, h := range st.History {
				load(h)
			}
		}
		bp := &caffepb.BlobProto{}
		if UnmarshalBinary("fuzz.binaryproto", data, bp) == nil {
			load(bp)
		}
	})
}
