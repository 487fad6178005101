package protofile

import (
	"bytes"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// quietLog sends the log of one test to a buffer it returns.
func quietLog(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	prev := glog.SetOutput(&buf)
	t.Cleanup(func() { glog.SetOutput(prev) })
	return &buf
}

// examplePrototxts lists every .prototxt under testdata/caffe-examples, with a fresh
// message of its kind: solvers are the files whose name says so.
func examplePrototxts(t *testing.T) map[string]func() proto.Message {
	t.Helper()
	files := map[string]func() proto.Message{}
	root := testutil.Path("caffe-examples")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".prototxt") {
			return err
		}
		if strings.Contains(filepath.Base(p), "solver") {
			files[p] = func() proto.Message { return &caffepb.SolverParameter{} }
		} else {
			files[p] = func() proto.Message { return &caffepb.NetParameter{} }
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 60 {
		t.Fatalf("found %d prototxt files under %s, want the whole collection", len(files), root)
	}
	return files
}

// TestExamplesRoundTrip parses every Caffe prototxt we have (examples, models, the
// zoo, legacy V0/V1 nets and solvers), prints it, parses the print and wants the same
// message; the upgraded message must survive the same trip, and printing must be a
// fixed point.
func TestExamplesRoundTrip(t *testing.T) {
	quietLog(t)
	for path, fresh := range examplePrototxts(t) {
		rel, _ := filepath.Rel(testutil.Path("."), path)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m := fresh()
		if err := UnmarshalText(rel, data, m); err != nil {
			t.Errorf("%v", err)
			continue
		}
		roundTrip(t, rel, m)

		switch m := m.(type) {
		case *caffepb.NetParameter:
			if _, err := UpgradeNet(m, rel); err != nil {
				t.Errorf("%s: upgrade: %v", rel, err)
			}
		case *caffepb.SolverParameter:
			if _, err := UpgradeSolver(m, rel); err != nil {
				t.Errorf("%s: upgrade: %v", rel, err)
			}
		}
		roundTrip(t, rel+" (upgraded)", m)
	}
}

func roundTrip(t *testing.T, name string, m proto.Message) {
	t.Helper()
	text := MarshalText(m)
	back := m.ProtoReflect().Type().New().Interface()
	if err := UnmarshalText(name, text, back); err != nil {
		t.Errorf("%s: our text does not parse: %v", name, err)
		return
	}
	if !proto.Equal(m, back) {
		t.Errorf("%s: text -> message -> our text -> message differs:\n%s", name, text)
		return
	}
	if again := MarshalText(back); !bytes.Equal(text, again) {
		t.Errorf("%s: printing the reparsed message gives other text", name)
	}
}

// TestPrinterMatchesTextFormat prints the messages of the files Caffe's upgrade tools
// wrote (with C++ TextFormat) and wants Caffe's bytes.
func TestPrinterMatchesTextFormat(t *testing.T) {
	files, err := filepath.Glob(testutil.Path("fixtures/upgrade/*.prototxt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no upgrade fixtures: %v", err)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m proto.Message = &caffepb.NetParameter{}
		if strings.Contains(path, "solver") {
			m = &caffepb.SolverParameter{}
		}
		if err := UnmarshalText(path, data, m); err != nil {
			t.Fatal(err)
		}
		if got := MarshalText(m); !bytes.Equal(got, data) {
			t.Errorf("%s: our text differs from Caffe's:\n%s", filepath.Base(path), firstDiff(got, data))
		}
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + strconv.Itoa(i+1) + ": got " + gl + " | want " + wl
		}
	}
	return "(same lines)"
}

