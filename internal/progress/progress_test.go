package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0.0s"},
		{0, "0.0s"},
		{4200 * time.Millisecond, "4.2s"},
		{42 * time.Second, "42s"},
		{59*time.Second + 600*time.Millisecond, "1m00s"},
		{192 * time.Second, "3m12s"},
		{3720 * time.Second, "1h02m"},
		{51*time.Hour + 20*time.Minute, "2d03h"},
	} {
		if got := Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestRate(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{0.5123, "0.512"},
		{42.34, "42.3"},
		{999.4, "999"},
		{2130.4, "2130"},
		{123456.7, "123457"},
	} {
		if got := Rate(tt.v); got != tt.want {
			t.Errorf("Rate(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestMeter(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	// A run resumed at 1000 of 10000: 500 iterations in the first 10 s, then 500 in 20 s.
	m := NewMeter(1000, 10000, t0)
	for _, tt := range []struct {
		count     int
		at        time.Duration
		rate      float64
		mean      float64
		left      time.Duration
		leftKnown bool
		fraction  float64
	}{
		{1000, 0, 0, 0, 0, false, 0.1},
		{1500, 10 * time.Second, 50, 50, 170 * time.Second, true, 0.15},
		{2000, 30 * time.Second, 25, 1000.0 / 30, 240 * time.Second, true, 0.2},
		{2000, 40 * time.Second, 0, 25, 320 * time.Second, true, 0.2},
		{10000, 400 * time.Second, 8000.0 / 360, 22.5, 0, true, 1},
	} {
		r := m.Read(tt.count, t0.Add(tt.at))
		if !near(r.Rate, tt.rate) || !near(r.MeanRate, tt.mean) || r.LeftKnown != tt.leftKnown ||
			(r.Left-tt.left).Abs() > time.Millisecond || !near(r.Fraction(), tt.fraction) || r.Elapsed != tt.at {
			t.Errorf("at %d, %v: got rate %v mean %v left %v (%v) fraction %v elapsed %v; want %v %v %v (%v) %v",
				tt.count, tt.at, r.Rate, r.MeanRate, r.Left, r.LeftKnown, r.Fraction(), r.Elapsed,
				tt.rate, tt.mean, tt.left, tt.leftKnown, tt.fraction)
		}
	}
	if f := (Reading{Count: 5}).Fraction(); f != 0 {
		t.Errorf("fraction of a zero total = %v", f)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestBarLine(t *testing.T) {
	for _, tt := range []struct {
		name         string
		width        int
		count, total int
		text         string
		want         string
	}{
		{"empty", 80, 0, 100, "", "test   0% [>                                       ] 0/100"},
		{"half", 80, 50, 100, "", "test  50% [====================>                   ] 50/100"},
		{"full", 80, 100, 100, "", "test 100% [========================================] 100/100"},
		{"text", 80, 25, 100, "3m12s left", "test  25% [==========>                             ] 25/100  3m12s left"},
		{"narrow", 40, 50, 100, "", "test  50% [==========>         ] 50/100"},
		{"cut text", 30, 50, 100, "a long text", "test  50% [=====>    ] 50/100"},
		{"tiny terminal", 5, 50, 100, "", "test  50% [====================>                   ] 50/100"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBar(&bytes.Buffer{}, "test", tt.total, func() int { return tt.width })
			b.count, b.text = tt.count, tt.text
			got := b.Line()
			if got != tt.want {
				t.Errorf("Line() =\n%q, want\n%q", got, tt.want)
			}
			w := tt.width
			if w < 20 {
				w = 80
			}
			if n := utf8.RuneCountInString(got); n >= w {
				t.Errorf("line of %d columns on a terminal of %d", n, w)
			}
		})
	}
}

// TestBarWrite: a log line written through the bar clears the bar's line, appears,
// and the bar is drawn again under it; Set redraws at most once per throttle
// interval; after Finish lines pass straight through.
func TestBarWrite(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)
	b := NewBar(&out, "x", 10, func() int { return 40 })
	b.SetClock(func() time.Time { return now })
	b.Set(1, "")
	first := out.String()
	if first != b.Line() {
		t.Fatalf("first draw %q, want %q", first, b.Line())
	}
	b.Set(2, "") // within the throttle interval: not drawn
	if out.String() != first {
		t.Fatalf("redrawn within the throttle interval: %q", out.String())
	}
	now = now.Add(time.Second)
	b.Set(3, "")
	if !strings.HasSuffix(out.String(), "\r"+strings.Repeat(" ", len(first))+"\r"+b.Line()) {
		t.Fatalf("redraw %q", out.String())
	}
	out.Reset()
	b.Write([]byte("I1127 a log line\n"))
	want := "\r" + strings.Repeat(" ", len(b.Line())) + "\r" + "I1127 a log line\n" + b.Line()
	if out.String() != want {
		t.Fatalf("Write gave\n%q, want\n%q", out.String(), want)
	}
	out.Reset()
	b.Write([]byte("no newline"))
	if want := "\r" + strings.Repeat(" ", len(b.Line())) + "\rno newline\n" + b.Line(); out.String() != want {
		t.Fatalf("Write of a partial line gave %q, want %q", out.String(), want)
	}
	out.Reset()
	b.Set(10, "done") // the last count always draws
	b.Finish()
	if !strings.HasSuffix(out.String(), "10/10  done\n") {
		t.Fatalf("Finish gave %q", out.String())
	}
	out.Reset()
	b.Write([]byte("after\n"))
	b.Set(11, "")
	b.Finish()
	if out.String() != "after\n" {
		t.Fatalf("after Finish: %q", out.String())
	}
}
