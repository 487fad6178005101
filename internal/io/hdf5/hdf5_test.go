package hdf5

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// python is Debian's interpreter, with python3-h5py (scripts/install-test-deps.sh).
const python = "/usr/bin/python3"

type expectedSet struct {
	Shape   []int     `json:"shape"`
	Values  []float64 `json:"values"`
	Strings []string  `json:"strings"`
}

var (
	h5pyOnce sync.Once
	h5pyDir  string
	h5pyErr  error
	h5pyWant map[string]map[string]expectedSet
)

// h5pyFiles runs testdata/make_h5py.py once and returns its folder and expectations.
func h5pyFiles(t *testing.T) (string, map[string]map[string]expectedSet) {
	t.Helper()
	h5pyOnce.Do(func() {
		h5pyDir, h5pyErr = os.MkdirTemp("", "gocaffe-h5py-")
		if h5pyErr != nil {
			return
		}
		out, err := exec.Command(python, "testdata/make_h5py.py", h5pyDir).CombinedOutput()
		if err != nil {
			h5pyErr = err
			h5pyDir = string(out)
			return
		}
		data, err := os.ReadFile(filepath.Join(h5pyDir, "expected.json"))
		if err == nil {
			err = json.Unmarshal(data, &h5pyWant)
		}
		h5pyErr = err
	})
	if h5pyErr != nil {
		t.Fatalf("making HDF5 files with h5py (install Debian's python3-h5py): %v\n%s", h5pyErr, h5pyDir)
	}
	return h5pyDir, h5pyWant
}

func TestMain(m *testing.M) {
	code := m.Run()
	if h5pyDir != "" && h5pyErr == nil {
		os.RemoveAll(h5pyDir)
	}
	os.Exit(code)
}

// TestReadH5py reads every dataset of the files h5py wrote — superblocks 0, 2 and 3;
// symbol-table groups (one of 300 members) and compact link groups; compact,
// contiguous and chunked storage (B-tree, single chunk, implicit and fixed-array
// indexes, paged; extensible arrays), deflate, shuffle and fletcher32; integers, floats and strings of
// both byte orders — and wants h5py's values.
func TestReadH5py(t *testing.T) {
	dir, want := h5pyFiles(t)
	if len(want) < 4 {
		t.Fatalf("h5py wrote %d files", len(want))
	}
	for file, sets := range want {
		t.Run(file, func(t *testing.T) {
			f, err := Open(filepath.Join(dir, file))
			if err != nil {
				t.Fatal(err)
			}
			seen := 0
			walk(t, f.Root(), "", func(path string, d *Dataset) {
				seen++
				w, ok := sets[path]
				if !ok {
					t.Errorf("%s: h5py does not list it", path)
					return
				}
				if !reflect.DeepEqual(d.Shape, w.Shape) && !(len(d.Shape) == 0 && len(w.Shape) == 0) {
					t.Errorf("%s: shape %v, h5py's %v", path, d.Shape, w.Shape)
					return
				}
				if w.Strings != nil {
					got, err := d.Strings()
					if err != nil || !reflect.DeepEqual(got, w.Strings) {
						t.Errorf("%s: %q %v, h5py's %q", path, got, err, w.Strings)
					}
					return
				}
				got, err := d.Float64()
				if err != nil {
					t.Errorf("%s: %v", path, err)
					return
				}
				if len(got) != len(w.Values) {
					t.Errorf("%s: %d values, h5py's %d", path, len(got), len(w.Values))
					return
				}
				for i := range got {
					if got[i] != w.Values[i] {
						t.Errorf("%s: value %d is %v, h5py's %v", path, i, got[i], w.Values[i])
						return
					}
				}
			})
			if seen != len(sets) {
				t.Errorf("read %d datasets, h5py lists %d", seen, len(sets))
			}
		})
	}
}

// walk visits every dataset under g.
func walk(t *testing.T, g *Group, prefix string, visit func(path string, d *Dataset)) {
	t.Helper()
	for _, name := range g.Names() {
		path := strings.TrimPrefix(prefix+"/"+name, "/")
		if sub, err := g.Group(name); err == nil {
			walk(t, sub, path, visit)
			continue
		}
		d, err := g.Dataset(name)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		visit(path, d)
	}
}

