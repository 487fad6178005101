package protofile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// lenetHead is the start of a net whose later lines the cases below break.
const lenetHead = `name: "LeNet"
layer {
  name: "conv1"
  type: "Convolution"
  bottom: "data"
  top: "conv1"
  convolution_param {
    num_output: 20
`

// TestBadText feeds broken prototxt and wants each error to name the file, the
// line:col of the problem and what was expected there.
func TestBadText(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"misspelt field", lenetHead + "    kernel_sizee: 5\n  }\n}\n",
			`lenet.prototxt:9:5: unknown field "kernel_sizee" in ConvolutionParameter (did you mean "kernel_size"?)`},
		{"field in the wrong message", "layer {\n  name: \"c\"\n  kernel_size: 3\n}\n",
			`lenet.prototxt:3:3: unknown field "kernel_size" in LayerParameter (it is a field of convolution_param { }, pooling_param { })`},
		{"truncated", lenetHead + "    kernel_size: 5\n",
			`lenet.prototxt:7:21: "{" of "convolution_param" is never closed: "}" is missing before the end of the file`},
		{"truncated in a value", lenetHead + "    kernel_size:",
			`lenet.prototxt:9:17: missing value for "kernel_size" at the end of the file`},
		{"string for a number", lenetHead + "    kernel_size: \"5\"\n  }\n}\n",
			`lenet.prototxt:9:18: expected a number (uint32) for "kernel_size", found a quoted string (only string fields take quotes)`},
		{"fraction for an integer", lenetHead + "    kernel_size: 2.5\n  }\n}\n",
			`lenet.prototxt:9:18: invalid value 2.5 for "kernel_size": expected a whole number (uint32)`},
		{"negative for unsigned", lenetHead + "    kernel_size: -3\n  }\n}\n",
			`lenet.prototxt:9:18: value -3 of "kernel_size" is out of range for uint32`},
		{"word for a float", "layer {\n  param {\n    lr_mult: one\n  }\n}\n",
			`lenet.prototxt:3:14: invalid value one for "lr_mult": expected a number (float)`},
		{"bad bool", "force_backward: yes\n",
			`lenet.prototxt:1:17: invalid value yes for "force_backward": expected true or false`},
		{"number too big", "layer {\n  convolution_param { num_output: 5000000000 }\n}\n",
			`lenet.prototxt:2:35: value 5000000000 of "num_output" is out of range for uint32`},
		{"unknown enum", "layer {\n  pooling_param {\n    pool: MAXIMUM\n  }\n}\n",
			`lenet.prototxt:3:11: invalid value MAXIMUM for "pool": expected one of MAX, AVE, STOCHASTIC`},
		{"misspelt enum", "layer {\n  include { phase: TRAN }\n}\n",
			`lenet.prototxt:2:20: invalid value TRAN for "phase": not a Phase (did you mean TRAIN?)`},
		{"enum number with no name", "layer {\n  include { phase: 2 }\n}\n",
			`lenet.prototxt:2:20: invalid value 2 for "phase": expected one of TRAIN, TEST`},
		{"quoted enum", "layer {\n  pooling_param { pool: \"MAX\" }\n}\n",
			`lenet.prototxt:2:25: expected a PoolMethod name for "pool", found a quoted string (only string fields take quotes)`},
		{"unterminated string", "layer {\n  name: \"conv1\n  type: \"ReLU\"\n}\n",
			`lenet.prototxt:2:9: unterminated string: no closing " on its line (a string cannot span lines; write \n for a line break)`},
		{"unterminated string at the end", "name: 'LeNet",
			`lenet.prototxt:1:7: unterminated string: no closing ' before the end of the file`},
		{"bad escape", "layer {\n  name: \"a\\qb\"\n}\n",
			`lenet.prototxt:2:11: invalid escape \q in string (write \\ for a backslash)`},
		{"unclosed brace", "layer {\n  name: \"a\"\n  type: \"ReLU\"\n",
			`lenet.prototxt:1:7: "{" of "layer" is never closed: "}" is missing before the end of the file`},
		{"extra brace", "layer {\n  name: \"a\"\n}\n}\n",
			`lenet.prototxt:4:1: unexpected "}": there is no "{" open to close`},
		{"mismatched brace", "layer <\n  name: \"a\"\n}\n",
			`lenet.prototxt:3:1: expected ">" to close "layer" opened at 1:7, found "}"`},
		{"missing colon", "layer {\n  name \"a\"\n}\n",
			`lenet.prototxt:2:8: expected ":" after field name "name", found '"'`},
		{"scalar for a message", "layer {\n  include: TRAIN\n}\n",
			`lenet.prototxt:2:12: expected "{" after "include" (a NetStateRule message), found "TRAIN"`},
		{"unquoted string", "layer {\n  name: conv1\n}\n",
			`lenet.prototxt:2:9: expected a quoted string for "name", found "conv1"`},
		{"set twice", "name: \"a\"\nforce_backward: true\nname: \"b\"\n",
			`lenet.prototxt:3:1: field "name" is set twice in NetParameter (first at 1:1); it takes one value`},
		{"unclosed list", "layer {\n  loss_weight: [1, 2\n}\n",
			`lenet.prototxt:3:1: expected "," or "]" in the list of "loss_weight", found '}'`},
		{"stray character", "name: \"x\"\n@\n",
			`lenet.prototxt:2:1: expected a field name, found '@'`},
		{"column counts characters", "name: \"réseau\" force_backward: oui\n",
			`lenet.prototxt:1:32: invalid value oui for "force_backward": expected true or false`},
		{"tab", "layer {\n\tname: \"a\"\n\tbottom: 1\n}\n",
			`lenet.prototxt:3:10: expected a quoted string for "bottom", found "1"`},
		// The scanner thinks 010 no float (C++ reads it as octal 8, Go as 10), so
		// the error Go's parser finds later is the one reported.
		{"go parser's error", "layer {\n  param { lr_mult: 010 }\n  nme: \"a\"\n}\n",
			`lenet.prototxt:3:3: unknown field "nme" in LayerParameter`},
	}
	for _, tt := range tests {
		p, err := ParseNetText("lenet.prototxt", []byte(tt.text))
		if err == nil {
			t.Errorf("%s: no error; parsed %v", tt.name, p)
			continue
		}
		var te *TextError
		if !errors.As(err, &te) {
			t.Errorf("%s: error %v is a %T, want *TextError", tt.name, err, err)
		}
		if err.Error() != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, err, tt.want)
		}
	}
}