// TestPrinterValues checks the printing of the values whose text C++ fixes: floats
// (C++'s digits, C's exponent form, inf and nan),
// escaped strings, bytes, enums with and without a name, negative integers.
func TestPrinterValues(t *testing.T) {
	tests := []struct {
		m    proto.Message
		want string
	}{
		{&caffepb.FillerParameter{Value: proto.Float32(0.1), Std: proto.Float32(1e-5), Min: proto.Float32(-2), Max: proto.Float32(1e6)},
			"value: 0.1\nmin: -2\nmax: 1e+06\nstd: 1e-05\n"},
		{&caffepb.FillerParameter{Value: proto.Float32(float32(math.Inf(1))), Min: proto.Float32(float32(math.Inf(-1))), Max: proto.Float32(float32(math.NaN()))},
			"value: inf\nmin: -inf\nmax: nan\n"},
		// C++ prints 6 significant digits when they read back to the same float,
		// else 9: 0.0129828453 is the first weight of LeNet's conv1 as protoc
		// --decode prints it.
		{&caffepb.FillerParameter{Value: proto.Float32(0.00390625), Min: proto.Float32(0.0129828453), Mean: proto.Float32(1.0000001), Std: proto.Float32(3.4028235e38)},
			"value: 0.00390625\nmin: 0.0129828453\nmean: 1.00000012\nstd: 3.40282347e+38\n"},
		{&caffepb.SolverParameter{Net: proto.String("a\"b'c\\d\ne\tf\rg\x01h\xffi é")},
			"net: \"a\\\"b\\'c\\\\d\\ne\\tf\\rg\\001h\\377i \\303\\251\"\n"},
		{&caffepb.Datum{Channels: proto.Int32(1), Data: []byte{0, 1, 'A', 200}, Label: proto.Int32(-3)},
			"channels: 1\ndata: \"\\000\\001A\\310\"\nlabel: -3\n"},
		{&caffepb.NetState{Phase: caffepb.Phase_TRAIN.Enum(), Stage: []string{"a", "b"}},
			"phase: TRAIN\nstage: \"a\"\nstage: \"b\"\n"},
		{&caffepb.NetState{Phase: caffepb.Phase(7).Enum()}, "phase: 7\n"},
		{&caffepb.SolverParameter{RandomSeed: proto.Int64(-1), TestInitialization: proto.Bool(false), TestIter: []int32{100, 5}},
			"test_iter: 100\ntest_iter: 5\nrandom_seed: -1\ntest_initialization: false\n"},
		{&caffepb.LayerParameter{Name: proto.String("ip"), InnerProductParam: &caffepb.InnerProductParameter{
			WeightFiller: &caffepb.FillerParameter{Type: proto.String("xavier")}}, Param: []*caffepb.ParamSpec{{}}},
			"name: \"ip\"\nparam {\n}\ninner_product_param {\n  weight_filler {\n    type: \"xavier\"\n  }\n}\n"},
		{&caffepb.BlobProto{DoubleData: []float64{0.1, 1.0 / 3}}, "double_data: 0.1\ndouble_data: 0.33333333333333331\n"},
	}
	for _, tt := range tests {
		got := string(MarshalText(tt.m))
		if got != tt.want {
			t.Errorf("MarshalText(%v) =\n%s\nwant\n%s", tt.m, got, tt.want)
			continue
		}
		if hasUndefinedEnum(tt.m.ProtoReflect()) {
			continue // printed as a number, which C++ and our reader refuse to read
		}
		back := tt.m.ProtoReflect().Type().New().Interface()
		if err := UnmarshalText("printed", []byte(got), back); err != nil {
			t.Errorf("%q does not parse back: %v", got, err)
		} else if !proto.Equal(back, tt.m) && !hasNaN(tt.m) {
			t.Errorf("%q parses back to %v, want %v", got, back, tt.m)
		}
	}
}

func hasNaN(m proto.Message) bool {
	f, ok := m.(*caffepb.FillerParameter)
	return ok && math.IsNaN(float64(f.GetMax()))
}

// TestPrinterDeterministic prints a big message many times: Go's prototext varies its
// spacing from run to run on purpose, our printer must not.
func TestPrinterDeterministic(t *testing.T) {
	quietLog(t)
	p, err := ReadNetText(testutil.Path("caffe-examples/zoo/resnet/ResNet-50-deploy.prototxt"))
	if err != nil {
		t.Fatal(err)
	}
	first := MarshalText(p)
	for i := 0; i < 20; i++ {
		if !bytes.Equal(MarshalText(proto.Clone(p)), first) {
			t.Fatalf("run %d printed other bytes", i)
		}
	}
}

