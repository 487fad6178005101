package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// positionalHint accepts no arguments, as cobra.NoArgs, but tells a user who gave
// the files as arguments which flags take them: "gocaffe train s.prototxt" gets
// "did you mean: gocaffe train --solver=s.prototxt". A prototxt goes to
// prototxtFlag, a .caffemodel to --weights and a .solverstate to --snapshot, where
// the command has those flags.
func positionalHint(prototxtFlag string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		byExt := map[string]string{".prototxt": prototxtFlag, ".caffemodel": "weights", ".h5": "weights", ".solverstate": "snapshot"}
		suggestion := []string{cmd.CommandPath()}
		for _, a := range args {
			flag := byExt[strings.ToLower(filepath.Ext(a))]
			if flag == "" || cmd.Flags().Lookup(flag) == nil {
				return fmt.Errorf("%s takes no arguments, got %q (its files are flags: %s --help)", cmd.Name(), a, cmd.CommandPath())
			}
			suggestion = append(suggestion, "--"+flag+"="+a)
		}
		return fmt.Errorf("%s takes its files as flags; did you mean: %s", cmd.Name(), strings.Join(suggestion, " "))
	}
}
