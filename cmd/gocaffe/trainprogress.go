package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/network"
	progressui "github.com/gocaffe/gocaffe/internal/progress"
	"github.com/gocaffe/gocaffe/internal/solver"
)

// progressPrefix begins the progress line train logs after each display. The line
// holds neither "Iteration N" nor "loss =" nor "lr =", so Caffe's log parsers do not
// take it for one of theirs.
const progressPrefix = "Progress: "

// addProgressFlag gives c the --progress flag, stored in mode.
func addProgressFlag(c *cobra.Command, mode *string) {
	c.Flags().StringVar(mode, "progress", "auto",
		"how to show progress: auto (a bar when standard error is a terminal, log lines otherwise), bar or log")
}

// useBar reads --progress: whether to draw a bar.
func useBar(mode string) (bool, error) {
	switch mode {
	case "auto", "":
		return stderrIsTerminal(), nil
	case "bar":
		return true, nil
	case "log":
		return false, nil
	}
	return false, fmt.Errorf("--progress must be auto, bar or log, got %q", mode)
}

// trainProgress reports how a training run advances, after each display line or
// on a bar: the share of max_iter done, the epoch, images per second and the time
// left.
type trainProgress struct {
	maxIter int
	// perIter is the images an iteration consumes (the first data layer's batch
	// times iter_size), 0 when the net has no layer that makes data.
	perIter int
	// records is the size of the data layer's source, 0 while unknown (a LevelDB is
	// counted in the background).
	records atomic.Int64
	meter   *progressui.Meter
	bar     *termbar
	now     func() time.Time
}

// newTrainProgress starts reporting on a solver about to train from its current
// iteration; mode is --progress.
func newTrainProgress(mode string, s *solver.Solver) (*trainProgress, error) {
	bar, err := useBar(mode)
	if err != nil {
		return nil, err
	}
	p := &trainProgress{maxIter: int(s.Param().GetMaxIter()), now: time.Now}
	p.watchData(s.Net(), int(s.Param().GetIterSize()))
	p.meter = progressui.NewMeter(s.Iter(), p.maxIter, p.now())
	if bar {
		p.bar = startTermbar("train", s.Iter(), p.maxIter)
	}
	return p, nil
}

// watchData finds the net's first layer that makes data (tops, no bottoms): its
// batch, and the number of records of its source where that can be known.
func (p *trainProgress) watchData(n *network.Net, iterSize int) {
	for i := 0; i < n.NumLayers(); i++ {
		if len(n.Bottoms(i)) > 0 || len(n.Tops(i)) == 0 {
			continue
		}
		if sh := n.Tops(i)[0].Shape(); len(sh) > 0 {
			p.perIter = sh[0] * max(1, iterSize)
		}
		lp := n.LayerParam(i)
		switch lp.GetType() {
		case "Data":
			b, err := db.FromProto(lp.GetDataParam().GetBackend())
			if err != nil {
				return
			}
			source := lp.GetDataParam().GetSource()
			count := func() {
				if n, err := db.Count(source, b); err == nil {
					p.records.Store(int64(n))
				}
			}
			if b == db.LMDB {
				count() // LMDB keeps the count
			} else {
				go count() // a LevelDB is scanned
			}
		case "ImageData":
			if n, err := countLines(lp.GetImageDataParam().GetSource()); err == nil {
				p.records.Store(int64(n))
			}
		}
		return
	}
}

// countLines counts the non-blank lines of a file: the images of an ImageData list.
func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			n++
		}
	}
	return n, sc.Err()
}

// iteration is the solver's OnIteration hook.
func (p *trainProgress) iteration(iter int, displayed bool) {
	if p == nil {
		return
	}
	if p.bar != nil {
		r := p.meter.Read(iter+1, p.now())
		p.bar.setText(iter+1, p.barText(r))
		return
	}
	if displayed {
		glog.Infof("%s", p.line(p.meter.Read(iter, p.now())))
	}
}

// finish ends the bar, if one is drawn.
func (p *trainProgress) finish() {
	if p != nil && p.bar != nil {
		p.bar.finish()
		p.bar = nil
	}
}

// epochs returns how many passes over the data count iterations make, and whether
// that is known.
func (p *trainProgress) epochs(count int) (float64, bool) {
	records := p.records.Load()
	if records <= 0 || p.perIter <= 0 {
		return 0, false
	}
	return float64(count) * float64(p.perIter) / float64(records), true
}

// line is the progress line logged after a display:
//
//	Progress: 5.0% of 10000 iterations, epoch 0.53 of 10.67, 2130 images/s, 6m12s left
//
// with the rate over the iterations since the previous display. What is not known
// yet (the rate and the time left at the first display, the epoch without a
// database) is left out.
func (p *trainProgress) line(r progressui.Reading) string {
	head := fmt.Sprintf("%s%.1f%% of %d iterations", progressPrefix, 100*r.Fraction(), p.maxIter)
	return strings.Join(append([]string{head}, p.facts(r, r.Rate, "epoch %.2f of %.2f", " images/s", " iterations/s")...), ", ")
}

// barText is what the bar shows after the count: the epoch, the mean rate since the
// start and the time left.
func (p *trainProgress) barText(r progressui.Reading) string {
	return strings.Join(p.facts(r, r.MeanRate, "epoch %.2f/%.2f", " img/s", " it/s"), "  ")
}

// facts are what line and barText say, in their own words: the epoch (as
// epochFormat puts it), the rate (iterations a second, shown in images when the
// batch is known) and the time left. What is not known yet is left out.
func (p *trainProgress) facts(r progressui.Reading, rate float64, epochFormat, images, iterations string) []string {
	var parts []string
	if e, ok := p.epochs(r.Count); ok {
		total, _ := p.epochs(p.maxIter)
		parts = append(parts, fmt.Sprintf(epochFormat, e, total))
	}
	if rate > 0 {
		if p.perIter > 0 {
			parts = append(parts, progressui.Rate(rate*float64(p.perIter))+images)
		} else {
			parts = append(parts, progressui.Rate(rate)+iterations)
		}
	}
	if r.LeftKnown {
		parts = append(parts, progressui.Duration(r.Left)+" left")
	}
	return parts
}

// batchBar is the bar of a command that runs a number of batches (test), or nil
// when mode (--progress) says log lines.
func batchBar(mode, label string, total int) (*termbar, error) {
	bar, err := useBar(mode)
	if err != nil || !bar {
		return nil, err
	}
	return startTermbar(label, 0, total), nil
}
