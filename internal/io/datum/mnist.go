package datum

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Magic numbers of MNIST's idx files: unsigned bytes (0x08) in 3 and 1 dimensions.
const (
	MNISTImageMagic = 2051
	MNISTLabelMagic = 2049
)

// idxFile is an open idx file, gzipped or not, positioned after its header.
type idxFile struct {
	path   string
	f      *os.File
	gz     *gzip.Reader
	r      *bufio.Reader
	offset int64 // bytes of the (uncompressed) stream read so far
}

// openIDX opens an idx file and reads its magic number and dims header dimensions.
func openIDX(path string, magic uint32, dims int, what string) (*idxFile, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	x := &idxFile{path: path, f: f}
	br := bufio.NewReaderSize(f, 1<<16)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		x.gz, err = gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: reading gzip header: %w", path, err)
		}
		x.r = bufio.NewReaderSize(x.gz, 1<<16)
	} else {
		x.r = br
	}
	header := make([]byte, 4+4*dims)
	if err := x.read(header[:4], "the magic number"); err != nil {
		x.Close()
		return nil, nil, err
	}
	got := binary.BigEndian.Uint32(header)
	if got != magic {
		x.Close()
		hint := ""
		switch got {
		case MNISTImageMagic:
			hint = " (it is an MNIST image file)"
		case MNISTLabelMagic:
			hint = " (it is an MNIST label file)"
		}
		return nil, nil, fmt.Errorf("%s: magic number %d, want %d for an MNIST %s file%s", path, got, magic, what, hint)
	}
	if err := x.read(header[4:], "the header"); err != nil {
		x.Close()
		return nil, nil, err
	}
	d := make([]int, dims)
	for i := range d {
		v := binary.BigEndian.Uint32(header[4+4*i:])
		if v > 1<<30 {
			x.Close()
			return nil, nil, fmt.Errorf("%s: header dimension %d is %d, which is not a plausible size", path, i, v)
		}
		d[i] = int(v)
	}
	return x, d, nil
}

// read fills b from the stream; a short read is an error naming what was being read.
func (x *idxFile) read(b []byte, what string) error {
	n, err := io.ReadFull(x.r, b)
	x.offset += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s: file ends at byte %d while reading %s: truncated", x.path, x.offset, what)
		}
		return fmt.Errorf("%s: reading %s: %w", x.path, what, err)
	}
	return nil
}

// trailing reports whether bytes follow the last record.
func (x *idxFile) trailing() bool {
	_, err := x.r.Peek(1)
	return err == nil
}

func (x *idxFile) Close() error { return x.f.Close() }

// MNISTImages reads an MNIST idx3 image file (magic 2051), gzipped or not.
type MNISTImages struct {
	Count, Rows, Cols int
	x                 *idxFile
	next              int
}

// OpenMNISTImages opens an MNIST image file and reads its header.
func OpenMNISTImages(path string) (*MNISTImages, error) {
	x, d, err := openIDX(path, MNISTImageMagic, 3, "image")
	if err != nil {
		return nil, err
	}
	if d[1] == 0 || d[2] == 0 {
		x.Close()
		return nil, fmt.Errorf("%s: images of %d×%d pixels", path, d[1], d[2])
	}
	return &MNISTImages{Count: d[0], Rows: d[1], Cols: d[2], x: x}, nil
}

// Next reads the next image's Rows·Cols pixels into buf, which must be that long.
func (m *MNISTImages) Next(buf []byte) error {
	if m.next >= m.Count {
		return io.EOF
	}
	if err := m.x.read(buf[:m.Rows*m.Cols], fmt.Sprintf("image %d of %d", m.next, m.Count)); err != nil {
		return err
	}
	m.next++
	return nil
}

// Trailing reports whether the file holds bytes after its last image.
func (m *MNISTImages) Trailing() bool { return m.x.trailing() }

// Close closes the file.
func (m *MNISTImages) Close() error { return m.x.Close() }

// MNISTLabels reads an MNIST idx1 label file (magic 2049), gzipped or not.
type MNISTLabels struct {
	Count int
	x     *idxFile
	next  int
	b     [1]byte
}

// OpenMNISTLabels opens an MNIST label file and reads its header.
func OpenMNISTLabels(path string) (*MNISTLabels, error) {
	x, d, err := openIDX(path, MNISTLabelMagic, 1, "label")
	if err != nil {
		return nil, err
	}
	return &MNISTLabels{Count: d[0], x: x}, nil
}

// Next returns the next label.
func (m *MNISTLabels) Next() (uint8, error) {
	if m.next >= m.Count {
		return 0, io.EOF
	}
	if err := m.x.read(m.b[:], fmt.Sprintf("label %d of %d", m.next, m.Count)); err != nil {
		return 0, err
	}
	m.next++
	return m.b[0], nil
}

// Trailing reports whether the file holds bytes after its last label.
func (m *MNISTLabels) Trailing() bool { return m.x.trailing() }

// Close closes the file.
func (m *MNISTLabels) Close() error { return m.x.Close() }
