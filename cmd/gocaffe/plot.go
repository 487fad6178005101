package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	_ "gonum.org/v1/plot/vg/vgimg" // png
	_ "gonum.org/v1/plot/vg/vgsvg" // svg

	"github.com/gocaffe/gocaffe/internal/io/staging"
	"github.com/gocaffe/gocaffe/internal/logparse"
)

var plotOpts struct {
	out, chart, xaxis string
	year              int
}

var plotCmd = &cobra.Command{
	Use:   "plot LOG... --out=FILE.png|FILE.svg [--chart=all|test-accuracy|test-loss|learning-rate|train-loss|0..7] [--x=iters|seconds]",
	Short: "plot the curves of training logs",
	Long: `plot draws the curves of Caffe's plot_training_log.py from training logs written by
gocaffe or Caffe (classic glog prefix or glog 0.6's with-year prefix), one line per
log: test accuracy, test loss, learning rate or training loss, against iterations
or seconds since the "Solving" line. The logs are read by parse_log.py's rules.

--chart takes a name or plot_training_log.py's chart number:
  0 test accuracy vs iterations     1 test accuracy vs seconds
  2 test loss vs iterations         3 test loss vs seconds
  4 learning rate vs iterations     5 learning rate vs seconds
  6 train loss vs iterations        7 train loss vs seconds
and "all" (the default) draws the four charts side by side. The test accuracy and
loss are the test outputs whose names contain "acc" and "loss"; the train loss is
the displayed (smoothed) loss, as parse_log.sh reads it. The output format follows
the extension of --out (.png or .svg).`,
	Args: cobra.MinimumNArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		defer func() {
			plotOpts.out, plotOpts.chart, plotOpts.xaxis, plotOpts.year = "", "all", "iters", 0
		}()
		return plotLogs(args, plotOpts.out, plotOpts.chart, plotOpts.xaxis, plotOpts.year)
	},
}

func init() {
	fl := plotCmd.Flags()
	fl.StringVar(&plotOpts.out, "out", "", "the image to write: .png or .svg")
	fl.StringVar(&plotOpts.chart, "chart", "all", "test-accuracy, test-loss, learning-rate, train-loss, all, or 0..7")
	fl.StringVar(&plotOpts.xaxis, "x", "iters", "the x axis: iters or seconds")
	fl.IntVar(&plotOpts.year, "year", 0, "the year of classic-prefix log lines (default: the year the log file was last modified)")
	addCommand(plotCmd)
}

// chartKinds are the curves, in plot_training_log.py's order.
var chartKinds = []string{"test-accuracy", "test-loss", "learning-rate", "train-loss"}

var chartTitles = map[string]string{
	"test-accuracy": "Test accuracy",
	"test-loss":     "Test loss",
	"learning-rate": "Learning rate",
	"train-loss":    "Train loss",
}

// parseChart reads --chart and --x into the curves to draw and whether x is seconds.
func parseChart(chart, xaxis string) (kinds []string, seconds bool, err error) {
	switch xaxis {
	case "iters", "iterations":
	case "seconds":
		seconds = true
	default:
		return nil, false, fmt.Errorf("--x must be iters or seconds, got %q", xaxis)
	}
	if n, err := strconv.Atoi(chart); err == nil {
		if n < 0 || n > 7 {
			return nil, false, fmt.Errorf("--chart number must be 0..7, got %d", n)
		}
		return []string{chartKinds[n/2]}, n%2 == 1, nil
	}
	if chart == "all" {
		return chartKinds, seconds, nil
	}
	if _, ok := chartTitles[chart]; !ok {
		return nil, false, fmt.Errorf("unknown --chart %q: want all, %s or 0..7", chart, strings.Join(chartKinds, ", "))
	}
	return []string{chart}, seconds, nil
}

type namedLog struct {
	name string
	log  *logparse.Log
}

