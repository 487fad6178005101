package logparse

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"strings"
)

// WriteCSV writes rows as parse_log.py's write_csv does: a header of the first
// row's columns (NumIters, Seconds, LearningRate, then the outputs), one line per
// row, Python's csv.excel dialect (CRLF line ends) with the given delimiter, and each
// number as Python's repr writes it (100.0, 0.0001, 1e-05, nan). A column a row lacks
// is left empty, as csv.DictWriter leaves it. No rows write nothing, as parse_log.py
// writes no file for them.
func WriteCSV(w io.Writer, rows []*Row, delimiter rune) error {
	if len(rows) == 0 {
		return nil
	}
	cw := csv.NewWriter(w)
	cw.Comma = delimiter
	cw.UseCRLF = true
	columns := rows[0].Columns()
	if err := cw.Write(columns); err != nil {
		return err
	}
	record := make([]string, len(columns))
	for _, r := range rows {
		for i, c := range columns {
			record[i] = ""
			if v, ok := r.Value(c); ok {
				record[i] = PyFloat(v)
			}
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// PyFloat writes v as Python's repr(float) does: the shortest digits that read back
// as v, in positional notation from 1e-4 up to 1e16 (with ".0" when there is no
// fraction) and in exponent notation outside it.
func PyFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	e := strconv.FormatFloat(v, 'e', -1, 64)
	exp, err := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if err == nil && (exp < -4 || exp >= 16) {
		return e
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
