package features

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLegacyDims(t *testing.T) {
	for _, tt := range []struct {
		shape   []int
		c, h, w int
		err     string
	}{
		{[]int{10, 500}, 500, 1, 1, ""},
		{[]int{10, 20, 12, 12}, 20, 12, 12, ""},
		{[]int{7}, 1, 1, 1, ""},
		{[]int{1, 2, 3, 4, 5}, 0, 0, 0, "more than 4 axes"},
	} {
		c, h, w, err := legacyDims(tt.shape)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: error %v, want %q", tt.shape, err, tt.err)
			}
			continue
		}
		if err != nil || c != tt.c || h != tt.h || w != tt.w {
			t.Errorf("%v: %d×%d×%d %v, want %d×%d×%d", tt.shape, c, h, w, err, tt.c, tt.h, tt.w)
		}
	}
}

func TestOutputErrors(t *testing.T) {
	dir := t.TempDir()
	o, err := Create(filepath.Join(dir, "a"), NPY)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Add([]int{2, 3}, make([]float32, 6)); err != nil {
		t.Fatal(err)
	}
	if err := o.Add([]int{2, 4}, make([]float32, 8)); err == nil || !strings.Contains(err.Error(), "one array holds items of one shape") {
		t.Errorf("a batch of another shape: %v", err)
	}
	o.Abort()
	d, err := Create(filepath.Join(dir, "db"), LMDB)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Abort()
	if err := d.Add([]int{1, 2, 3, 4, 5}, make([]float32, 120)); err == nil || !strings.Contains(err.Error(), "npy") {
		t.Errorf("a 5-D blob in a database: %v", err)
	}
	if _, err := ParseFormat("hdf5"); err == nil {
		t.Error("ParseFormat(hdf5) succeeded")
	}
	empty, _ := Create(filepath.Join(dir, "empty"), NPY)
	if err := empty.Close(); err == nil || !strings.Contains(err.Error(), "no batch") {
		t.Errorf("closing an empty npy output: %v", err)
	}
}
