package main

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/gocaffe/gocaffe/internal/glog"
)

// quietKept are the INFO lines a quiet run still logs: those parse_log.py, parse_log.sh
// and gocaffe plot read (the "Solving" line they count seconds from, the display,
// learning-rate, test and snapshot lines), gocaffe's progress line, the end of
// training, and the results of test and time.
var quietKept = regexp.MustCompile(`^(` + strings.Join([]string{
	`Solving `,
	`Iteration \d+`,
	`\s*(Train|Test) net output #`,
	`Test loss: `,
	`Test interrupted`,
	`Snapshotting `,
	`Optimization `,
	`Progress: `, // train's progress line (progressPrefix)
	// gocaffe test's results: "Loss: 0.03", "accuracy = 0.99", "loss = 0.03 (* 1 = 0.03 loss)".
	`Loss: `,
	`[^\s,]+ = \S+( \(\* \S+ = \S+ loss\))?$`,
	// gocaffe time's totals.
	`Average (Forward|Backward)`,
	`Total Time: `,
}, "|") + `)`)

// logFilter is the log filter a command runs with: none, or with --quiet or
// GLOG_minloglevel (Caffe's scripts set it) only the lines of that level and up —
// with, at level 1 (WARNING), the lines of quietKept.
func logFilter(quiet bool, getenv func(string) string) glog.Filter {
	level := 0
	if v, err := strconv.Atoi(strings.TrimSpace(getenv("GLOG_minloglevel"))); err == nil {
		level = v
	}
	if quiet {
		level = max(level, 1)
	}
	if level <= 0 {
		return nil
	}
	return glog.MinLevel(level, quietKept.MatchString)
}
