package db

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

func TestCountAndFirstValue(t *testing.T) {
	for _, b := range []Backend{LMDB, LevelDB} {
		for _, n := range []int{0, 1, 1001} {
			t.Run(fmt.Sprintf("%v/%d", b, n), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "db")
				recs := testRecords(n)
				write(t, path, b, false, recs)
				got, err := Count(path, b)
				if err != nil || got != n {
					t.Errorf("Count = %d, %v; want %d", got, err, n)
				}
				v, err := FirstValue(path, b)
				switch {
				case n == 0 && !errors.Is(err, ErrEmpty):
					t.Errorf("FirstValue of an empty database: %q, %v; want ErrEmpty", v, err)
				case n > 0 && (err != nil || !bytes.Equal(v, recs[0].value)):
					t.Errorf("FirstValue = %q, %v; want %q", v, err, recs[0].value)
				}
			})
		}
	}
	if _, err := Count(filepath.Join(t.TempDir(), "none"), LMDB); err == nil {
		t.Error("Count of a missing database: no error")
	}
}
