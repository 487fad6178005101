package main

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	progressui "github.com/gocaffe/gocaffe/internal/progress"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

func TestProgressLine(t *testing.T) {
	for _, tt := range []struct {
		name    string
		perIter int
		records int64
		reading progressui.Reading
		line    string
		barText string
	}{
		{"first display", 64, 60000,
			progressui.Reading{Count: 0, Total: 10000},
			"Progress: 0.0% of 10000 iterations, epoch 0.00 of 10.67", "epoch 0.00/10.67"},
		{"under way", 64, 60000,
			progressui.Reading{Count: 500, Total: 10000, Rate: 33.28, MeanRate: 30, Left: 316667 * time.Millisecond, LeftKnown: true},
			"Progress: 5.0% of 10000 iterations, epoch 0.53 of 10.67, 2130 images/s, 5m17s left",
			"epoch 0.53/10.67  1920 img/s  5m17s left"},
		{"iter_size 2", 128, 60000,
			progressui.Reading{Count: 500, Total: 10000, Rate: 10, MeanRate: 10, Left: 950 * time.Second, LeftKnown: true},
			"Progress: 5.0% of 10000 iterations, epoch 1.07 of 21.33, 1280 images/s, 15m50s left",
			"epoch 1.07/21.33  1280 img/s  15m50s left"},
		{"database not counted yet", 64, 0,
			progressui.Reading{Count: 500, Total: 10000, Rate: 33.28, MeanRate: 30, Left: 4 * time.Hour, LeftKnown: true},
			"Progress: 5.0% of 10000 iterations, 2130 images/s, 4h00m left",
			"1920 img/s  4h00m left"},
		{"no data layer", 0, 0,
			progressui.Reading{Count: 7, Total: 8, Rate: 2.5, MeanRate: 2, Left: 500 * time.Millisecond, LeftKnown: true},
			"Progress: 87.5% of 8 iterations, 2.5 iterations/s, 0.5s left",
			"2 it/s  0.5s left"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &trainProgress{maxIter: tt.reading.Total, perIter: tt.perIter}
			p.records.Store(tt.records)
			if got := p.line(tt.reading); got != tt.line {
				t.Errorf("line\n%q, want\n%q", got, tt.line)
			}
			if got := p.barText(tt.reading); got != tt.barText {
				t.Errorf("bar text\n%q, want\n%q", got, tt.barText)
			}
			if !quietKept.MatchString(tt.line) {
				t.Error("a quiet run would drop the progress line")
			}
			// Caffe's parsers must not take the line for one of theirs.
			for _, re := range []string{`Iteration \d+`, `loss = `, `lr = `, `net output #`} {
				if regexp.MustCompile(re).MatchString(tt.line) {
					t.Errorf("the progress line matches %q", re)
				}
			}
		})
	}
}

// TestTrainProgressLog: a training run that logs (not on a terminal) has a progress
// line after each display — the share of max_iter, the epoch over the 2,000 records
// of the fixture's LMDB at 64 images an iteration, the images per second and the
// time left — and parse_log.py's tables are those of a run without them.
func TestTrainProgressLog(t *testing.T) {
	testutil.SkipShort(t, "a 40-iteration training run's progress lines and parse_log.py's tables")
	shortLeNet(t, "40")
	log, err := gocaffe(t, "train", "--solver=short_solver.prototxt", "--weights=init.caffemodel")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)\] Progress: ([\d.]+)% of 40 iterations, epoch ([\d.]+) of 1\.28(?:, ([\d.]+) images/s, ([\w.]+) left)?$`)
	ms := re.FindAllStringSubmatch(log, -1)
	if len(ms) != 4 {
		t.Fatalf("%d progress lines, want one after each of the displays at 0, 10, 20 and 30:\n%s", len(ms), log)
	}
	for i, m := range ms {
		iter := 10 * i
		if m[1] != strconv.FormatFloat(100*float64(iter)/40, 'f', 1, 64) {
			t.Errorf("display %d: %s%%", iter, m[1])
		}
		if m[2] != strconv.FormatFloat(float64(iter)*64/2000, 'f', 2, 64) {
			t.Errorf("display %d: epoch %s", iter, m[2])
		}
		if (i == 0) != (m[3] == "") {
			t.Errorf("display %d: rate %q (only the first display has none)", iter, m[3])
		}
	}
	// Each progress line follows its display's learning-rate line.
	lines := strings.Split(log, "\n")
	for i, l := range lines {
		if strings.Contains(l, "] Progress: ") && !strings.Contains(lines[i-1], ", lr = ") {
			t.Errorf("progress line after %q", lines[i-1])
		}
	}
	lg := parseLog(t, log)
	if len(lg.Train) != 4 || len(lg.Loss) != 5 || len(lg.LearningRate) != 4 || len(lg.Test) != 3 {
		t.Errorf("parse_log: %d train rows, %d losses, %d rates, %d test rows; want 4, 5, 4, 3",
			len(lg.Train), len(lg.Loss), len(lg.LearningRate), len(lg.Test))
	}
}

// TestTrainProgressBar: --progress=bar draws the bar where the log goes, the log
// lines passing above it whole; --progress=log draws none; a wrong value is refused.
func TestTrainProgressBar(t *testing.T) {
	testutil.SkipShort(t, "a 20-iteration training run drawing its progress bar, and --progress=log and a wrong value")
	shortLeNet(t, "20")
	log, err := gocaffe(t, "train", "--solver=short_solver.prototxt", "--progress=bar", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(log, "train 100% [") && !regexp.MustCompile(`train 100% \[=+\] 20/20 .*left\n$`).MatchString(log) {
		t.Errorf("the bar does not end at 20/20:\n%q", log)
	}
	if strings.Contains(log, "] Progress: ") {
		t.Error("a progress line as well as the bar")
	}
	// Take out the bar's drawing: what is left is the log, line for line.
	clean := regexp.MustCompile(`(?m)^(train [^\r\n]*\r *\r)+`).ReplaceAllString(log, "")
	clean = regexp.MustCompile(`(?m)^train .*\n`).ReplaceAllString(clean, "")
	for _, l := range strings.Split(strings.TrimSuffix(clean, "\n"), "\n") {
		if !regexp.MustCompile(`^I\d{4} `).MatchString(l) {
			t.Errorf("broken log line %q", l)
		}
	}
	if n := len(parseLog(t, clean).Loss); n != 3 {
		t.Errorf("%d display losses in the log under the bar, want 3", n)
	}
	log, err = gocaffe(t, "train", "--solver=short_solver.prototxt", "--progress=log", "--quiet")
	if err != nil || strings.Contains(log, "\r") || !strings.Contains(log, "] Progress: ") {
		t.Errorf("--progress=log: %v\n%q", err, log)
	}
	for _, cmd := range [][]string{
		{"train", "--solver=short_solver.prototxt", "--progress=fancy"},
		{"test", "--model=lenet_train_test.prototxt", "--weights=init.caffemodel", "--progress=fancy"},
	} {
		if _, err := gocaffe(t, cmd...); err == nil || !strings.Contains(err.Error(), "--progress must be auto, bar or log") {
			t.Errorf("%v: error %v", cmd, err)
		}
	}
	log, err = gocaffe(t, "test", "--model=lenet_train_test.prototxt", "--weights=init.caffemodel", "--iterations=3", "--progress=bar")
	if err != nil || !regexp.MustCompile(`test 100% \[=+\] 3/3.*\n$`).MatchString(log) {
		t.Errorf("test --progress=bar: %v\n%q", err, log)
	}
}
