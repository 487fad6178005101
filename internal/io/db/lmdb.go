package db

import (
	"github.com/gocaffe/gocaffe/internal/io/lmdb"
)

// lmdbCursor reads an LMDB through the pure-Go reader: values alias the file mapping.
type lmdbCursor struct {
	db *lmdb.DB
	c  *lmdb.Cursor
}

func openLMDB(path string) (cursor, error) {
	d, err := lmdb.Open(path)
	if err != nil {
		return nil, err
	}
	return &lmdbCursor{db: d, c: d.Cursor()}, nil
}

func (l *lmdbCursor) first() bool         { return l.c.First() }
func (l *lmdbCursor) next() bool          { return l.c.Next() }
func (l *lmdbCursor) skip(n int) bool     { return l.c.Skip(uint64(n)) }
func (l *lmdbCursor) key() []byte         { return l.c.Key() }
func (l *lmdbCursor) value() []byte       { return l.c.Value() }
func (l *lmdbCursor) err() error          { return l.c.Err() }
func (l *lmdbCursor) count() (int, error) { return l.db.Len(), nil }
func (l *lmdbCursor) close() error        { return l.db.Close() }

// lmdbSink writes an LMDB with the pure-Go bulk loader.
type lmdbSink struct {
	w *lmdb.Writer
}

func createLMDB(path string, overwrite bool) (sink, error) {
	var opts []lmdb.Option
	if overwrite {
		opts = append(opts, lmdb.Overwrite())
	}
	w, err := lmdb.Create(path, opts...)
	if err != nil {
		return nil, err
	}
	return &lmdbSink{w}, nil
}

func (s *lmdbSink) put(key, value []byte) error { return s.w.Put(key, value) }
func (s *lmdbSink) commit() error               { return s.w.Commit() }
func (s *lmdbSink) abort() error                { return s.w.Abort() }
