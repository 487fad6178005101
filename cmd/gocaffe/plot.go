package main

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
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

// plotFlags are the flags of gocaffe plot.
type plotFlags struct {
	out, chart, xaxis, csv string
	year                   int
	testOutputs            []string
	combinedLoss           bool
}

// newPlotCmd builds gocaffe plot.
func newPlotCmd() *cobra.Command {
	f := &plotFlags{}
	c := &cobra.Command{
		Use:   "plot LOG... [--out=FILE.png|FILE.svg] [--chart=all|test-accuracy|test-loss|learning-rate|train-loss|0..7] [--x=iters|seconds] [--csv=DIR]",
		Short: "plot the curves of training logs",
		Long: `plot draws the curves of Caffe's plot_training_log.py from training logs written by
gocaffe or Caffe (classic glog prefix or glog 0.6's with-year prefix), one line per
log: every test output, the learning rate and the training loss, against
iterations or seconds since the "Solving" line. The logs are read by parse_log.py's
rules; a log with no test yet, or no learning rate, simply has fewer panels.

--chart takes a name or plot_training_log.py's chart number:
  0 test accuracy vs iterations     1 test accuracy vs seconds
  2 test loss vs iterations         3 test loss vs seconds
  4 learning rate vs iterations     5 learning rate vs seconds
  6 train loss vs iterations        7 train loss vs seconds
and "all" (the default) draws every panel. "Test accuracy" is each test output that
is not a loss (accuracy, loss3/top-1, loss3/top-5, ...), "test loss" each one Caffe
prints with a loss weight or whose name says loss, one panel each;
--test-output=NAME (repeatable) keeps only those. The train loss is the displayed
(smoothed) loss, as parse_log.sh reads it; --combined-loss draws it with the test
loss (the test outputs' weighted sum, dashed) on one axis, in place of the test loss
panels. Points are marked where they are sparse; the legend is above the panels.
The output format follows the extension of --out (.png or .svg).

--csv=DIR writes what Caffe's parse_log.py writes into DIR: LOG.train and LOG.test,
the train and test tables in CSV, for each log (with --csv, --out is optional).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return plotLogs(args, *f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.out, "out", "", "the image to write: .png or .svg")
	fl.StringVar(&f.chart, "chart", "all", "test-accuracy, test-loss, learning-rate, train-loss, all, or 0..7")
	fl.StringVar(&f.xaxis, "x", "iters", "the x axis: iters or seconds")
	fl.IntVar(&f.year, "year", 0, "the year of classic-prefix log lines (default: the year the log file was last modified)")
	fl.StringArrayVar(&f.testOutputs, "test-output", nil, "plot only this test output (repeatable; default: every one)")
	fl.BoolVar(&f.combinedLoss, "combined-loss", false, "draw the train and test loss on one axis")
	fl.StringVar(&f.csv, "csv", "", "write parse_log.py's LOG.train and LOG.test tables into this folder")
	return c
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

// namedLog is a parsed log and the name its curves carry in the legend.
type namedLog struct {
	name string
	log  *logparse.Log
}

func plotLogs(paths []string, f plotFlags) error {
	if f.out == "" && f.csv == "" {
		return errors.New("plot: --out is required (a .png or .svg file), or --csv")
	}
	format := strings.ToLower(strings.TrimPrefix(filepath.Ext(f.out), "."))
	if f.out != "" && format != "png" && format != "svg" {
		return fmt.Errorf("plot: --out must end in .png or .svg, got %q", f.out)
	}
	kinds, seconds, err := parseChart(f.chart, f.xaxis)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	var logs []namedLog
	for _, p := range paths {
		lg, err := readLog(p, f.year)
		if err != nil {
			return fmt.Errorf("plot: %w", err)
		}
		logs = append(logs, namedLog{p, lg})
	}
	nameLogs(logs)
	if f.csv != "" {
		if err := writeCSVs(f.csv, paths, logs); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	if f.out == "" {
		return nil
	}
	panels, err := buildPanels(kinds, seconds, logs, f.testOutputs, f.combinedLoss)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if err := writeCharts(f.out, format, panels, logs); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}

// nameLogs names each log by its file's name, or by its path where two logs share
// a file name.
func nameLogs(logs []namedLog) {
	count := map[string]int{}
	for _, l := range logs {
		count[filepath.Base(l.name)]++
	}
	for i, l := range logs {
		if count[filepath.Base(l.name)] == 1 {
			logs[i].name = filepath.Base(l.name)
		}
	}
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

// writeCSVs writes parse_log.py's DIR/LOG.train and DIR/LOG.test for each log (none
// for an empty table, as parse_log.py).
func writeCSVs(dir string, paths []string, logs []namedLog) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i, l := range logs {
		for _, t := range []struct {
			ext  string
			rows []*logparse.Row
		}{{".train", l.log.Train}, {".test", l.log.Test}} {
			if len(t.rows) == 0 {
				continue
			}
			out := filepath.Join(dir, filepath.Base(paths[i])+t.ext)
			if err := staging.WriteFileFunc(out, func(w io.Writer) error {
				return logparse.WriteCSV(w, t.rows, ',')
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// isLossOutput reports whether a test output is a loss: Caffe printed it with a
// loss weight, or the last part of its name says loss ("loss3/loss3", not
// "loss3/top-1").
func isLossOutput(name string, logs []namedLog) bool {
	for _, l := range logs {
		if _, ok := l.log.LossWeight[name]; ok {
			return true
		}
	}
	leaf := name[strings.LastIndex(name, "/")+1:]
	return strings.Contains(strings.ToLower(leaf), "loss")
}

// testOutputs lists the test outputs of the logs in the order they first appear.
func testOutputs(logs []namedLog) []string {
	var names []string
	for _, l := range logs {
		for _, r := range l.log.Test {
			for _, n := range r.Names {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
	}
	return names
}

// series is one curve of a panel.
type series struct {
	log    int // which log: its colour
	xys    plotter.XYs
	dashed bool // the test loss on a combined panel
}

// panel is one chart: a title, the axes' labels and the curves.
type panel struct {
	title, xlabel, ylabel string
	series                []series
}

// buildPanels makes the panels the kinds ask for, leaving out those no log has
// points for, and fails when nothing is left.
func buildPanels(kinds []string, seconds bool, logs []namedLog, only []string, combined bool) ([]panel, error) {
	outputs := testOutputs(logs)
	for _, o := range only {
		if len(outputs) > 0 && !slices.Contains(outputs, o) {
			return nil, fmt.Errorf("--test-output=%s: the logs have no such test output (they have %s)", o, strings.Join(outputs, ", "))
		}
	}
	if len(only) > 0 {
		outputs = slices.DeleteFunc(outputs, func(o string) bool { return !slices.Contains(only, o) })
	}
	xlabel := "Iterations"
	if seconds {
		xlabel = "Seconds"
	}
	x := func(iters, secs float64) float64 {
		if seconds {
			return secs
		}
		return iters
	}
	testSeries := func(column string) []series {
		var out []series
		for i, l := range logs {
			var xys plotter.XYs
			for _, r := range l.log.Test {
				if v, ok := r.Value(column); ok {
					xys = append(xys, plotter.XY{X: x(r.NumIters, r.Seconds), Y: v})
				}
			}
			if len(xys) > 0 {
				out = append(out, series{log: i, xys: xys})
			}
		}
		return out
	}
	points := func(log int, pts []logparse.Point) []series {
		var xys plotter.XYs
		for _, p := range pts {
			xys = append(xys, plotter.XY{X: x(p.NumIters, p.Seconds), Y: p.Value})
		}
		if len(xys) == 0 {
			return nil
		}
		return []series{{log: log, xys: xys}}
	}
	var panels []panel
	add := func(title, ylabel string, s []series) {
		if len(s) > 0 {
			panels = append(panels, panel{title: title + " vs. " + xlabel, xlabel: xlabel, ylabel: ylabel, series: s})
		}
	}
	for _, kind := range kinds {
		switch kind {
		case "test-accuracy", "test-loss":
			if kind == "test-loss" && combined && slices.Contains(kinds, "train-loss") {
				continue // drawn with the train loss
			}
			for _, o := range outputs {
				if isLossOutput(o, logs) == (kind == "test-loss") {
					add("Test "+o, o, testSeries(o))
				}
			}
		case "learning-rate":
			var s []series
			for i, l := range logs {
				s = append(s, points(i, l.log.LearningRate)...)
			}
			add(chartTitles[kind], "Learning rate", s)
		case "train-loss":
			var s []series
			for i, l := range logs {
				s = append(s, points(i, l.log.Loss)...)
				if combined {
					if ts := testLossSeries(i, l.log, x); ts != nil {
						s = append(s, *ts)
					}
				}
			}
			title := chartTitles[kind]
			if combined {
				title = "Train and test loss"
			}
			add(title, "Loss", s)
		}
	}
	if len(panels) == 0 {
		want := make([]string, len(kinds))
		for i, k := range kinds {
			want[i] = strings.ToLower(chartTitles[k])
		}
		return nil, fmt.Errorf("nothing to plot yet: the logs have no %s values", strings.Join(want, ", "))
	}
	return panels, nil
}

// testLossSeries is a log's test loss as the net counts it — the sum of the test
// outputs printed with a loss weight, each times its weight — dashed, or nil when
// the log has none.
func testLossSeries(log int, lg *logparse.Log, x func(iters, secs float64) float64) *series {
	var xys plotter.XYs
	for _, r := range lg.Test {
		total, any := 0.0, false
		for _, n := range r.Names {
			if w, ok := lg.LossWeight[n]; ok {
				total += w * r.Outputs[n]
				any = true
			}
		}
		if any {
			xys = append(xys, plotter.XY{X: x(r.NumIters, r.Seconds), Y: total})
		}
	}
	if len(xys) == 0 {
		return nil
	}
	return &series{log: log, xys: xys, dashed: true}
}

// sparse is the most points a curve has that get a marker at each point.
const sparse = 40

// chartPlot draws a panel's curves, coloured by log.
func chartPlot(pn panel) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = pn.title
	p.X.Label.Text = pn.xlabel
	p.X.Tick.Marker = wholeTicks{}
	p.Y.Label.Text = pn.ylabel
	p.Add(plotter.NewGrid())
	for _, s := range pn.series {
		line, pts, err := plotter.NewLinePoints(s.xys)
		if err != nil {
			return nil, err
		}
		line.Color = plotutil.Color(s.log)
		line.Width = vg.Points(1.2)
		if s.dashed {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(line)
		if len(s.xys) <= sparse {
			pts.Color = line.Color
			pts.Shape = draw.CircleGlyph{}
			pts.Radius = vg.Points(2.2)
			p.Add(pts)
		}
	}
	return p, nil
}

// wholeTicks are gonum's default ticks with whole numbers written without a
// fraction: iterations 0, 25, 50 rather than 0.00, 25.00, 50.00.
type wholeTicks struct{}

// Ticks returns the ticks of the range [lo, hi].
func (wholeTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" && t.Value == math.Trunc(t.Value) && math.Abs(t.Value) < 1e15 {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', -1, 64)
		}
	}
	return ticks
}

// legendEntry is one item of the figure's legend.
type legendEntry struct {
	text   string
	style  draw.LineStyle
	marker bool
}

// legendEntries are the logs by colour, and the meaning of a dashed line where
// there is one.
func legendEntries(panels []panel, logs []namedLog) []legendEntry {
	var entries []legendEntry
	dashed := false
	for _, pn := range panels {
		for _, s := range pn.series {
			dashed = dashed || s.dashed
		}
	}
	for i, l := range logs {
		entries = append(entries, legendEntry{text: l.name, style: draw.LineStyle{Color: plotutil.Color(i), Width: vg.Points(2)}})
	}
	if dashed {
		black := color.Black
		entries = append(entries,
			legendEntry{text: "train", style: draw.LineStyle{Color: black, Width: vg.Points(1.2)}},
			legendEntry{text: "test", style: draw.LineStyle{Color: black, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(5), vg.Points(3)}}})
	}
	return entries
}

// drawLegend writes the entries in rows across the top of c, and returns the
// height it took. With draw false it only measures.
func drawLegend(c draw.Canvas, entries []legendEntry, paint bool) vg.Length {
	sty := plot.New().Legend.TextStyle
	swatch, gap, pad := vg.Points(22), vg.Points(6), vg.Points(8)
	rowH := sty.Height("Xg") + vg.Points(4)
	x, y := c.Min.X+pad, c.Max.Y-pad-rowH
	rows := 1
	for _, e := range entries {
		w := swatch + gap + sty.Width(e.text) + 2*pad
		if x > c.Min.X+pad && x+w > c.Max.X {
			x, y = c.Min.X+pad, y-rowH
			rows++
		}
		if paint {
			mid := y + rowH/2
			c.StrokeLine2(e.style, x, mid, x+swatch, mid)
			c.FillText(sty, vg.Point{X: x + swatch + gap, Y: mid - sty.Height("X")/2}, e.text)
		}
		x += w
	}
	return vg.Length(rows)*rowH + 2*pad
}

// writeCharts draws the panels in a grid (one, two or three columns) under a
// legend into out, through a temporary file renamed into place.
func writeCharts(out, format string, panels []panel, logs []namedLog) error {
	cols := 1
	switch {
	case len(panels) > 4:
		cols = 3
	case len(panels) > 1:
		cols = 2
	}
	rows := (len(panels) + cols - 1) / cols
	tileW, tileH := 6*vg.Inch, 4.5*vg.Inch
	if cols == 3 {
		tileW, tileH = 5*vg.Inch, 3.75*vg.Inch
	}
	w := vg.Length(cols) * tileW
	entries := legendEntries(panels, logs)
	probe := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: w, Y: 10 * vg.Inch}}}
	legendH := drawLegend(probe, entries, false)
	h := vg.Length(rows)*tileH + legendH
	c, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	drawLegend(draw.Crop(dc, 0, 0, h-legendH, 0), entries, true)
	grid := make([][]*plot.Plot, rows)
	for i := range grid {
		grid[i] = make([]*plot.Plot, cols)
	}
	for i, pn := range panels {
		p, err := chartPlot(pn)
		if err != nil {
			return err
		}
		grid[i/cols][i%cols] = p
	}
	tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Inch / 4, PadY: vg.Inch / 4,
		PadTop: vg.Inch / 16, PadBottom: vg.Inch / 8, PadLeft: vg.Inch / 8, PadRight: vg.Inch / 4}
	canvases := plot.Align(grid, tiles, draw.Crop(dc, 0, 0, 0, -legendH))
	for i := range panels {
		grid[i/cols][i%cols].Draw(canvases[i/cols][i%cols])
	}
	if err := staging.WriteFileFunc(out, func(w io.Writer) error {
		_, err := c.WriteTo(w)
		return err
	}); err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	return nil
}
