package datum

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// Sizes of the CIFAR-10 and CIFAR-100 binary formats.
const (
	CIFARSize       = 32                        // images are 32×32
	CIFARImageBytes = 3 * CIFARSize * CIFARSize // R plane, G plane, B plane, rows of 32 bytes
	CIFAR10Record   = 1 + CIFARImageBytes       // label, pixels
	CIFAR100Record  = 2 + CIFARImageBytes       // coarse label, fine label, pixels
)

// CIFARRecord is one image of a CIFAR binary file.
type CIFARRecord struct {
	Label  uint8  // the class (CIFAR-10) or the fine class (CIFAR-100)
	Coarse uint8  // CIFAR-100's superclass; 0 for CIFAR-10
	Pixels []byte // 3072 bytes: the R, G and B planes, 32×32 each
}

// CIFARFile reads the records of a CIFAR-10 (data_batch_N.bin, test_batch.bin) or
// CIFAR-100 (train.bin, test.bin) binary file.
type CIFARFile struct {
	Path  string
	Count int // number of records
	f     *os.File
	r     *bufio.Reader
	size  int // bytes per record
	next  int
	buf   []byte
}

// OpenCIFAR10 opens a CIFAR-10 binary file: records of a label byte and 3072 pixels.
func OpenCIFAR10(path string) (*CIFARFile, error) { return openCIFAR(path, CIFAR10Record, "CIFAR-10") }

// OpenCIFAR100 opens a CIFAR-100 binary file: records of a coarse and a fine label
// byte and 3072 pixels.
func OpenCIFAR100(path string) (*CIFARFile, error) {
	return openCIFAR(path, CIFAR100Record, "CIFAR-100")
}

func openCIFAR(path string, size int, what string) (*CIFARFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a directory, not a %s binary file", path, what)
	}
	if fi.Size()%int64(size) != 0 {
		f.Close()
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of %s records of %d bytes (%d records and %d bytes over)",
			path, fi.Size(), what, size, fi.Size()/int64(size), fi.Size()%int64(size))
	}
	return &CIFARFile{
		Path:  path,
		Count: int(fi.Size() / int64(size)),
		f:     f,
		r:     bufio.NewReaderSize(f, 1<<16),
		size:  size,
		buf:   make([]byte, size),
	}, nil
}

// Next reads the next record. Its Pixels alias a buffer that the following call
// overwrites. It returns io.EOF after the last record.
func (c *CIFARFile) Next() (CIFARRecord, error) {
	if c.next >= c.Count {
		return CIFARRecord{}, io.EOF
	}
	if _, err := io.ReadFull(c.r, c.buf); err != nil {
		return CIFARRecord{}, fmt.Errorf("%s: reading record %d of %d: %w", c.Path, c.next, c.Count, err)
	}
	c.next++
	if c.size == CIFAR100Record {
		return CIFARRecord{Coarse: c.buf[0], Label: c.buf[1], Pixels: c.buf[2:]}, nil
	}
	return CIFARRecord{Label: c.buf[0], Pixels: c.buf[1:]}, nil
}

// Close closes the file.
func (c *CIFARFile) Close() error { return c.f.Close() }
