package protofile

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// The tests in this file take C++ TextFormat, the parser and printer Caffe uses, as
// the judge: protoc --encode parses text with it and protoc --decode prints with it.
// protoc comes with Debian's protobuf-compiler.

func protoc(t *testing.T, stdin []byte, args ...string) ([]byte, error) {
	t.Helper()
	if _, err := exec.LookPath("protoc"); err != nil {
		t.Skip("protoc not installed (Debian's protobuf-compiler): C++ TextFormat is not at hand to compare with")
	}
	cmd := exec.Command("protoc", append([]string{"--proto_path=" + filepath.Join(testutil.Root(), "proto")}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, &exec.ExitError{ProcessState: cmd.ProcessState, Stderr: stderr.Bytes()}
	}
	return out, nil
}

// TestPrinterMatchesProtoc prints binary fixtures of each kind (weights from Caffe
// and from the wild, a solver state, a mean) as text and wants C++ TextFormat's
// bytes: a million floats among them.
func TestPrinterMatchesProtoc(t *testing.T) {
	for _, tt := range []struct {
		rel string
		m   proto.Message
	}{
		{"nets/lenet_mnist/init.caffemodel", &caffepb.NetParameter{}},
		{"realworld/longwang_lenet_iter_10000.caffemodel", &caffepb.NetParameter{}},
		{"nets/cifar10_synth/cifar10_quick_iter_40.solverstate", &caffepb.SolverState{}},
		{"nets/cifar10_synth/mean.binaryproto", &caffepb.BlobProto{}},
	} {
		data, err := os.ReadFile(testutil.Path("fixtures/" + tt.rel))
		if err != nil {
			t.Fatal(err)
		}
		want, err := protoc(t, data, "--decode=caffe."+string(tt.m.ProtoReflect().Descriptor().Name()), "caffe.proto")
		if err != nil {
			t.Fatalf("%s: protoc: %v %s", tt.rel, err, err.(*exec.ExitError).Stderr)
		}
		if err := UnmarshalBinary(tt.rel, data, tt.m); err != nil {
			t.Fatal(err)
		}
		if got := MarshalText(tt.m); !bytes.Equal(got, want) {
			t.Errorf("%s: our text differs from C++ TextFormat's: %s", tt.rel, firstDiff(got, want))
		}
	}
}

// TestParserMatchesProtoc parses every example prototxt with C++ TextFormat and with
// UnmarshalText and wants the same message.
func TestParserMatchesProtoc(t *testing.T) {
	files := examplePrototxts(t)
	keep := testutil.Every(t, 8, "every example prototxt")
	for i, path := range slices.Sorted(maps.Keys(files)) {
		if !keep(i) {
			continue
		}
		fresh := files[path]
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m := fresh()
		bin, err := protoc(t, data, "--encode=caffe."+string(m.ProtoReflect().Descriptor().Name()), "caffe.proto")
		if err != nil {
			t.Errorf("%s: C++ TextFormat refuses it: %s", path, err.(*exec.ExitError).Stderr)
			continue
		}
		want := fresh()
		if err := proto.Unmarshal(bin, want); err != nil {
			t.Fatal(err)
		}
		if err := UnmarshalText(path, data, m); err != nil {
			t.Errorf("%v", err)
		} else if !proto.Equal(m, want) {
			t.Errorf("%s: we read another message than C++ TextFormat", path)
		}
	}
}

// TestCornerCasesMatchProtoc feeds the corners of the text format to both parsers:
// they must accept and refuse the same inputs, and read the same values, except
// where noted.
func TestCornerCasesMatchProtoc(t *testing.T) {
	cases := []string{
		`base_lr: 1.`, `base_lr: .5`, `base_lr: 1.0f`, `base_lr: 1F`, `base_lr: 1e-3`, `base_lr: 1E3`, `base_lr: 1e+3`,
		`base_lr: -.5e1`, `base_lr: 0.`, `base_lr: 0.1e-1f`, `base_lr: - 1`, `base_lr: 1e39`, `base_lr: 3.4028236e38`,
		`base_lr: inf`, `base_lr: -inf`, `base_lr: Infinity`, `base_lr: NaN`, `base_lr: 0x10`, `base_lr: 1.5e`, `base_lr: 00.5`,
		`base_lr: 1.0fmax_iter: 1`,
		`test_initialization: 1`, `test_initialization: 0`, `test_initialization: True`, `test_initialization: t`,
		`test_initialization: False`, `test_initialization: f`, `test_initialization: TRUE`, `test_initialization: 2`,
		`max_iter: 010`, `max_iter: 0x10`, `max_iter: -0`, `max_iter: 1.0`, `max_iter: 1e3`, `max_iter: 09`, `max_iter: 0x`,
		`max_iter: -2147483648`, `max_iter: 2147483648`, `max_iter: 0xFFFFFFFF`, `device_id: 4294967295`,
		`random_seed: -9223372036854775808`, `random_seed: 18446744073709551615`,
		`solver_mode: 1`, `solver_mode: 5`, `solver_mode: -1`, `solver_mode: CPU`, `solver_mode: cpu`, `solver_mode: "CPU"`,
		`test_iter: [1, 2]`, `test_iter: []`, `test_iter: 1, test_iter: 2`, `test_iter: 1; test_iter: 2;`, `test_iter: [1, 2`,
		`net: 'a' "b"`, `net: "a\x41\101\u00e9\?\a\b\f\v"`, `net: "\z"`, `net: "\8"`, `net: "a` + "\n" + `b"`, `net: "abc`,
		"net: \"\xff\xfe\"", "# \xff\nmax_iter: 1", "net:\v\"a\"\f", "net: \"a\"\r\nmax_iter: 1\r\n", "max_iter: 1\x00",
		`train_state: < phase: TRAIN >`, `train_state { phase: TRAIN }`, `train_state: { phase: TRAIN }`, `train_state <phase: TRAIN}`,
		`test_state [{stage: "a"}, {stage: "b"}]`, `test_state: [{stage: "a"}, <stage: "b">]`, `train_state: TRAIN`,
		`max_iter:1`, `max_iter :1`, `max_iter 1`, `max_iter: 1 max_iter: 2`, `train_state {} train_state {}`, `test_net: "a" test_net: "b"`,
		`net: "a" #c`, "max_iter: 10#c", `[caffe.x]: 1`, `max_iterr: 1`, `}`, `train_state {`, `net: a`,
		"\ufeffnet: \"a\"", `base_lr: -nan`, `base_lr: 010`, `net: "\400"`,
	}
	// Where we differ from C++, on inputs no real file has; Go's prototext decides.
	differs := map[string]string{
		"\ufeffnet: \"a\"": "we skip a byte-order mark, C++ refuses it",
		`base_lr: -nan`:    "C++ reads -nan, Go's parser refuses it",
		`base_lr: 010`:     "C++ refuses an octal float, Go's parser reads 10",
		`net: "\400"`:      "C++ wraps the octal escape \\400 to a byte, Go's parser refuses it",
	}
	keep := testutil.Every(t, 4, "every corner case")
	for i, c := range cases {
		if _, listed := differs[c]; !listed && !keep(i) {
			continue
		}
		m := &caffepb.SolverParameter{}
		ourErr := UnmarshalText("corner", []byte(c), m)
		bin, cppErr := protoc(t, []byte(c), "--encode=caffe.SolverParameter", "caffe.proto")
		if why, ok := differs[c]; ok {
			t.Logf("%q: differs from C++ (%s)", c, why)
			continue
		}
		switch {
		case cppErr != nil && ourErr == nil:
			t.Errorf("%q: we accept what C++ refuses: %s", c, cppErr.(*exec.ExitError).Stderr)
		case cppErr == nil && ourErr != nil:
			t.Errorf("%q: we refuse what C++ accepts: %v", c, ourErr)
		case cppErr == nil:
			want := &caffepb.SolverParameter{}
			if err := proto.Unmarshal(bin, want); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(m, want) {
				t.Errorf("%q: we read %v, C++ reads %v", c, m, want)
			}
		}
	}
}