func plotLogs(paths []string, out, chart, xaxis string, year int) error {
	if out == "" {
		return errors.New("plot: --out is required (a .png or .svg file)")
	}
	format := strings.ToLower(strings.TrimPrefix(filepath.Ext(out), "."))
	if format != "png" && format != "svg" {
		return fmt.Errorf("plot: --out must end in .png or .svg, got %q", out)
	}
	kinds, seconds, err := parseChart(chart, xaxis)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	var logs []namedLog
	for _, p := range paths {
		lg, err := readLog(p, year)
		if err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		logs = append(logs, namedLog{filepath.Base(p), lg})
	}
	var plots []*plot.Plot
	for _, kind := range kinds {
		p, err := chartPlot(kind, seconds, logs)
		if err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		plots = append(plots, p)
	}
	return writeCharts(out, format, plots)
}

func readLog(path string, year int) (*logparse.Log, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if year == 0 {
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		year = fi.ModTime().Year()
	}
	lg, err := logparse.Parse(f, year)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return lg, nil
}

// series returns the points of one curve of a log.
func series(kind string, seconds bool, lg *logparse.Log) (plotter.XYs, error) {
	x := func(iters, secs float64) float64 {
		if seconds {
			return secs
		}
		return iters
	}
	var xys plotter.XYs
	switch kind {
	case "train-loss", "learning-rate":
		pts := lg.Loss
		if kind == "learning-rate" {
			pts = lg.LearningRate
		}
		for _, p := range pts {
			xys = append(xys, plotter.XY{X: x(p.NumIters, p.Seconds), Y: p.Value})
		}
	default:
		want := "acc"
		if kind == "test-loss" {
			want = "loss"
		}
		column := ""
		var names []string
		if len(lg.Test) > 0 {
			names = lg.Test[0].Names
		}
		for _, n := range names {
			if strings.Contains(strings.ToLower(n), want) {
				column = n
				break
			}
		}
		if column == "" {
			return nil, fmt.Errorf("no test output named like %q (test outputs: %v)", want, names)
		}
		for _, r := range lg.Test {
			if v, ok := r.Value(column); ok {
				xys = append(xys, plotter.XY{X: x(r.NumIters, r.Seconds), Y: v})
			}
		}
	}
	if len(xys) == 0 {
		return nil, fmt.Errorf("the log has no %s values", strings.ToLower(chartTitles[kind]))
	}
	return xys, nil
}

func chartPlot(kind string, seconds bool, logs []namedLog) (*plot.Plot, error) {
	p := plot.New()
	xlabel := "Iterations"
	if seconds {
		xlabel = "Seconds"
	}
	p.Title.Text = chartTitles[kind] + " vs. " + xlabel
	p.X.Label.Text = xlabel
	p.Y.Label.Text = chartTitles[kind]
	p.Add(plotter.NewGrid())
	for i, l := range logs {
		xys, err := series(kind, seconds, l.log)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.name, err)
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", l.name, err)
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(1.2)
		p.Add(line)
		p.Legend.Add(l.name, line)
	}
	p.Legend.Top = kind == "test-accuracy"
	return p, nil
}

// writeCharts draws the plots side by side (two columns) into out, through a
// temporary file renamed into place.
func writeCharts(out, format string, plots []*plot.Plot) error {
	cols := min(2, len(plots))
	rows := (len(plots) + cols - 1) / cols
	w, h := vg.Length(cols)*6*vg.Inch, vg.Length(rows)*4.5*vg.Inch
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, p := range plots {
		grid[i/cols][i%cols] = p
	}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Inch / 4, PadY: vg.Inch / 4,
		PadTop: vg.Inch / 8, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 8}
	canvases := plot.Align(grid, tiles, draw.New(c))
	for i, p := range plots {
		p.Draw(canvases[i/cols][i%cols])
	}
	if err := staging.WriteFileFunc(out, func(w io.Writer) error {
		_, err := c.WriteTo(w)
		return err
	}); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}
