package layers

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/io/lmdb"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// recordDB is a read-only database of records in key order.
type recordDB interface {
	Cursor() recordCursor
	Len() (uint64, error)
	Close() error
}

// recordCursor walks a recordDB.
type recordCursor interface {
	First() bool
	Next() bool
	Key() []byte
	Value() []byte
	Err() error
	Skip(n uint64) error
}

func openRecordDB(backend caffepb.DataParameter_DB, source string) (recordDB, error) {
	if backend != caffepb.DataParameter_LMDB {
		return nil, fmt.Errorf("backend %v not supported yet", backend)
	}
	db, err := lmdb.Open(source)
	if err != nil {
		return nil, err
	}
	return lmdbDB{db}, nil
}

type lmdbDB struct{ db *lmdb.DB }

func (d lmdbDB) Cursor() recordCursor { return lmdbCursor{d.db.Cursor()} }
func (d lmdbDB) Len() (uint64, error) { return uint64(d.db.Len()), nil }
func (d lmdbDB) Close() error         { return d.db.Close() }

type lmdbCursor struct{ *lmdb.Cursor }

func (c lmdbCursor) Skip(n uint64) error {
	if n == 0 {
		return nil
	}
	if !c.Cursor.Skip(n) {
		if c.Err() != nil {
			return c.Err()
		}
		return fmt.Errorf("fewer than %d records", n)
	}
	return nil
}
