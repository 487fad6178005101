package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/logparse"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// updateReadme makes TestReadmeFigures write the README's figures from the runs in
// docs/runs instead of checking them (scripts/readme_figures.sh passes it).
var updateReadme = flag.Bool("update-readme", false, "rewrite README.md's figures from docs/runs")

// The README's results block lies between these lines.
const (
	figuresBegin = "<!-- figures: written by scripts/readme_figures.sh from docs/runs; do not edit by hand -->"
	figuresEnd   = "<!-- /figures -->"
)

// run is one recorded run of a make target: scripts/readme_figures.sh writes its
// quiet log (NAME.log) and what the log does not say (NAME.txt: the command, its
// wall time, the commit, the machine).
type recordedRun struct {
	name   string
	fields map[string]string
	log    *logparse.Log
	// accuracy and loss are the last test's outputs, train the seconds from the
	// "Solving" line to the log's last line.
	accuracy, loss, train float64
}

// readRun reads docs/runs/NAME.txt and NAME.log, or returns nil if the run was not
// recorded.
func readRun(t *testing.T, dir, name string) *recordedRun {
	t.Helper()
	rec, err := os.ReadFile(filepath.Join(dir, name+".txt"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	r := &recordedRun{name: name, fields: map[string]string{}}
	for _, line := range strings.Split(strings.TrimSpace(string(rec)), "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			t.Fatalf("%s.txt: bad line %q", name, line)
		}
		r.fields[k] = v
	}
	for _, k := range []string{"command", "date", "commit", "cpu", "cores", "niceness", "wall_seconds"} {
		if r.fields[k] == "" {
			t.Fatalf("%s.txt has no %s", name, k)
		}
	}
	f, err := os.Open(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	year, _ := strconv.Atoi(r.fields["date"][:4])
	if r.log, err = logparse.Parse(f, year); err != nil {
		t.Fatalf("%s.log: %v", name, err)
	}
	if len(r.log.Test) == 0 {
		t.Fatalf("%s.log has no test", name)
	}
	last := r.log.Test[len(r.log.Test)-1]
	var ok1, ok2 bool
	r.accuracy, ok1 = last.Value("accuracy")
	r.loss, ok2 = last.Value("loss")
	if !ok1 || !ok2 {
		t.Fatalf("%s.log: the last test has outputs %v", name, last.Names)
	}
	r.train = logSpan(t, filepath.Join(dir, name+".log"), year)
	return r
}

// logSpan is the seconds from a log's "Solving" line to its last glog line.
func logSpan(t *testing.T, path string, year int) float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var start, end float64
	found := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		ts, err := logparse.ParseTime(sc.Text(), year)
		if err != nil {
			continue
		}
		s := float64(ts.UnixMicro()) / 1e6
		if !found && strings.Contains(sc.Text(), "Solving") {
			start, found = s, true
		}
		end = s
	}
	if !found {
		t.Fatalf("%s: no Solving line", path)
	}
	return end - start
}