// TestRefused: what the reader does not read gets an error naming the file and saying why.
func TestRefused(t *testing.T) {
	dir, _ := h5pyFiles(t)
	for _, tt := range []struct {
		file, dataset, want string
	}{
		{"lzf.h5", "data", "lzf"},
		{"vlen.h5", "names", "variable-length"},
		{"earliest.h5", "nothing", `no member "nothing"`},
		{"earliest.h5", "types", "is a group, not a dataset"},
	} {
		path := filepath.Join(dir, tt.file)
		f, err := Open(path)
		if err == nil && tt.dataset != "" {
			var d *Dataset
			if d, err = f.Dataset(tt.dataset); err == nil {
				_, err = d.Float32()
			}
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s %s: error %v, want one naming the file and containing %q", tt.file, tt.dataset, err, tt.want)
		}
	}
}

// build makes a small file of every kind the writer writes.
func build() *Builder {
	b := NewBuilder()
	r := b.Root()
	r.Float32("data", []int{2, 3}, []float32{1, -2, 3.5, 4, 5, 6e-7})
	r.Int32("iter", []int{1}, []int32{42})
	r.String("learned_net", "lenet_iter_42.caffemodel.h5")
	r.Float64("double", []int{2}, []float64{0.5, -1e300})
	r.Float32("none", []int{0, 4}, nil)
	g := r.Group("data_group").Group("conv1")
	g.Float32("0", []int{2, 1, 2, 2}, []float32{1, 2, 3, 4, 5, 6, 7, 8})
	g.Float32("1", []int{2}, []float32{0.25, 0.5})
	many := r.Group("many")
	for i := 0; i < 40; i++ {
		many.Float32(strings.Repeat("x", i%5)+string(rune('a'+i%26))+string(rune('A'+i/26)), []int{1}, []float32{float32(i)})
	}
	return b
}

// TestWriteRoundTrip: what the writer writes, the reader reads back; h5py and h5dump
// read it as well (see TestWrittenReadByH5py).
func TestWriteRoundTrip(t *testing.T) {
	f, err := Parse("built", build().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.Dataset("data_group/conv1/0")
	if err != nil {
		t.Fatal(err)
	}
	v, err := d.Float32()
	if err != nil || !reflect.DeepEqual(v, []float32{1, 2, 3, 4, 5, 6, 7, 8}) || !reflect.DeepEqual(d.Shape, []int{2, 1, 2, 2}) {
		t.Errorf("conv1/0: %v %v %v", d.Shape, v, err)
	}
	s, _ := f.Dataset("learned_net")
	if got, err := s.Strings(); err != nil || got[0] != "lenet_iter_42.caffemodel.h5" || len(s.Shape) != 0 {
		t.Errorf("learned_net: %q %v, shape %v", got, err, s.Shape)
	}
	it, _ := f.Dataset("iter")
	if got, err := it.Ints(); err != nil || !reflect.DeepEqual(got, []int64{42}) {
		t.Errorf("iter: %v %v", got, err)
	}
	dd, _ := f.Dataset("double")
	if got, _ := dd.Float64(); !reflect.DeepEqual(got, []float64{0.5, -1e300}) {
		t.Errorf("double: %v", got)
	}
	g, _ := f.Root().Group("many")
	if len(g.Names()) != 40 {
		t.Errorf("many: %d members", len(g.Names()))
	}
}

// TestWrittenReadByH5py: h5py reads what the writer writes, and h5dump prints it.
func TestWrittenReadByH5py(t *testing.T) {
	path := filepath.Join(t.TempDir(), "built.h5")
	if err := build().WriteFile(path); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, "-c", `import sys, h5py
f = h5py.File(sys.argv[1], "r")
def show(name, obj):
    if isinstance(obj, h5py.Dataset):
        v = obj[()]
        print(name, obj.dtype.str, list(obj.shape), v.tolist() if hasattr(v, "tolist") else v)
f.visititems(show)`, path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	for _, want := range []string{
		"data <f4 [2, 3] [[1.0, -2.0, 3.5], [4.0, 5.0, 6.000000212225132e-07]]",
		"data_group/conv1/1 <f4 [2] [0.25, 0.5]",
		"double <f8 [2] [0.5, -1e+300]",
		"iter <i4 [1] [42]",
		"learned_net |S28 [] b'lenet_iter_42.caffemodel.h5'",
		"many/xxxxnB <f4 [1] [39.0]",
		"none <f4 [0, 4] []",
	} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("h5py does not print %q in\n%s", want, out)
		}
	}
	dump, err := exec.Command("h5dump", path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5dump (install Debian's hdf5-tools): %v\n%s", err, dump)
	}
	for _, want := range []string{`DATASET "0" {`, "DATATYPE  H5T_IEEE_F32LE", "DATASPACE  SIMPLE { ( 2, 1, 2, 2 ) / ( 2, 1, 2, 2 ) }",
		`(0): "lenet_iter_42.caffemodel.h5"`, "DATATYPE  H5T_STD_I32LE"} {
		if !strings.Contains(string(dump), want) {
			t.Errorf("h5dump does not print %q", want)
		}
	}
}

