package npy

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// python is Debian's interpreter, which has python3-numpy.
const python = "/usr/bin/python3"

func TestRoundTripAndNumPy(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		row  []int
		rows [][]float32
	}{
		{"vectors", []int{3}, [][]float32{{1, 2, 3}, {-4.5, 5e-8, 6e30}}},
		{"maps", []int{2, 1, 2}, [][]float32{{1, 2, 3, 4}}},
		{"scalars", nil, [][]float32{{7}, {8}, {9}}},
		{"none", []int{4}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.name+".npy")
			w, err := Create(path, tt.row)
			if err != nil {
				t.Fatal(err)
			}
			var all []float32
			for _, r := range tt.rows {
				if err := w.Write(r); err != nil {
					t.Fatal(err)
				}
				all = append(all, r...)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			shape, vals, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			wantShape := append([]int{len(tt.rows)}, tt.row...)
			if !reflect.DeepEqual(shape, wantShape) || len(vals) != len(all) || (len(all) > 0 && !reflect.DeepEqual(vals, all)) {
				t.Errorf("read %v %v, want %v %v", shape, vals, wantShape, all)
			}
			if _, err := os.Stat(python); err != nil {
				t.Skip("no Debian python3")
			}
			out, err := exec.Command(python, "-c", `import sys, numpy
a = numpy.load(sys.argv[1])
print(a.dtype, list(a.shape), a.astype('<f4').tobytes().hex())`, path).CombinedOutput()
			if err != nil {
				t.Fatalf("numpy.load: %v\n%s", err, out)
			}
			var raw []byte
			for _, v := range all {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
			}
			want := fmt.Sprintf("float32 %s %x\n", strings.ReplaceAll(fmt.Sprint(wantShape), " ", ", "), raw)
			if string(out) != want {
				t.Errorf("numpy reads %q, want %q", out, want)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	good := header([]int{2}, 0)
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a .npy file"},
		{"version", append([]byte(magic+"\x07\x00"), 0, 0), "format version 7.0"},
		{"short data", append(append([]byte(nil), good...), 1, 2, 3), "needs 8 bytes"},
		{"fortran", header2("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }"), "C order"},
		{"int", header2("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }"), "float32 or float64"},
		{"long header", append([]byte(magic+"\x01\x00"), 0xff, 0xff), "header of 65535 bytes"},
	} {
		p := filepath.Join(dir, tt.name)
		os.WriteFile(p, tt.data, 0o644)
		if _, _, err := Read(p); err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want one naming the file and containing %q", tt.name, err, tt.want)
		}
	}
}

// header2 makes a version 1.0 header around a dict.
func header2(dict string) []byte {
	h := []byte(magic + "\x01\x00")
	h = append(h, byte(len(dict)+1), 0)
	return append(append(h, dict...), '\n')
}
