package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/io/staging"
	"github.com/gocaffe/gocaffe/internal/netinfo"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// newDrawCmd builds gocaffe draw.
func newDrawCmd() *cobra.Command {
	var f struct {
		model, rankdir, phase string
	}
	c := &cobra.Command{
		Use:   "draw --model=NET.prototxt OUT.dot|OUT.svg|OUT.png [--rankdir=LR|TB|BT|RL] [--phase=ALL|TRAIN|TEST]",
		Short: "draw a net as a Graphviz graph",
		Long: `draw renders a net as Caffe's python/draw_net.py does: layers as boxes coloured by
type, blobs as octagons, in-place layers as green boxes beside their blob. OUT ending
in .dot (or .gv) gets the Graphviz source; .svg, .png and .pdf are rendered by
Graphviz's dot, which must then be installed.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.model == "" {
				return fmt.Errorf("give the net with --model=NET.prototxt")
			}
			param, err := protofile.ReadNetText(f.model)
			if err != nil {
				return err
			}
			opts := netinfo.DrawOptions{RankDir: f.rankdir}
			switch p := strings.ToUpper(f.phase); p {
			case "ALL", "":
			case "TRAIN", "TEST":
				opts.Phase = caffepb.Phase(caffepb.Phase_value[p]).Enum()
			default:
				return fmt.Errorf("--phase=%q: want ALL, TRAIN or TEST", f.phase)
			}
			dot, err := netinfo.Draw(param, opts)
			if err != nil {
				return err
			}
			return writeGraph(args[0], dot)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.model, "model", "", "the net prototxt")
	fl.StringVar(&f.rankdir, "rankdir", "LR", "direction of the graph: LR, TB, BT or RL")
	fl.StringVar(&f.phase, "phase", "ALL", "draw the layers of this phase only: ALL, TRAIN or TEST")
	return c
}

// writeGraph writes DOT source to out, rendering it with Graphviz first when out's
// extension asks for an image. The file appears whole or not at all.
func writeGraph(out, dot string) error {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(out), "."))
	data := []byte(dot)
	switch ext {
	case "dot", "gv", "raw":
	case "svg", "png", "pdf":
		bin, err := exec.LookPath("dot")
		if err != nil {
			return fmt.Errorf("%s: rendering .%s needs Graphviz's dot, which is not installed (install graphviz, or write a .dot file)", out, ext)
		}
		var stdout, stderr bytes.Buffer
		c := exec.Command(bin, "-T"+ext)
		c.Stdin, c.Stdout, c.Stderr = strings.NewReader(dot), &stdout, &stderr
		if err := c.Run(); err != nil {
			return fmt.Errorf("%s: dot failed: %v: %s", out, err, strings.TrimSpace(stderr.String()))
		}
		data = stdout.Bytes()
	default:
		return fmt.Errorf("%s: unknown output type %q (want .dot, .svg, .png or .pdf)", out, ext)
	}
	return staging.WriteFile(out, data)
}