// TestCaffeLeniencies reads what C++ TextFormat reads and Go's prototext alone does
// not: a byte-order mark, vertical tabs and form feeds, bytes that are not UTF-8 in
// strings (a path in a legacy code page) and in comments.
func TestCaffeLeniencies(t *testing.T) {
	tests := []struct {
		name, text string
		want       *caffepb.SolverParameter
	}{
		{"bom", "\xef\xbb\xbfnet: \"a\"\nmax_iter: 1\n", &caffepb.SolverParameter{Net: proto.String("a"), MaxIter: proto.Int32(1)}},
		{"vt-ff", "net:\v\"a\"\fmax_iter: 1", &caffepb.SolverParameter{Net: proto.String("a"), MaxIter: proto.Int32(1)}},
		{"gbk-string", "net: \"\xc4\xa3\xd0\xcd/net.prototxt\"  # \xd7\xa2\xca\xcd\n", &caffepb.SolverParameter{Net: proto.String("\xc4\xa3\xd0\xcd/net.prototxt")}},
		{"latin1-comment", "# r\xe9seau\nmax_iter: 2 # fin\xe9\n", &caffepb.SolverParameter{MaxIter: proto.Int32(2)}},
		{"escape-after-invalid", "net: \"\xff\\n\\\"x\"", &caffepb.SolverParameter{Net: proto.String("\xff\n\"x")}},
		{"c++-forms", "base_lr: 1.\nmomentum: .9f\ntest_initialization: t\nsolver_mode: 0\ntest_iter: [1, 2]; test_iter: 3,\ntrain_state < phase: TRAIN >",
			&caffepb.SolverParameter{BaseLr: proto.Float32(1), Momentum: proto.Float32(0.9), TestInitialization: proto.Bool(true),
				SolverMode: caffepb.SolverParameter_CPU.Enum(), TestIter: []int32{1, 2, 3},
				TrainState: &caffepb.NetState{Phase: caffepb.Phase_TRAIN.Enum()}}},
	}
	for _, tt := range tests {
		got := &caffepb.SolverParameter{}
		if err := UnmarshalText(tt.name, []byte(tt.text), got); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !proto.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
		if again := (&caffepb.SolverParameter{}); UnmarshalText(tt.name, MarshalText(got), again) != nil || !proto.Equal(again, got) {
			t.Errorf("%s: printed text does not read back the same", tt.name)
		}
	}
}

// TestSanitizedPositions checks that errors after a byte-order mark or a non-UTF-8
// byte in a string are placed in the file as it is, not as it was rewritten.
func TestSanitizedPositions(t *testing.T) {
	tests := []struct{ text, want string }{
		{"\xef\xbb\xbfnet: \"a\"\nmax_iterr: 1\n", `f:2:1: unknown field "max_iterr" in SolverParameter (did you mean "max_iter"?)`},
		{"\xef\xbb\xbfmax_itr: 1\n", `f:1:2: unknown field "max_itr" in SolverParameter (did you mean "max_iter"?)`},
		{"net: \"\xff\xfe\" max_iter: x\n", `f:1:21: invalid value x for "max_iter": expected a number (int32)`},
	}
	for _, tt := range tests {
		err := UnmarshalText("f", []byte(tt.text), &caffepb.SolverParameter{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("UnmarshalText(%q) = %v, want %s", tt.text, err, tt.want)
		}
	}
}

// TestScannerAcceptsValidFiles runs the error scanner over every valid example: it
// must find nothing, or it would blame good text when a file has an error later on.
func TestScannerAcceptsValidFiles(t *testing.T) {
	for path, fresh := range examplePrototxts(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if p := newScanner(data, fresh().ProtoReflect().Descriptor()).run(-1); p != nil {
			l, c := position(data, p.off)
			t.Errorf("%s:%d:%d: scanner reports %q in a valid file", path, l, c, p.msg)
		}
	}
}
