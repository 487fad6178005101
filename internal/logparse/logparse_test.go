package logparse

import (
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

func readLog(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(testutil.Path(rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestCaffeTrainLog parses Caffe's LeNet log (glog with the year in the prefix) and
// checks the tables against values read off the log by eye.
func TestCaffeTrainLog(t *testing.T) {
	lg, err := Parse(strings.NewReader(readLog(t, "fixtures/nets/lenet_mnist/train.log")), 2000)
	if err != nil {
		t.Fatal(err)
	}
	// "Train net output" lines at iterations 0..99; the final forward pass at 100
	// prints only "Iteration 100, loss = ...".
	if len(lg.Train) != 100 {
		t.Fatalf("%d train rows, want 100", len(lg.Train))
	}
	for i, r := range lg.Train {
		if r.NumIters != float64(i) {
			t.Fatalf("train row %d is iteration %v", i, r.NumIters)
		}
		if got := r.Columns(); strings.Join(got, ",") != "NumIters,Seconds,LearningRate,loss" {
			t.Fatalf("train columns %v", got)
		}
	}
	checkRow(t, lg.Train[0], 0, 0.01, "loss", 2.32814)
	checkRow(t, lg.Train[1], 1, 0.01, "loss", 2.34839) // the rate of iteration 0, printed after its loss
	checkRow(t, lg.Train[2], 2, 0.00999925, "loss", 2.28755)
	checkRow(t, lg.Train[99], 99, 0.00992712, "loss", 0.100114)
	if len(lg.Test) != 3 {
		t.Fatalf("%d test rows, want 3", len(lg.Test))
	}
	// parse_log.py copies the second row's rate into the first.
	checkRow(t, lg.Test[0], 0, 0.00996341, "accuracy", 0.078)
	checkRow(t, lg.Test[0], 0, 0.00996341, "loss", 2.33173)
	checkRow(t, lg.Test[1], 50, 0.00996341, "accuracy", 0.857)
	checkRow(t, lg.Test[2], 100, 0.00992639, "accuracy", 0.897)
	checkRow(t, lg.Test[2], 100, 0.00992639, "loss", 0.334043)
	// Seconds from the "Solving LeNet" line at 21:12:59.308494; the first test
	// output is at 21:12:59.924075.
	if got := lg.Test[0].Seconds; math.Abs(got-0.615581) > 1e-9 {
		t.Errorf("first test row at %v s, want 0.615581", got)
	}
	if len(lg.Loss) != 101 || lg.Loss[100].NumIters != 100 || lg.Loss[100].Value != 0.159198 || lg.Loss[50].Value != 0.535699 {
		t.Errorf("display losses: %d points, last %+v", len(lg.Loss), lg.Loss[len(lg.Loss)-1])
	}
	if len(lg.LearningRate) != 100 || lg.LearningRate[1].Value != 0.00999925 {
		t.Errorf("learning rates: %d points, second %+v", len(lg.LearningRate), lg.LearningRate[1])
	}
}

func checkRow(t *testing.T, r *Row, iter, lr float64, column string, want float64) {
	t.Helper()
	if r.NumIters != iter || r.LearningRate != lr {
		t.Errorf("row at iteration %v (lr %v), want %v (lr %v)", r.NumIters, r.LearningRate, iter, lr)
	}
	if v, ok := r.Value(column); !ok || v != want {
		t.Errorf("iteration %v: %s = %v (present %v), want %v", iter, column, v, ok, want)
	}
}

// TestClassicPrefix strips the year from every line of Caffe's log: the tables must
// not change.
func TestClassicPrefix(t *testing.T) {
	withYear := readLog(t, "fixtures/nets/lenet_mnist/train.log")
	classic := regexp.MustCompile(`(?m)^([IWEF])2026(\d{4} )`).ReplaceAllString(withYear, "$1$2")
	if classic == withYear {
		t.Fatal("no line changed")
	}
	a, err := Parse(strings.NewReader(withYear), 1999)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse(strings.NewReader(classic), 2026)
	if err != nil {
		t.Fatal(err)
	}
	same := func(x, y []*Row) bool {
		if len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i].NumIters != y[i].NumIters || x[i].Seconds != y[i].Seconds || x[i].LearningRate != y[i].LearningRate ||
				strings.Join(x[i].Names, ",") != strings.Join(y[i].Names, ",") {
				return false
			}
			for _, n := range x[i].Names {
				if x[i].Outputs[n] != y[i].Outputs[n] {
					return false
				}
			}
		}
		return true
	}
	if !same(a.Train, b.Train) || !same(a.Test, b.Test) {
		t.Error("the classic-prefix log parses differently from the with-year log")
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		line string
		year int
		want time.Time
		ok   bool
	}{
		{"I1126 21:30:00.123456  4242 solver.go:218] x", 2025, time.Date(2025, 11, 26, 21, 30, 0, 123456000, time.UTC), true},
		{"W20261126 21:12:59.278997 16492 caffe.cpp:197] Use CPU.", 1990, time.Date(2026, 11, 26, 21, 12, 59, 278997000, time.UTC), true},
		{"E0229 00:00:01.000001 1 a.go:1] leap", 2024, time.Date(2024, 2, 29, 0, 0, 1, 1000, time.UTC), true},
		{"E0229 00:00:01.000001 1 a.go:1] not leap", 2023, time.Time{}, false},
		{"test_iter: 10", 2025, time.Time{}, false},
		{"I1326 21:30:00.1 1 a] bad month", 2025, time.Time{}, false},
		{"I1126 21:30 1 a] no fraction", 2025, time.Time{}, false},
		{"", 2025, time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := ParseTime(tt.line, tt.year)
		if (err == nil) != tt.ok || (tt.ok && !got.Equal(tt.want)) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v (ok %v)", tt.line, got, err, tt.want, tt.ok)
		}
	}
}

// TestParseRules checks parse_log.py's rules on a made-up log: nothing before
// "Solving", lines that are not glog lines skipped, a year boundary crossed, the
// first row's rate copied from the second, an incomplete last row left out.
func TestParseRules(t *testing.T) {
	log := `I1231 23:59:58.000000 1 x] Iteration 7 would count if it came after the start line
I1231 23:59:59.000000 1 solver.cpp:289] Solving Net
I1231 23:59:59.500000 1 solver.cpp:347] Iteration 0, Testing net (#0)
    Test net output #0: accuracy = 0.5 (a bare continuation line: skipped)
I1231 23:59:59.600000 1 solver.cpp:414]     Test net output #0: accuracy = 0.25
I1231 23:59:59.600001 1 solver.cpp:414]     Test net output #1: loss = 2.5 (* 1 = 2.5 loss)
I1231 23:59:59.700000 1 solver.cpp:239] Iteration 0 (0 iter/s, 0.5s/1 iters), loss = 2.25
I1231 23:59:59.700001 1 solver.cpp:258]     Train net output #0: loss = 2.25 (* 1 = 2.25 loss)
I1231 23:59:59.700002 1 sgd_solver.cpp:112] Iteration 0, lr = 0.01
I0101 00:00:00.700000 1 solver.cpp:239] Iteration 1 (1 iter/s, 1s/1 iters), loss = 1e-05
I0101 00:00:00.700001 1 solver.cpp:258]     Train net output #0: loss = 1e-05 (* 1 = 1e-05 loss)
I0101 00:00:00.700002 1 sgd_solver.cpp:112] Iteration 1, lr = 0.005
I0101 00:00:01.000000 1 solver.cpp:347] Iteration 2, Testing net (#0)
I0101 00:00:01.100000 1 solver.cpp:414]     Test net output #0: accuracy = 0.75
`
	lg, err := Parse(strings.NewReader(log), 2025)
	if err != nil {
		t.Fatal(err)
	}
	// The only complete test row (iteration 2's lacks the loss column) has no rate:
	// none was printed before it and there is no second row to copy one from.
	if len(lg.Test) != 1 || lg.Test[0].Outputs["accuracy"] != 0.25 || !math.IsNaN(lg.Test[0].LearningRate) {
		t.Errorf("test rows: %+v", lg.Test)
	}
	if len(lg.Train) != 2 {
		t.Fatalf("%d train rows", len(lg.Train))
	}
	if lg.Train[0].LearningRate != 0.01 || lg.Train[1].LearningRate != 0.01 || lg.Train[1].Outputs["loss"] != 1e-05 {
		t.Errorf("train rows %+v %+v", lg.Train[0], lg.Train[1])
	}
	if got := lg.Train[1].Seconds; math.Abs(got-1.700001) > 1e-9 {
		t.Errorf("across the new year: %v s, want 1.700001", got)
	}
	if _, err := Parse(strings.NewReader("I0101 00:00:00.0 1 x] Iteration 1, loss = 1\n"), 2025); err == nil {
		t.Error("a log without a Solving line parsed")
	}
}
