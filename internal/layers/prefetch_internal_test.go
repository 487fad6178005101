package layers

import (
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
)

// panicReader is a batchReader whose records do what no check foresaw.
type panicReader struct {
	n   int
	how func()
}

func (r *panicReader) readBatch(b *batch) error {
	r.n++
	if r.n == 2 {
		r.how()
	}
	return nil
}
func (r *panicReader) where() string           { return "database crafted_lmdb, key \"00000001\"" }
func (r *panicReader) state(s *readerState)    {}
func (r *panicReader) seek(*readerState) error { return nil }

// TestPrefetchPanicIsError: a panic while a batch is read on the
// prefetch goroutine — where it would end the process — reaches the net's goroutine
// as an error naming the record, and every later Forward returns it too.
func TestPrefetchPanicIsError(t *testing.T) {
	for _, tc := range []struct {
		name string
		how  func()
		want string
	}{
		{"index", func() { _ = make([]int, 3)[len("four")] }, "index out of range"},
		{"shape", func() { blob.New(1<<20, 1<<20, 1<<20) }, "more than a blob can hold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPrefetcher(&panicReader{how: tc.how}, 2, []int{1, 1}, true)
			defer p.close()
			top := []*blob.Blob{blob.New(), blob.New()}
			if err := p.next(top); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 2; i++ {
				err := p.next(top)
				if err == nil || !strings.Contains(err.Error(), `crafted_lmdb, key "00000001"`) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("batch 2: %v", err)
				}
			}
		})
	}
}
