// Package progress measures how a long job advances and shows it: a Meter turns a
// count and the clock into rates and the time left, and a Bar draws them as one line
// at the bottom of a terminal while log lines scroll above it.
//
// It needs nothing but the standard library, so that a gocaffe binary stays free of
// the network code (and with it of cgo) that progress-bar libraries bring in.
package progress

import (
	"fmt"
	"math"
	"time"
)

// Meter follows a count from where it started towards a total: the iterations of a
// training run, the batches of a test, the records of a conversion.
type Meter struct {
	total      int
	startCount int
	start      time.Time
	prevCount  int
	prev       time.Time
}

// NewMeter starts a meter at count (a resumed run starts past zero) towards total,
// at time now.
func NewMeter(count, total int, now time.Time) *Meter {
	return &Meter{total: total, startCount: count, start: now, prevCount: count, prev: now}
}

// Reading is how far a count has come and how fast.
type Reading struct {
	// Count is where the count stands, Total where it ends.
	Count, Total int
	// Elapsed is the time since the meter started.
	Elapsed time.Duration
	// Rate is counts per second since the previous reading (since the start for the
	// first); MeanRate since the start. Both are 0 while no time or no count has passed.
	Rate, MeanRate float64
	// Left is the time to the total at the mean rate, and LeftKnown whether there is
	// a rate to predict it from.
	Left      time.Duration
	LeftKnown bool
}

// Fraction is Count/Total, between 0 and 1 (0 for a total of 0).
func (r Reading) Fraction() float64 {
	if r.Total <= 0 {
		return 0
	}
	return math.Min(1, math.Max(0, float64(r.Count)/float64(r.Total)))
}

// Read takes a reading at count and time now; the next reading's Rate counts from
// this one.
func (m *Meter) Read(count int, now time.Time) Reading {
	r := Reading{Count: count, Total: m.total, Elapsed: now.Sub(m.start)}
	r.Rate = rate(count-m.prevCount, now.Sub(m.prev))
	r.MeanRate = rate(count-m.startCount, r.Elapsed)
	if r.MeanRate > 0 {
		left := max(0, m.total-count)
		r.Left = time.Duration(float64(left) / r.MeanRate * float64(time.Second))
		r.LeftKnown = true
	}
	m.prevCount, m.prev = count, now
	return r
}

func rate(n int, d time.Duration) float64 {
	if n <= 0 || d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// Duration writes d for people, to the second: "42s", "3m12s", "1h02m", "2d03h".
// Below ten seconds it keeps a tenth: "4.2s".
func Duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < 10*time.Second {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	s := int64(d.Round(time.Second) / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}

// Rate writes a rate with three significant digits below 1000 and as a whole number
// above: "0.512", "42.3", "2130".
func Rate(v float64) string {
	if v >= 999.5 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}
