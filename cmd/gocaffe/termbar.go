package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/gocaffe/gocaffe/internal/glog"
	progressui "github.com/gocaffe/gocaffe/internal/progress"
)

// stderrIsTerminal reports whether progress bars can be drawn.
func stderrIsTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }

// stderrWidth is the terminal's width in columns, 0 when unknown.
func stderrWidth() int {
	w, _, err := term.GetSize(int(os.Stderr.Fd()))
	if err != nil {
		return 0
	}
	return w
}

// termbar is a progress bar drawn where the log goes (standard error), with the log
// lines passing above it while it is shown.
type termbar struct {
	bar   *progressui.Bar
	meter *progressui.Meter
	log   io.Writer // the log's writer before the bar took it over
}

// newTermbar starts a bar counting to total when standard error is a terminal, and
// returns nil otherwise.
func newTermbar(label string, total int) *termbar {
	if !stderrIsTerminal() {
		return nil
	}
	return startTermbar(label, 0, total)
}

// startTermbar starts a bar counting from count to total, whatever standard error
// is, and routes the log through it until finish.
func startTermbar(label string, count, total int) *termbar {
	prev := glog.SetOutput(io.Discard)
	b := &termbar{
		bar:   progressui.NewBar(prev, label, total, stderrWidth),
		meter: progressui.NewMeter(count, total, time.Now()),
		log:   prev,
	}
	glog.SetOutput(b.bar)
	return b
}

// set moves the bar to count, with the rate and the time left after it. A nil bar
// does nothing, as do its other methods.
func (b *termbar) set(count int) {
	if b == nil {
		return
	}
	r := b.meter.Read(count, time.Now())
	b.setText(count, readingText(r, ""))
}

// setText moves the bar to count with text after it.
func (b *termbar) setText(count int, text string) {
	if b != nil {
		b.bar.Set(count, text)
	}
}

// finish draws the bar's last state, ends its line and gives the log its writer back.
func (b *termbar) finish() {
	if b == nil {
		return
	}
	b.bar.Finish()
	glog.SetOutput(b.log)
}

// readingText is "R unit/s, T left" for a reading (the rate since the start), or ""
// before there is a rate; unit defaults to "/s" alone.
func readingText(r progressui.Reading, unit string) string {
	if !r.LeftKnown {
		return ""
	}
	if unit != "" {
		unit = " " + unit
	}
	return fmt.Sprintf("%s%s/s, %s left", progressui.Rate(r.MeanRate), unit, progressui.Duration(r.Left))
}
