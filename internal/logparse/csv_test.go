package logparse

import (
	"math"
	"strings"
	"testing"
)

func TestPyFloat(t *testing.T) {
	tenth := 0.1 // a variable: constant arithmetic would be exact
	for _, tt := range []struct {
		v    float64
		want string
	}{
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{100, "100.0"},
		{0.01, "0.01"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{2.5e-7, "2.5e-07"},
		{tenth + 0.2, "0.30000000000000004"},
		{1e15, "1000000000000000.0"},
		{1e16, "1e+16"},
		{123456789012345678, "1.2345678901234568e+17"},
		{-3.5, "-3.5"},
		{math.NaN(), "nan"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	} {
		if got := PyFloat(tt.v); got != tt.want {
			t.Errorf("PyFloat(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

// TestWriteCSV: the .train and .test files parse_log.py writes for a small log,
// worked out by hand from its code: rows completed by their column count, the first
// row's missing learning rate copied from the second, seconds from the Solving line
// to the microsecond, Python's float repr, CRLF line ends.
func TestWriteCSV(t *testing.T) {
	log := `I1126 21:29:59.000000  1 caffe.cpp:1] Use CPU.
I1126 21:30:00.000000  1 solver.cpp:1] Solving LeNet
I1126 21:30:00.100000  1 solver.cpp:2] Iteration 0, Testing net (#0)
I1126 21:30:00.250000  1 solver.cpp:3]     Test net output #0: accuracy = 0.078
I1126 21:30:00.250001  1 solver.cpp:3]     Test net output #1: loss = 2.33173 (* 1 = 2.33173 loss)
I1126 21:30:00.300000  1 solver.cpp:4] Iteration 0 (0 iter/s, 0.3s/100 iters), loss = 2.32814
I1126 21:30:00.300000  1 solver.cpp:5]     Train net output #0: loss = 2.32814 (* 1 = 2.32814 loss)
I1126 21:30:00.300000  1 solver.cpp:6] Iteration 0, lr = 0.01
I1126 21:30:10.000020  1 solver.cpp:4] Iteration 100 (10 iter/s, 9.7s/100 iters), loss = 1e-05
I1126 21:30:10.000020  1 solver.cpp:5]     Train net output #0: loss = 1e-05 (* 1 = 1e-05 loss)
I1126 21:30:10.000020  1 solver.cpp:6] Iteration 100, lr = 0.00992565
I1126 21:30:20.000000  1 solver.cpp:2] Iteration 200, Testing net (#0)
I1126 21:30:20.500000  1 solver.cpp:3]     Test net output #0: accuracy = 1
I1126 21:30:20.500000  1 solver.cpp:3]     Test net output #1: loss = 123456789012345678 (* 0.5 = 61728394506172839 loss)
`
	lg, err := Parse(strings.NewReader(log), 2026)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		rows []*Row
		want string
	}{
		{"train", lg.Train, "NumIters,Seconds,LearningRate,loss\r\n" +
			"0.0,0.3,0.01,2.32814\r\n" +
			"100.0,10.00002,0.01,1e-05\r\n"},
		{"test", lg.Test, "NumIters,Seconds,LearningRate,accuracy,loss\r\n" +
			"0.0,0.25,0.00992565,0.078,2.33173\r\n" +
			"200.0,20.5,0.00992565,1.0,1.2345678901234568e+17\r\n"},
		{"none", nil, ""},
	} {
		var b strings.Builder
		if err := WriteCSV(&b, tt.rows, ','); err != nil {
			t.Fatal(err)
		}
		if b.String() != tt.want {
			t.Errorf("%s:\n%q, want\n%q", tt.name, b.String(), tt.want)
		}
	}
	var b strings.Builder
	nan := &Row{NumIters: 0, Seconds: 0.3, LearningRate: math.NaN(), Names: []string{"loss"}, Outputs: map[string]float64{"loss": 2.32814}}
	WriteCSV(&b, []*Row{nan}, '\t')
	if want := "NumIters\tSeconds\tLearningRate\tloss\r\n0.0\t0.3\tnan\t2.32814\r\n"; b.String() != want {
		t.Errorf("a tab-separated table of one row:\n%q, want\n%q", b.String(), want)
	}
	// The outputs printed with a loss weight, and their weights.
	if len(lg.LossWeight) != 1 || lg.LossWeight["loss"] != 0.5 {
		t.Errorf("loss weights %v, want loss: 0.5 (the last printed)", lg.LossWeight)
	}
}