// TestCorrupt: truncated or damaged files get errors naming the file, never a panic.
func TestCorrupt(t *testing.T) {
	good := build().Bytes()
	check := func(name string, data []byte) {
		t.Helper()
		f, err := Parse(name, data)
		if err == nil {
			err = readAll(f)
		}
		if err != nil && !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
	for n := 0; n < len(good); n += 7 {
		check("truncated.h5", good[:n])
	}
	if _, err := Parse("short.h5", good[:40]); err == nil {
		t.Error("a file cut inside its superblock reads")
	}
	if _, err := Parse("text.h5", []byte("hello, this is no HDF5 file at all")); err == nil || !strings.Contains(err.Error(), "not an HDF5 file") {
		t.Errorf("text: %v", err)
	}
	for i := 0; i < len(good); i += 3 {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0xa5
		check("flipped.h5", bad)
	}
}

// readAll reads every dataset of a file, returning the first error.
func readAll(f *File) error {
	var first error
	visits := 0
	var walk func(g *Group, depth int)
	walk = func(g *Group, depth int) {
		if depth > 10 {
			return
		}
		for _, name := range g.Names() {
			if visits++; visits > 2000 {
				return // a group that holds itself
			}
			if sub, err := g.Group(name); err == nil {
				walk(sub, depth+1)
				continue
			}
			d, err := g.Dataset(name)
			if err == nil && d.Count() < 1<<20 {
				if d.Type.Class == String {
					_, err = d.Strings()
				} else {
					_, err = d.Float32()
				}
			}
			if err != nil && first == nil {
				first = err
			}
		}
	}
	walk(f.Root(), 0)
	return first
}

// FuzzParse: no input makes the reader panic or hang.
func FuzzParse(f *testing.F) {
	f.Add(build().Bytes())
	small := NewBuilder()
	small.Root().Float32("x", []int{2}, []float32{1, 2})
	f.Add(small.Bytes())
	if data, err := os.ReadFile("testdata/fuzz_seed_latest.h5"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if file, err := Parse("fuzz.h5", data); err == nil {
			readAll(file)
		}
	})
}

// TestSuperblockV1 reads a version 1 superblock (the writer's file with its superblock
// rewritten: v1 adds the indexed-storage K after the flags).
func TestSuperblockV1(t *testing.T) {
	good := build().Bytes()
	// v1 is 4 bytes longer; the writer leaves room after its 96-byte superblock.
	v1 := append([]byte(nil), good...)
	copy(v1[28:100], good[24:96])
	v1[8] = 1
	binary.LittleEndian.PutUint16(v1[24:], 32)
	binary.LittleEndian.PutUint16(v1[26:], 0)
	f, err := Parse("v1.h5", v1)
	if err != nil {
		t.Fatal(err)
	}
	if err := readAll(f); err != nil {
		t.Fatal(err)
	}
	d, _ := f.Dataset("double")
	if v, _ := d.Float64(); v[1] != -1e300 || math.IsNaN(v[0]) {
		t.Errorf("double: %v", v)
	}
}
