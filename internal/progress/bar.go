package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Bar draws one line at the bottom of a terminal — a label, a bar, the percentage,
// the count and a text the caller chooses — and redraws it in place as the count
// advances. It is also a writer: lines written to it (a log's) appear above the bar,
// which is redrawn under them, so a command can log and show progress on one stream.
//
// The line is cleared with spaces rather than an escape sequence, so any terminal
// that honours a carriage return shows it right. A Bar is safe for concurrent use.
type Bar struct {
	mu    sync.Mutex
	w     io.Writer
	width func() int
	now   func() time.Time
	// Throttle is the least time between two redraws caused by Set (default 100 ms);
	// Finish and lines written through the Bar always redraw.
	throttle time.Duration

	label    string
	count    int
	total    int
	text     string
	drawn    int // columns of the line on the terminal, 0 when none is
	lastDraw time.Time
	finished bool
}

// NewBar returns a bar labelled label counting towards total on w, a terminal of
// width() columns (a width below 20 is taken as 80). Nothing is drawn until Set.
func NewBar(w io.Writer, label string, total int, width func() int) *Bar {
	return &Bar{w: w, width: width, now: time.Now, throttle: 100 * time.Millisecond, label: label, total: total}
}

// SetClock replaces the clock that throttles redraws (tests).
func (b *Bar) SetClock(now func() time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.now = now
}

// Set moves the bar to count and shows text after it, redrawing at most once per
// throttle interval.
func (b *Bar) Set(count int, text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count, b.text = count, text
	if b.finished {
		return
	}
	if t := b.now(); b.drawn == 0 || t.Sub(b.lastDraw) >= b.throttle || count >= b.total {
		b.redraw()
	}
}

// Finish draws the bar's last state and ends its line; lines written afterwards
// pass straight through.
func (b *Bar) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.redraw()
	io.WriteString(b.w, "\n")
	b.finished, b.drawn = true, 0
}

// Write writes p above the bar: the bar's line is cleared, p written, and the bar
// drawn again under it.
func (b *Bar) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return b.w.Write(p)
	}
	b.clear()
	n, err := b.w.Write(p)
	if err != nil {
		return n, err
	}
	if len(p) > 0 && p[len(p)-1] != '\n' {
		// Keep the bar off a line that is not finished.
		io.WriteString(b.w, "\n")
	}
	b.redraw()
	return n, nil
}

// clear blanks the bar's line and puts the cursor at its start.
func (b *Bar) clear() {
	if b.drawn > 0 {
		io.WriteString(b.w, "\r"+strings.Repeat(" ", b.drawn)+"\r")
		b.drawn = 0
	}
}

func (b *Bar) redraw() {
	line := b.Line()
	b.clear()
	io.WriteString(b.w, line)
	b.drawn = utf8.RuneCountInString(line)
	b.lastDraw = b.now()
}

// Line returns the bar's line as it is drawn now, fitted to the terminal's width
// (one column is left free, so the cursor never wraps).
func (b *Bar) Line() string {
	width := 80
	if b.width != nil {
		if w := b.width(); w >= 20 {
			width = w
		}
	}
	width--
	frac := 0.0
	if b.total > 0 {
		frac = min(1, max(0, float64(b.count)/float64(b.total)))
	}
	head := b.label
	if head != "" {
		head += " "
	}
	head += fmt.Sprintf("%3.0f%% ", 100*frac)
	tail := fmt.Sprintf(" %d/%d", b.count, b.total)
	if b.text != "" {
		tail += "  " + b.text
	}
	// The bar takes what is left, between 10 and 40 cells; the text is cut when
	// even 10 cells do not fit.
	cells := width - utf8.RuneCountInString(head) - utf8.RuneCountInString(tail) - 2
	cells = min(40, cells)
	if cells < 10 {
		cells = 10
		room := width - utf8.RuneCountInString(head) - 12
		tail = truncate(tail, room)
	}
	filled := int(frac * float64(cells))
	bar := strings.Repeat("=", filled)
	if filled < cells {
		bar += ">" + strings.Repeat(" ", cells-filled-1)
	}
	return truncate(head+"["+bar+"]"+tail, width)
}

// truncate cuts s to at most n runes.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}
