package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagValues are the values shell completion offers for the flags of that name, in
// every command that has one.
var flagValues = map[string][]string{
	"phase":         {"TRAIN", "TEST"},
	"rankdir":       {"LR", "TB", "BT", "RL"},
	"chart":         {"all", "test-accuracy", "test-loss", "learning-rate", "train-loss", "0", "1", "2", "3", "4", "5", "6", "7"},
	"x":             {"iters", "seconds"},
	"backend":       {"lmdb", "leveldb"},
	"format":        {"lmdb", "leveldb", "npy"},
	"numerics":      {"fast", "caffe"},
	"progress":      {"auto", "bar", "log"},
	"sigint_effect": {"stop", "snapshot", "none"},
	"sighup_effect": {"stop", "snapshot", "none"},
}

// flagFiles are the file extensions shell completion offers for the flags of that
// name.
var flagFiles = map[string][]string{
	"solver":    {"prototxt"},
	"model":     {"prototxt"},
	"weights":   {"caffemodel", "h5"},
	"snapshot":  {"solverstate", "h5"},
	"mean_file": {"binaryproto"},
	"labels":    {"txt"},
}

// registerCompletions tells shell completion (gocaffe completion bash|zsh|fish|
// powershell) the values and the files each flag of c and its subcommands takes;
// newRootCmd calls it once every command exists.
func registerCompletions(c *cobra.Command) {
	register := func(f *pflag.Flag) {
		if values, ok := flagValues[f.Name]; ok {
			if f.Name == "phase" && f.DefValue == "ALL" {
				values = append([]string{"ALL"}, values...) // draw's
			}
			c.RegisterFlagCompletionFunc(f.Name, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
		}
		if exts, ok := flagFiles[f.Name]; ok {
			c.MarkFlagFilename(f.Name, exts...)
		}
	}
	c.LocalNonPersistentFlags().VisitAll(register)
	c.PersistentFlags().VisitAll(register)
	if c.Name() == "plot" {
		c.MarkFlagFilename("out", "png", "svg")
		c.MarkFlagDirname("csv")
		c.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return []string{"log", "INFO", "txt"}, cobra.ShellCompDirectiveFilterFileExt
		}
	}
	for _, sub := range c.Commands() {
		registerCompletions(sub)
	}
}
