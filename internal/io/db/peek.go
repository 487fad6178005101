package db

import "fmt"

// openCursor opens a database's cursor without logging, for looking at a database
// rather than reading it through: its size, its first record.
func openCursor(path string, backend Backend) (cursor, error) {
	var (
		c   cursor
		err error
	)
	switch backend {
	case LMDB:
		c, err = openLMDB(path)
	case LevelDB:
		c, err = openLevelDB(path)
	default:
		return nil, fmt.Errorf("opening %s: unknown database backend %d", path, int(backend))
	}
	if err != nil {
		return nil, openError(path, backend, err)
	}
	return c, nil
}

// Count returns the number of records in the database at path. An LMDB keeps the
// count; a LevelDB is scanned, which takes as long as reading it.
func Count(path string, backend Backend) (int, error) {
	c, err := openCursor(path, backend)
	if err != nil {
		return 0, err
	}
	defer c.close()
	n, err := c.count()
	if err != nil {
		return 0, fmt.Errorf("counting the records of %s: %w", path, err)
	}
	return n, nil
}

// FirstValue returns a copy of the value of the first record of the database at
// path, and an error wrapping ErrEmpty when it has none.
func FirstValue(path string, backend Backend) ([]byte, error) {
	c, err := openCursor(path, backend)
	if err != nil {
		return nil, err
	}
	defer c.close()
	if !c.first() {
		if err := c.err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", path, err)
		}
		return nil, fmt.Errorf("%s: %w", path, ErrEmpty)
	}
	return append([]byte(nil), c.value()...), nil
}
