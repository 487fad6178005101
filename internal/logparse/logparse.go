// Package logparse reads training logs written by Caffe or gocaffe the way Caffe's
// tools/extra/parse_log.py does — its four regular expressions, its row-building
// rules and its quirks — and reads glog timestamps in both the classic prefix
// (I1126 21:30:00.123456) and the with-year prefix of glog 0.6 and later
// (I20261126 21:30:00.123456), which parse_log.py's extract_seconds.py cannot.
package logparse

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The regular expressions of parse_log.py, as they are there.
var (
	reIteration    = regexp.MustCompile(`Iteration (\d+)`)
	reTrainOutput  = regexp.MustCompile(`Train net output #(\d+): (\S+) = ([\.\deE+-]+)`)
	reTestOutput   = regexp.MustCompile(`Test net output #(\d+): (\S+) = ([\.\deE+-]+)`)
	reLearningRate = regexp.MustCompile(`lr = ([-+]?[0-9]*\.?[0-9]+([eE]?[-+]?[0-9]+)?)`)

	// parse_log.sh's: the lines holding ", loss = ", which are the display lines.
	reDisplayLoss = regexp.MustCompile(`Iteration \d+.*, loss = ([-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)`)

	// Caffe's suffix of an output with a loss weight: "loss = 2.3 (* 0.3 = 0.69 loss)".
	reLossWeight = regexp.MustCompile(`net output #\d+: (\S+) = [\.\deE+-]+ \(\* ([\.\deE+-]+) = [\.\deE+-]+ loss\)`)
)

// Row is one row of parse_log.py's .train or .test table.
type Row struct {
	NumIters     float64
	Seconds      float64
	LearningRate float64 // NaN until the log has printed a rate
	// Outputs holds the values of the net outputs by name; Names their order.
	Outputs map[string]float64
	Names   []string
}

// Columns returns the row's column names as parse_log.py writes them:
// NumIters, Seconds, LearningRate, then the outputs in the order they appeared.
func (r *Row) Columns() []string {
	return append([]string{"NumIters", "Seconds", "LearningRate"}, r.Names...)
}

// Value returns the named column's value and whether the row has it.
func (r *Row) Value(column string) (float64, bool) {
	switch column {
	case "NumIters":
		return r.NumIters, true
	case "Seconds":
		return r.Seconds, true
	case "LearningRate":
		return r.LearningRate, true
	}
	v, ok := r.Outputs[column]
	return v, ok
}

func (r *Row) set(name string, v float64) {
	if _, ok := r.Outputs[name]; !ok {
		r.Names = append(r.Names, name)
	}
	r.Outputs[name] = v
}

// Point is a value logged at an iteration.
type Point struct {
	NumIters, Seconds, Value float64
}

// Log is a parsed training log: parse_log.py's train and test tables, and the
// series parse_log.sh extracts for plot_training_log.py.
type Log struct {
	Train, Test []*Row
	// Loss holds the displayed (smoothed) training loss of every
	// "Iteration N ..., loss = L" line, LearningRate the rate of every
	// "Iteration N, lr = X" line: parse_log.sh's TrainingLoss and LearningRate.
	Loss, LearningRate []Point
	// LossWeight holds the loss weight of each net output Caffe printed with one
	// ("loss = 2.3 (* 0.3 = 0.69 loss)"): the outputs that are losses, and how much
	// each counts in the net's loss.
	LossWeight map[string]float64
}