// TestReadTextErrors checks the file name in errors of the path-taking readers.
func TestReadTextErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "solver.prototxt")
	if err := os.WriteFile(path, []byte("base_lr: 0.01\nlr_polcy: \"fixed\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadSolverText(path)
	want := path + `:2:1: unknown field "lr_polcy" in SolverParameter (did you mean "lr_policy"?)`
	if err == nil || err.Error() != want {
		t.Errorf("ReadSolverText = %v, want %s", err, want)
	}
	if _, err := ReadNetText(filepath.Join(dir, "missing.prototxt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadNetText of a missing file = %v, want a not-exist error", err)
	}
}

// TestBadBinary feeds a .caffemodel cut short and corrupted at various places and
// wants errors naming the file, the byte and the field being read; never a panic.
func TestBadBinary(t *testing.T) {
	good, err := os.ReadFile(testutil.Path("fixtures/nets/lenet_mnist/init.caffemodel"))
	if err != nil {
		t.Fatal(err)
	}
	// Where conv2's weights start, to aim the damage.
	net := &caffepb.NetParameter{}
	if err := proto.Unmarshal(good, net); err != nil {
		t.Fatal(err)
	}
	conv2Data := indexOfFloats(t, good, net.Layer[3].Blobs[0].Data[:4])
	if conv2Data != 2367 {
		t.Fatalf("conv2's weights start at byte %d, want 2367 (after the 4 bytes of the data field's tag and length at 2363)", conv2Data)
	}

	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"cut in conv2's weights", good[:conv2Data+1000],
			`bad.caffemodel: byte 2363: reading layer[3] "conv2" > blobs[0] > data: the field holds 100000 bytes but only 1000 remain in the file: it is truncated or corrupt`},
		{"cut in the name", good[:2], `bad.caffemodel: byte 0: reading name: the field holds 5 bytes but only 0 remain in the file: it is truncated or corrupt`},
		{"packed floats of odd length", packedFloatsOddLength(),
			`bad.caffemodel: byte 9: reading layer[0] "ip" > blobs[0] > data: 7 bytes of packed float values is not a whole number of 4-byte values`},
		{"garbage", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			`bad.caffemodel: byte 0: reading NetParameter: bad field tag (variable length integer overflow): the file is corrupt or not a NetParameter`},
		{"reserved wire type", []byte{0x0f, 1, 2},
			`bad.caffemodel: byte 0: reading name: invalid wire type 7: the file is corrupt or not a protocol buffer`},
	}
	for _, tt := range tests {
		m := &caffepb.NetParameter{}
		err := UnmarshalBinary("bad.caffemodel", tt.data, m)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		var be *BinaryError
		if !errors.As(err, &be) {
			t.Errorf("%s: error %v is a %T, want *BinaryError", tt.name, err, err)
		}
		if err.Error() != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, err, tt.want)
		}
		if len(m.Layer) != 0 || m.Name != nil {
			t.Errorf("%s: message not cleared after the error", tt.name)
		}
	}

	// Every cut of the file, at 997 places through it, fails cleanly or reads a
	// shorter net (a cut that falls between two layers is a valid file).
	for cut := 1; cut < len(good); cut += len(good) / 997 {
		m := &caffepb.NetParameter{}
		if err := UnmarshalBinary("cut.caffemodel", good[:cut], m); err != nil && !strings.HasPrefix(err.Error(), "cut.caffemodel: byte ") {
			t.Errorf("cut at %d: %v", cut, err)
		}
	}
}

