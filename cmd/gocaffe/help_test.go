package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// allCommands lists every command under c.
func allCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	for _, sub := range c.Commands() {
		out = append(out, allCommands(sub)...)
	}
	return out
}

// TestStageFlagsAgree: --stage is the same flag in every command that has one.
func TestStageFlagsAgree(t *testing.T) {
	n := 0
	for _, c := range allCommands(newRootCmd()) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if f.Name != "stage" {
				return
			}
			n++
			if f.Value.Type() != "stringSlice" || f.Usage != "NetState stages, comma-separated or repeated" {
				t.Errorf("%s --stage: %s, %q", c.CommandPath(), f.Value.Type(), f.Usage)
			}
		})
	}
	if n < 8 {
		t.Errorf("%d commands with --stage, want train, test, time, summary, gradcheck, classify, extract_features and export onnx", n)
	}
}

// TestHelpSaysPhase: the help of each command that builds a net says in which phase.
func TestHelpSaysPhase(t *testing.T) {
	says := regexp.MustCompile(`(TRAIN|TEST) phase|phase TRAIN unless|--phase string .*\(default "(TRAIN|TEST|ALL)"\)`)
	for _, cmd := range [][]string{{"train"}, {"test"}, {"time"}, {"summary"}, {"draw"}, {"gradcheck"}, {"classify"}, {"extract_features"}, {"export", "onnx"}} {
		code, out := runCapture(t, append(cmd, "--help")...)
		if code != 0 || !says.MatchString(strings.Join(strings.Fields(out), " ")) {
			t.Errorf("gocaffe %s --help does not say the phase:\n%s", strings.Join(cmd, " "), out)
		}
	}
}

// TestCompletion: shell completion offers the values of the flags that take a few,
// and files of the right kind for the others.
func TestCompletion(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string // the candidates and the directive, as cobra's __complete prints them
	}{
		{[]string{"draw", "--rankdir", ""}, "LR TB BT RL :4"},
		{[]string{"draw", "--phase", ""}, "ALL TRAIN TEST :4"},
		{[]string{"summary", "--phase", ""}, "TRAIN TEST :4"},
		{[]string{"time", "--phase", "T"}, "TRAIN TEST :4"},
		{[]string{"plot", "--chart", ""}, "all test-accuracy test-loss learning-rate train-loss 0 1 2 3 4 5 6 7 :4"},
		{[]string{"convert", "mnist", "--backend", ""}, "lmdb leveldb :4"},
		{[]string{"mean", "--backend", ""}, "lmdb leveldb :4"},
		{[]string{"train", "--numerics", ""}, "fast caffe :4"},
		{[]string{"train", "--progress", ""}, "auto bar log :4"},
		{[]string{"train", "--solver", ""}, "prototxt :8"},
		{[]string{"test", "--model", ""}, "prototxt :8"},
		{[]string{"test", "--weights", ""}, "caffemodel h5 :8"},
		{[]string{"train", "--snapshot", ""}, "solverstate h5 :8"},
		{[]string{"plot", "--out", ""}, "png svg :8"},
	} {
		code, out := runCapture(t, append([]string{"__complete"}, tt.args...)...)
		if got := strings.Join(strings.Fields(out), " "); code != 0 || got != tt.want {
			t.Errorf("%v: %q (exit %d), want %q", tt.args, got, code, tt.want)
		}
	}
}