// Parse reads a log as parse_log.py does. year is the year of classic-prefix
// timestamps, which carry none (parse_log.py takes the log file's ctime year; a
// month that goes backwards moves to the next year, as it does). Lines before the
// first "Iteration" line are skipped, and so are lines whose timestamp does not
// parse. Seconds count from the line that contains "Solving".
func Parse(r io.Reader, year int) (*Log, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var (
		start, last  time.Time
		haveStart    bool
		iteration    = -1.0
		learningRate = math.NaN()
		train, test  []*Row
		loss, lrs    []Point
		trainRow     *Row
		testRow      *Row
		lossWeight   = map[string]float64{}
	)
	for sc.Scan() {
		line := sc.Text()
		if !haveStart {
			// extract_seconds.get_start_time: the first line holding "Solving".
			if strings.Contains(line, "Solving") {
				t, err := ParseTime(line, year)
				if err != nil {
					return nil, fmt.Errorf("the 'Solving' line's timestamp: %w", err)
				}
				start, last, haveStart = t, t, true
			}
			// parse_log.py reads on from the line after it, so nothing before
			// the "Solving" line counts.
			continue
		}
		if m := reIteration.FindStringSubmatch(line); m != nil {
			iteration, _ = strconv.ParseFloat(m[1], 64)
		}
		if iteration == -1 {
			continue
		}
		t, err := ParseTime(line, year)
		if err != nil {
			continue
		}
		if !hasYear(line) && t.Month() < last.Month() {
			year++
			t = t.AddDate(1, 0, 0)
		}
		last = t
		// timedelta.total_seconds(): whole microseconds over 10⁶, rounded once.
		seconds := float64(t.Sub(start).Microseconds()) / 1e6
		if m := reLearningRate.FindStringSubmatch(line); m != nil {
			learningRate, _ = strconv.ParseFloat(m[1], 64)
			lrs = append(lrs, Point{iteration, seconds, learningRate})
		}
		if m := reDisplayLoss.FindStringSubmatch(line); m != nil {
			if v, err := strconv.ParseFloat(m[1], 64); err == nil {
				loss = append(loss, Point{iteration, seconds, v})
			}
		}
		if m := reLossWeight.FindStringSubmatch(line); m != nil {
			if w, err := strconv.ParseFloat(m[2], 64); err == nil {
				lossWeight[m[1]] = w
			}
		}
		train, trainRow = parseOutput(reTrainOutput, trainRow, train, line, iteration, seconds, learningRate)
		test, testRow = parseOutput(reTestOutput, testRow, test, line, iteration, seconds, learningRate)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !haveStart {
		return nil, errors.New("no line contains \"Solving\": not a training log (parse_log.py needs it for the start time)")
	}
	fixInitialNaNLearningRate(train)
	fixInitialNaNLearningRate(test)
	return &Log{Train: train, Test: test, Loss: loss, LearningRate: lrs, LossWeight: lossWeight}, nil
}

// parseOutput is parse_log.py's parse_line_for_net_output. Like it, it leaves a
// row that is never completed (the last, when it has fewer columns than the first)
// out of the table.
func parseOutput(re *regexp.Regexp, row *Row, rows []*Row, line string, iteration, seconds, lr float64) ([]*Row, *Row) {
	if m := re.FindStringSubmatch(line); m != nil {
		if row == nil || row.NumIters != iteration {
			if row != nil {
				rows = append(rows, row)
			}
			row = &Row{NumIters: iteration, Seconds: seconds, LearningRate: lr, Outputs: map[string]float64{}}
		}
		// Python's float() takes what the regexp matched; a match it cannot read
		// ("1e", "-") stops parse_log.py with an error, and stops no one here.
		if v, err := strconv.ParseFloat(m[3], 64); err == nil {
			row.set(m[2], v)
		}
	}
	if row != nil && len(rows) >= 1 && len(row.Names) == len(rows[0].Names) {
		rows = append(rows, row)
		row = nil
	}
	return rows, row
}

// fixInitialNaNLearningRate copies the second row's rate into the first, whose
// rate the log has not printed yet.
func fixInitialNaNLearningRate(rows []*Row) {
	if len(rows) > 1 {
		rows[0].LearningRate = rows[1].LearningRate
	}
}

// hasYear reports whether a line's glog prefix carries the year (Lyyyymmdd).
func hasYear(line string) bool {
	f, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	return len(f) == 9
}

// ParseTime reads the timestamp of a glog line: "Lmmdd hh:mm:ss.uuuuuu ..." with
// the given year, or "Lyyyymmdd hh:mm:ss.uuuuuu ..." with its own. L is the
// severity letter (I, W, E, F).
func ParseTime(line string, year int) (time.Time, error) {
	fields := strings.Fields(line)
	if len(fields) < 2 || len(fields[0]) < 5 {
		return time.Time{}, fmt.Errorf("no glog timestamp in %q", line)
	}
	date := fields[0][1:]
	switch len(date) {
	case 4:
	case 8:
		y, err := strconv.Atoi(date[:4])
		if err != nil {
			return time.Time{}, fmt.Errorf("bad year in %q", fields[0])
		}
		year, date = y, date[4:]
	default:
		return time.Time{}, fmt.Errorf("bad glog date %q", fields[0])
	}
	month, err1 := strconv.Atoi(date[:2])
	day, err2 := strconv.Atoi(date[2:])
	clock, frac, ok := strings.Cut(fields[1], ".")
	hms := strings.Split(clock, ":")
	if err1 != nil || err2 != nil || !ok || len(hms) != 3 || len(frac) == 0 {
		return time.Time{}, fmt.Errorf("bad glog timestamp %q", fields[0]+" "+fields[1])
	}
	var v [3]int
	for i, s := range hms {
		n, err := strconv.Atoi(s)
		if err != nil {
			return time.Time{}, fmt.Errorf("bad glog time %q", fields[1])
		}
		v[i] = n
	}
	usec, err := strconv.Atoi(frac)
	if err != nil || usec < 0 {
		return time.Time{}, fmt.Errorf("bad glog time %q", fields[1])
	}
	// datetime() refuses out-of-range fields; so does this.
	if month < 1 || month > 12 || day < 1 || day > 31 || v[0] > 23 || v[1] > 59 || v[2] > 59 || usec > 999999 {
		return time.Time{}, fmt.Errorf("glog timestamp out of range: %q", fields[0]+" "+fields[1])
	}
	t := time.Date(year, time.Month(month), day, v[0], v[1], v[2], usec*1000, time.UTC)
	if t.Day() != day {
		return time.Time{}, fmt.Errorf("no day %d in month %d: %q", day, month, fields[0])
	}
	return t, nil
}