// indexOfFloats finds the encoding of the floats f in data.
func indexOfFloats(t *testing.T, data []byte, f []float32) int {
	t.Helper()
	want, _ := proto.Marshal(&caffepb.BlobProto{Data: f})
	want = want[2:] // the tag and length of the packed field
	i := strings.Index(string(data), string(want))
	if i < 0 {
		t.Fatal("floats not found")
	}
	return i
}

// packedFloatsOddLength encodes a small net whose packed blob data has 7 bytes.
func packedFloatsOddLength() []byte {
	blob := []byte{0x2a, 7, 1, 2, 3, 4, 5, 6, 7} // data (field 5), 7 bytes
	layer := append([]byte{0x0a, 2, 'i', 'p', 0x3a, byte(len(blob))}, blob...)
	return append([]byte{0xa2, 0x06, byte(len(layer))}, layer...) // layer (field 100)
}

// TestReadBinaryFileErrors covers the file-level refusals: an empty file, a folder,
// a file over Caffe's 2 GB limit (sparse, so it takes no disk).
func TestReadBinaryFileErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.caffemodel")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{empty, empty + ": the file is empty (want a binary NetParameter)"},
		{dir, dir + ": is a directory, not a file"},
	}
	// A 2 GB file takes seconds to make where the file system does not keep it sparse.
	if testing.Short() {
		t.Log("-short: the full suite also checks that a file over 2 GB is refused")
	} else {
		huge := filepath.Join(dir, "huge.caffemodel")
		f, err := os.Create(huge)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(MaxBinarySize + 1); err != nil {
			t.Skipf("cannot make a sparse 2 GB file here: %v", err)
		}
		f.Close()
		tests = append(tests, struct{ path, want string }{huge,
			huge + ": the file has 2147483648 bytes, more than the 2 GB (2147483647 bytes) Caffe reads in a binary proto"})
	}
	for _, tt := range tests {
		_, err := ReadNetBinary(tt.path)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ReadNetBinary(%s) = %v, want %s", tt.path, err, tt.want)
		}
	}
}