// figures writes the README's results block from the runs (nil: not recorded yet).
func figures(lenet, demo *recordedRun) string {
	var b strings.Builder
	b.WriteString(figuresBegin + "\n\n")
	if lenet != nil {
		fmt.Fprintf(&b, "    Test net output #0: accuracy = %s\n    Test net output #1: loss = %s\n\n",
			strconv.FormatFloat(lenet.accuracy, 'g', -1, 64), strconv.FormatFloat(lenet.loss, 'g', -1, 64))
	} else {
		b.WriteString("    (not measured on this code yet: scripts/readme_figures.sh lenet fills this in)\n\n")
	}
	b.WriteString("| run | test accuracy | wall time | machine |\n|-----|---------------|-----------|---------|\n")
	row := func(label string, r *recordedRun, target string) {
		if r == nil {
			fmt.Fprintf(&b, "| %s | not measured yet | — | `scripts/readme_figures.sh %s` measures it |\n", label, target)
			return
		}
		wall, _ := strconv.ParseFloat(r.fields["wall_seconds"], 64)
		machine := r.fields["cores"] + " shared cores"
		if r.fields["niceness"] != "0" {
			machine += ", at nice " + r.fields["niceness"]
		}
		fmt.Fprintf(&b, "| %s | %s | %.0f s training, %.0f s for all of `%s` | %s |\n",
			label, strconv.FormatFloat(r.accuracy, 'g', -1, 64), math.Round(r.train), math.Round(wall), r.fields["command"], machine)
	}
	row("gocaffe, `make lenet`", lenet, "lenet")
	b.WriteString("| Caffe 1.0 (CPU, OpenBLAS), same example | 0.9906 | 372 s | 2-core machine of this kind |\n")
	row("gocaffe, `make demo` (500 iterations)", demo, "demo")
	b.WriteString("\n")
	for _, r := range []*recordedRun{lenet, demo} {
		if r != nil {
			fmt.Fprintf(&b, "`%s`: commit %s, %s, %s; its log (quiet) is `docs/runs/%s.log`.\n",
				r.fields["command"], r.fields["commit"], r.fields["date"], r.fields["cpu"], r.name)
		}
	}
	b.WriteString(figuresEnd)
	return b.String()
}

// The README's example of a display block lies between these lines.
const (
	exampleBegin = "<!-- progress example: written by scripts/readme_figures.sh from docs/runs/demo.log -->"
	exampleEnd   = "<!-- /progress example -->"
)

// progressExample is the last display block of a log — from the display line to
// the progress line — without the glog prefixes, as an indented block.
func progressExample(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var block, last []string
	for _, line := range strings.Split(string(data), "\n") {
		_, msg, ok := strings.Cut(line, "] ")
		if !ok {
			continue
		}
		if displayLine.MatchString(msg) {
			block = nil
		}
		block = append(block, "    "+msg)
		if strings.HasPrefix(msg, progressPrefix) {
			last = block
		}
	}
	if last == nil {
		t.Fatalf("%s has no display block with a progress line", path)
	}
	return exampleBegin + "\n\n" + strings.Join(last, "\n") + "\n\n" + exampleEnd
}

var displayLine = regexp.MustCompile(`^Iteration \d+ \(`)

// replaceBlock returns text with the block from begin to end replaced by block, and
// the block it had.
func replaceBlock(t *testing.T, text, begin, end, block string) (string, string) {
	t.Helper()
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no block %q ... %q", begin, end)
	}
	return text[:i] + block + text[j+len(end):], text[i : j+len(end)]
}

// TestReadmeFigures: the README's LeNet figures are those of the runs recorded in
// docs/runs — the last test's accuracy and loss read from each run's log, its times —
// so a figure changes only with a new run of the command beside it.
func TestReadmeFigures(t *testing.T) {
	root := testutil.Root()
	dir := filepath.Join(root, "docs", "runs")
	want := figures(readRun(t, dir, "lenet"), readRun(t, dir, "demo"))
	readmePath := filepath.Join(root, "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	example := exampleBegin + "\n" + exampleEnd
	if demo := readRun(t, dir, "demo"); demo != nil {
		example = progressExample(t, filepath.Join(dir, "demo.log"))
	}
	text, got := replaceBlock(t, string(readme), figuresBegin, figuresEnd, want)
	text, gotExample := replaceBlock(t, text, exampleBegin, exampleEnd, example)
	if *updateReadme {
		if err := os.WriteFile(readmePath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != want {
		t.Errorf("README.md's figures are not those of docs/runs (scripts/readme_figures.sh rewrites them):\n%s\nwant\n%s", got, want)
	}
	if gotExample != example {
		t.Errorf("README.md's progress example is not docs/runs/demo.log's last display:\n%s\nwant\n%s", gotExample, example)
	}
}
