package glog

import (
	"bytes"
	"fmt"
	"regexp"
	"testing"
	"time"
)

func TestLineLayout(t *testing.T) {
	var buf bytes.Buffer
	prev := SetOutput(&buf)
	defer SetOutput(prev)
	now = func() time.Time { return time.Date(2026, 11, 26, 21, 30, 0, 123456789, time.UTC) }
	defer func() { now = time.Now }()

	Infof("Iteration %d, lr = %g", 100, 0.01)
	Warningf("two\nlines")

	want := fmt.Sprintf("I1126 21:30:00.123456 %5d glog_test.go:18] Iteration 100, lr = 0.01\n", pid) +
		fmt.Sprintf("W1126 21:30:00.123456 %5d glog_test.go:19] two\n", pid) +
		fmt.Sprintf("W1126 21:30:00.123456 %5d glog_test.go:19] lines\n", pid)
	if got := buf.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	// The layout extract_seconds.py and parse_log.sh assume.
	re := regexp.MustCompile(`^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ \S+:\d+\] `)
	if !re.MatchString(buf.String()) {
		t.Fatalf("prefix does not match glog's layout: %q", buf.String())
	}
}

func TestQuiet(t *testing.T) {
	var buf bytes.Buffer
	prev := SetOutput(&buf)
	defer SetOutput(prev)
	defer SetQuiet(SetQuiet(true))
	Infof("hidden")
	Errorf("shown")
	if got := buf.String(); !regexp.MustCompile(`^E.*shown\n$`).MatchString(got) {
		t.Fatalf("quiet output = %q", got)
	}
}

func TestMinLevel(t *testing.T) {
	keep := func(msg string) bool { return msg == "kept" }
	for _, tt := range []struct {
		level int
		keep  func(string) bool
		want  string // the severities of the lines written
	}{
		{0, nil, "I I W E"},
		{1, nil, "W E"},
		{1, keep, "I W E"},
		{2, keep, "E"},
		{3, keep, ""},
	} {
		var buf bytes.Buffer
		prev := SetOutput(&buf)
		prevFilter := SetFilter(MinLevel(tt.level, tt.keep))
		Infof("kept")
		Infof("dropped")
		Warningf("warning")
		Errorf("error")
		SetFilter(prevFilter)
		SetOutput(prev)
		var got []string
		for _, l := range regexp.MustCompile(`(?m)^[IWEF]`).FindAllString(buf.String(), -1) {
			got = append(got, l)
		}
		if g := fmt.Sprint(got); g != "["+tt.want+"]" {
			t.Errorf("level %d, keep %v: lines %s, want [%s]\n%s", tt.level, tt.keep != nil, g, tt.want, buf.String())
		}
	}
}
