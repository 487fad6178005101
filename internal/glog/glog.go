// Package glog writes log lines in the layout of Google's glog, which Caffe uses, so
// that the tools written for Caffe's logs (parse_log.py, parse_log.sh,
// extract_seconds.py, plot_training_log.py) read gocaffe's logs unchanged.
//
// A line is
//
//	Lmmdd hh:mm:ss.uuuuuu TTTTT file:line] message
//
// with L one of I, W, E, F and TTTTT the process id right-aligned in five columns.
// This is glog's classic prefix, without the year that glog 0.6 added, because
// extract_seconds.py reads the month from the second and third characters.
package glog

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

var (
	mu  sync.Mutex
	out io.Writer = os.Stderr
	pid           = os.Getpid()
	now           = time.Now
	// quiet suppresses INFO lines (warnings and errors still print).
	quiet bool
	// filter, when set, chooses the lines written (after quiet).
	filter Filter
)

// Filter reports whether a line of the given severity ('I', 'W', 'E' or 'F') and
// message is written.
type Filter func(severity byte, msg string) bool

// SetFilter makes f choose which lines are written (nil: every line quiet lets
// through) and returns the previous filter. f is called with the logger's lock held:
// it must not log.
func SetFilter(f Filter) Filter {
	mu.Lock()
	defer mu.Unlock()
	prev := filter
	filter = f
	return prev
}

// MinLevel returns a filter that writes the lines of severity level and above, in
// glog's numbering (GLOG_minloglevel: 0 INFO, 1 WARNING, 2 ERROR, 3 FATAL), and
// the INFO lines keep reports, when keep is not nil and level is 1 (WARNING).
func MinLevel(level int, keep func(msg string) bool) Filter {
	return func(severity byte, msg string) bool {
		if severityLevel(severity) >= level {
			return true
		}
		return level == 1 && severity == 'I' && keep != nil && keep(msg)
	}
}

// severityLevel is glog's number of a severity letter.
func severityLevel(severity byte) int {
	switch severity {
	case 'I':
		return 0
	case 'W':
		return 1
	case 'E':
		return 2
	}
	return 3
}

// SetOutput sends every following line to w and returns the previous writer.
func SetOutput(w io.Writer) io.Writer {
	mu.Lock()
	defer mu.Unlock()
	prev := out
	out = w
	return prev
}

// SetQuiet turns INFO lines off (true) or on (false) and returns the previous setting.
func SetQuiet(q bool) bool {
	mu.Lock()
	defer mu.Unlock()
	prev := quiet
	quiet = q
	return prev
}

// Infof logs an INFO line.
func Infof(format string, args ...any) { write('I', 1, fmt.Sprintf(format, args...)) }

// Warningf logs a WARNING line.
func Warningf(format string, args ...any) { write('W', 1, fmt.Sprintf(format, args...)) }

// Errorf logs an ERROR line. It does not stop the program: gocaffe returns errors.
func Errorf(format string, args ...any) { write('E', 1, fmt.Sprintf(format, args...)) }

// InfoDepthf logs an INFO line attributed to the caller depth frames above its caller,
// for helpers that log on behalf of their callers.
func InfoDepthf(depth int, format string, args ...any) {
	write('I', 1+depth, fmt.Sprintf(format, args...))
}

// Header returns the prefix glog would write for a line of the given severity at time t,
// from file:line. It is exported for tests that build expected lines.
func Header(severity byte, t time.Time, file string, line int) string {
	_, month, day := t.Date()
	return fmt.Sprintf("%c%02d%02d %02d:%02d:%02d.%06d %5d %s:%d] ",
		severity, int(month), day, t.Hour(), t.Minute(), t.Second(), t.Nanosecond()/1000,
		pid, file, line)
}

func write(severity byte, depth int, msg string) {
	_, file, line, ok := runtime.Caller(depth + 1)
	if !ok {
		file, line = "???", 0
	}
	file = filepath.Base(file)
	t := now()
	mu.Lock()
	defer mu.Unlock()
	if severity == 'I' && quiet || filter != nil && !filter(severity, msg) {
		return
	}
	// Multi-line messages get a prefix on every line, as glog does not; parsers that
	// match on a line's content then never see a bare continuation.
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		b.WriteString(Header(severity, t, file, line))
		b.WriteString(l)
		b.WriteByte('\n')
	}
	io.WriteString(out, b.String())
}
