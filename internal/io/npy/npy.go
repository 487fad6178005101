// Package npy writes and reads NumPy's .npy files of float32 arrays (format version
// 1.0, little-endian '<f4', C order): what numpy.load reads and numpy.save writes.
//
// A Writer streams rows of a fixed shape and learns the number of rows only at the end,
// so its header leaves room for any row count and is rewritten by Close.
package npy

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/gocaffe/gocaffe/internal/io/staging"
)

// magic starts every .npy file.
const magic = "\x93NUMPY"

// header returns the header of a version 1.0 file of the given shape, padded with
// spaces so that the data starts at a multiple of 64 bytes and, with padTo > 0, the
// header is exactly padTo bytes long.
func header(shape []int, padTo int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	s := strings.Join(dims, ", ")
	if len(shape) == 1 {
		s += ","
	}
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", s)
	total := len(magic) + 4 + len(dict) + 1 // the version, the length, the dict and '\n'
	if padTo > total {
		total = padTo
	} else {
		total = (total + 63) / 64 * 64
	}
	h := make([]byte, 0, total)
	h = append(h, magic...)
	h = append(h, 1, 0)
	h = binary.LittleEndian.AppendUint16(h, uint16(total-len(magic)-4))
	h = append(h, dict...)
	for len(h) < total-1 {
		h = append(h, ' ')
	}
	return append(h, '\n')
}

// Writer writes a .npy file of float32 rows of one shape.
type Writer struct {
	path   string
	f      *staging.File
	w      *bufio.Writer
	row    []int // the shape of one row
	rows   int
	hdrLen int
	buf    []byte
	err    error
}

// Create starts a .npy file at path (through a staged file beside it that Close renames
// into place) for rows of the given shape: the file's shape is (rows, row...).
func Create(path string, row []int) (*Writer, error) {
	for _, d := range row {
		if d < 0 {
			return nil, fmt.Errorf("%s: row shape %v has a negative dimension", path, row)
		}
	}
	f, err := staging.CreateFile(path)
	if err != nil {
		return nil, err
	}
	w := &Writer{path: path, f: f, w: bufio.NewWriterSize(f, 1<<20), row: append([]int(nil), row...)}
	// Room for any row count: the longest int.
	h := header(append([]int{math.MaxInt64}, row...), 0)
	w.hdrLen = len(h)
	if _, err := w.w.Write(h); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

// rowLen is the number of values in a row.
func (w *Writer) rowLen() int {
	n := 1
	for _, d := range w.row {
		n *= d
	}
	return n
}

// Write appends one or more whole rows.
func (w *Writer) Write(values []float32) error {
	if w.err != nil {
		return w.err
	}
	n := w.rowLen()
	if (n == 0 && len(values) != 0) || (n > 0 && len(values)%n != 0) {
		return fmt.Errorf("%s: %d values are not whole rows of %d", w.path, len(values), n)
	}
	w.buf = w.buf[:0]
	for _, v := range values {
		w.buf = binary.LittleEndian.AppendUint32(w.buf, math.Float32bits(v))
	}
	if _, err := w.w.Write(w.buf); err != nil {
		w.err = fmt.Errorf("writing %s: %w", w.path, err)
		return w.err
	}
	if n > 0 {
		w.rows += len(values) / n
	}
	return nil
}

// AddRows counts rows of a zero-sized shape, which have no values to Write.
func (w *Writer) AddRows(n int) { w.rows += n }

// Rows is the number of rows written.
func (w *Writer) Rows() int { return w.rows }

// Close writes the final header and moves the file into place.
func (w *Writer) Close() error {
	if w.err != nil {
		w.Abort()
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.Abort()
		return fmt.Errorf("writing %s: %w", w.path, err)
	}
	h := header(append([]int{w.rows}, w.row...), w.hdrLen)
	if _, err := w.f.WriteAt(h, 0); err != nil {
		w.Abort()
		return fmt.Errorf("writing %s: %w", w.path, err)
	}
	return w.f.Commit(0o644)
}

// Abort discards the file being written.
func (w *Writer) Abort() {
	w.f.Abort()
}

// headerDict matches the dict of a float32 C-order header.
var headerDict = regexp.MustCompile(`^\{'descr': '(<f4|<f8)', 'fortran_order': False, 'shape': \(([0-9, ]*)\), \}\s*$`)

// Read reads a .npy file of little-endian float32 or float64 values in C order and
// returns its shape and values (as float32).
func Read(path string) ([]int, []float32, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	shape, vals, err := parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return shape, vals, nil
}

func parse(data []byte) ([]int, []float32, error) {
	if len(data) < 10 || string(data[:6]) != magic {
		return nil, nil, errors.New("not a .npy file (no \\x93NUMPY magic)")
	}
	var hlen, start int
	switch data[6] {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(data[8:10])), 10
	case 2, 3:
		if len(data) < 12 {
			return nil, nil, io.ErrUnexpectedEOF
		}
		hlen, start = int(binary.LittleEndian.Uint32(data[8:12])), 12
	default:
		return nil, nil, fmt.Errorf("format version %d.%d, want 1.0, 2.0 or 3.0", data[6], data[7])
	}
	if start+hlen > len(data) {
		return nil, nil, fmt.Errorf("header of %d bytes, the file has %d", hlen, len(data)-start)
	}
	m := headerDict.FindStringSubmatch(string(data[start : start+hlen]))
	if m == nil {
		return nil, nil, fmt.Errorf("header %q: want little-endian float32 or float64 values in C order", data[start:start+hlen])
	}
	var shape []int
	count := 1
	for _, f := range strings.Split(m[2], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.Atoi(f)
		if err != nil || d < 0 {
			return nil, nil, fmt.Errorf("shape (%s): bad dimension %q", m[2], f)
		}
		shape = append(shape, d)
		count *= d
	}
	body := data[start+hlen:]
	size := 4
	if m[1] == "<f8" {
		size = 8
	}
	if len(body) != count*size {
		return nil, nil, fmt.Errorf("shape %v needs %d bytes of data, the file has %d", shape, count*size, len(body))
	}
	vals := make([]float32, count)
	for i := range vals {
		if size == 4 {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:]))
		} else {
			vals[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(body[8*i:])))
		}
	}
	return shape, vals, nil
}
