package datum

import (
	"bufio"
	"compress/flate"
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

// MaxMNISTSide is the largest number of rows or columns an idx image file may
// announce: a damaged header must give an error, not an image buffer of gigabytes.
const MaxMNISTSide = 1 << 14

// idxFile is an open idx file, gzipped or not, positioned after its header.
type idxFile struct {
	path   string
	f      *os.File
	gz     *gzipMembers
	r      *bufio.Reader
	offset int64 // bytes of the (uncompressed) stream read so far
}

// gzipMembers reads the concatenated members of a gzip file, as gunzip does, each
// to its end, so that every member's checksum and length are checked. Bytes after
// the last member that do not start another are counted, not read as data.
type gzipMembers struct {
	raw     *bufio.Reader
	z       *gzip.Reader
	garbage int64 // bytes after the last member
}

func newGzipMembers(raw *bufio.Reader) (*gzipMembers, error) {
	z, err := gzip.NewReader(raw)
	if err != nil {
		return nil, err
	}
	z.Multistream(false)
	return &gzipMembers{raw: raw, z: z}, nil
}

func (g *gzipMembers) Read(p []byte) (int, error) {
	for {
		n, err := g.z.Read(p)
		if err != io.EOF {
			return n, err
		}
		if n > 0 {
			return n, nil
		}
		// The member ended and its checksum matched. Another may follow.
		head, _ := g.raw.Peek(2)
		switch {
		case len(head) == 0:
			return 0, io.EOF
		case len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b:
			if err := g.z.Reset(g.raw); err != nil {
				return 0, err
			}
			g.z.Multistream(false)
		default:
			n, err := io.Copy(io.Discard, g.raw)
			g.garbage += n
			if err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
	}
}

// streamError says what a read error means: a damaged gzip file, or one the system
// could not read.
func (x *idxFile) streamError(what string, err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, gzip.ErrChecksum):
		return fmt.Errorf("%s: the gzip data is corrupt (its checksum does not match; the file is damaged: fetch it again): %w", x.path, err)
	case errors.As(err, &corrupt), errors.Is(err, gzip.ErrHeader):
		return fmt.Errorf("%s: the gzip data is corrupt while reading %s (the file is damaged: fetch it again): %w", x.path, what, err)
	}
	return fmt.Errorf("%s: reading %s: %w", x.path, what, err)
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
		x.gz, err = newGzipMembers(br)
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

// checkSize refuses a plain (not gzipped) file shorter than the header and the
// bytes of the records it announces, before anything is converted.
func (x *idxFile) checkSize(records int64) error {
	if x.gz != nil {
		return nil // known only once read
	}
	fi, err := x.f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	if want := x.offset + records; fi.Size() < want {
		return fmt.Errorf("%s: the header announces %d bytes of records after its %d bytes, but the file holds %d bytes: truncated",
			x.path, records, x.offset, fi.Size())
	}
	return nil
}

// read fills b from the stream; a short read is an error naming what was being read.
func (x *idxFile) read(b []byte, what string) error {
	n, err := io.ReadFull(x.r, b)
	x.offset += int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s: file ends at byte %d while reading %s: truncated", x.path, x.offset, what)
		}
		return x.streamError(what, err)
	}
	return nil
}

// finish reads the stream to its end — which checks a gzip file's checksums — and
// returns the number of bytes after the last record: data bytes, then bytes after
// the last gzip member.
func (x *idxFile) finish() (int64, error) {
	n, err := io.Copy(io.Discard, x.r)
	if err != nil {
		return 0, x.streamError("the end of the file", err)
	}
	if x.gz != nil {
		n += x.gz.garbage
	}
	return n, nil
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
	if d[1] > MaxMNISTSide || d[2] > MaxMNISTSide {
		x.Close()
		return nil, fmt.Errorf("%s: the header announces images of %d×%d pixels, more than the %d×%d an idx image file can hold here: the file is damaged or not an MNIST image file",
			path, d[1], d[2], MaxMNISTSide, MaxMNISTSide)
	}
	if err := x.checkSize(int64(d[0]) * int64(d[1]) * int64(d[2])); err != nil {
		x.Close()
		return nil, err
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

// Finish reads the file to its end, after the last image: a gzipped file's
// checksum is checked only there, so a damaged file is an error only once Finish has
// run. It returns the number of bytes after the last image, which a well-formed file
// does not have.
func (m *MNISTImages) Finish() (trailing int64, err error) { return m.x.finish() }

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
	if err := x.checkSize(int64(d[0])); err != nil {
		x.Close()
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

// Finish reads the file to its end, after the last label, as MNISTImages.Finish.
func (m *MNISTLabels) Finish() (trailing int64, err error) { return m.x.finish() }

// Close closes the file.
func (m *MNISTLabels) Close() error { return m.x.Close() }
