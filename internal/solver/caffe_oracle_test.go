//go:build openblas

package solver

import (
	"flag"
	"math"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/openblas"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// These tests hold gocaffe's solver update to Caffe's: a C transcription of Caffe's
// solvers calling the real OpenBLAS and libm. Run them with the reference machine's
// kernels and threads:
//
//	OPENBLAS_CORETYPE=Zen OPENBLAS_NUM_THREADS=2 go test -tags openblas ./internal/solver -run Caffe

var update = flag.Bool("update", false, "rewrite testdata/caffe_updates.txt from Caffe's solvers on OpenBLAS")

// oracleParam is the oracle's copy of the settings Caffe's update reads.
func oracleParam(p *caffepb.SolverParameter) openblas.SolverParam {
	var steps []int
	for _, v := range p.GetStepvalue() {
		steps = append(steps, int(v))
	}
	return openblas.SolverParam{
		Type: p.GetType(), LrPolicy: p.GetLrPolicy(), RegularizationType: p.GetRegularizationType(),
		BaseLr: p.GetBaseLr(), Gamma: p.GetGamma(), Power: p.GetPower(), Momentum: p.GetMomentum(),
		Momentum2: p.GetMomentum2(), Delta: p.GetDelta(), RmsDecay: p.GetRmsDecay(),
		WeightDecay: p.GetWeightDecay(), ClipGradients: p.GetClipGradients(),
		Stepsize: int(p.GetStepsize()), MaxIter: int(p.GetMaxIter()), IterSize: int(p.GetIterSize()),
		Stepvalue: steps,
	}
}

// newOracle makes Caffe's side of a case, with the same starting values as gocaffe's.
func newOracle(t *testing.T, c updateCase, index int) *openblas.Solver {
	p := solverParam(t, c.settings)
	o := openblas.NewSolver(oracleParam(p), c.counts, c.lrMult, c.decay, c.iter, 0)
	for i := range c.counts {
		data, hist := c.initialValues(index, i, p.GetType())
		copy(o.Data(i), data)
		for k, h := range hist {
			copy(o.History(k*len(c.counts)+i), h)
		}
	}
	return o
}

// oracleRun runs the case's updates on Caffe's side, returning what gocaffeUpdates.run
// returns.
func oracleRun(t *testing.T, c updateCase, index int) (rates, state []float32) {
	o := newOracle(t, c, index)
	for k := range c.steps {
		for i := range c.counts {
			copy(o.Diff(i), c.gradient(index, i, k))
		}
		rates = append(rates, o.ApplyUpdate())
	}
	return rates, oracleState(o, c, solverParam(t, c.settings).GetType())
}

// oracleState returns what gocaffeUpdates.state returns, from Caffe's side.
func oracleState(o *openblas.Solver, c updateCase, kind string) []float32 {
	var all []float32
	for i := range c.counts {
		all = append(all, o.Data(i)...)
	}
	for i := range len(c.counts) * historyPerParam(kind) {
		all = append(all, o.History(i)...)
	}
	return all
}

// TestCaffeUpdatesOracle steps every case through gocaffe's solver and Caffe's side by
// side and compares the rate, every value and every history after each update, bit
// for bit.
func TestCaffeUpdatesOracle(t *testing.T) {
	for index, c := range updateCases() {
		t.Run(c.name, func(t *testing.T) {
			quiet(t)
			g := newGocaffeUpdates(t, c, index)
			o := newOracle(t, c, index)
			for k := range c.steps {
				for i := range c.counts {
					copy(o.Diff(i), c.gradient(index, i, k))
				}
				want := o.ApplyUpdate()
				if got := g.step(k); math.Float32bits(got) != math.Float32bits(want) {
					t.Errorf("update %d: rate %v, Caffe's %v", k, got, want)
				}
				got, caffe := g.state(), oracleState(o, c, g.s.kind)
				for j := range caffe {
					if math.Float32bits(got[j]) != math.Float32bits(caffe[j]) {
						t.Fatalf("update %d: element %d of the values and histories is %v (%#08x), Caffe's %v (%#08x)",
							k, j, got[j], math.Float32bits(got[j]), caffe[j], math.Float32bits(caffe[j]))
					}
				}
			}
		})
	}
}

// TestCaffeUpdatesGoldenFile writes testdata/caffe_updates.txt with -update, and
// otherwise checks that the file is what Caffe's sequence of calls computes.
func TestCaffeUpdatesGoldenFile(t *testing.T) {
	const path = "testdata/caffe_updates.txt"
	var sb strings.Builder
	sb.WriteString("# Caffe's solver updates (a C transcription of BVLC Caffe's solvers on OpenBLAS 0.3.21, Zen kernels,\n")
	sb.WriteString("# 2 threads, and glibc 2.36's libm) for the cases of caffe_golden_test.go: FNV-1a hashes of the\n")
	sb.WriteString("# learning rates and of the final values and histories. Regenerate:\n")
	sb.WriteString("# OPENBLAS_CORETYPE=Zen OPENBLAS_NUM_THREADS=2 go test -tags openblas ./internal/solver -run TestCaffeUpdatesGoldenFile -update\n")
	quiet(t)
	for index, c := range updateCases() {
		rates, state := oracleRun(t, c, index)
		sb.WriteString(goldenUpdateLine(c, rates, state) + "\n")
	}
	testutil.CheckGolden(t, path, sb.String(), *update, "Caffe's solvers on OpenBLAS")
}

// TestLearningRateOracle compares every policy's rate with Caffe's GetLearningRate
// for the first 100,000 iterations, among them the gamma^n where Go's math.Pow and
// glibc's pow disagree after rounding (0.0001·0.9999^63288, 0.1·0.995^6349, …).
func TestLearningRateOracle(t *testing.T) {
	quiet(t)
	policies := []string{
		`lr_policy: "fixed" base_lr: 0.01`,
		`lr_policy: "step" base_lr: 0.1 gamma: 0.1 stepsize: 7`,
		`lr_policy: "step" base_lr: 0.01 gamma: 0.96 stepsize: 3`,
		`lr_policy: "exp" base_lr: 0.1 gamma: 0.995`,
		`lr_policy: "exp" base_lr: 0.0001 gamma: 0.9999`,
		`lr_policy: "exp" base_lr: 0.01 gamma: 0.99999`,
		`lr_policy: "inv" base_lr: 0.01 gamma: 0.0001 power: 0.75`,
		`lr_policy: "multistep" base_lr: 0.01 gamma: 0.7 stepvalue: 10 stepvalue: 5000 stepvalue: 20000 stepvalue: 50000`,
		`lr_policy: "poly" base_lr: 0.01 power: 0.9 max_iter: 100000`,
		`lr_policy: "sigmoid" base_lr: 0.01 gamma: 0.001 stepsize: 50000`,
	}
	for _, text := range policies {
		p := solverParam(t, text)
		o := openblas.NewSolver(oracleParam(p), []int{1}, []float32{1}, []float32{1}, 0, 0)
		var step, ostep int
		differ := 0
		for iter := range 100000 {
			got := learningRate(p, iter, &step)
			want, next := o.LearningRate(iter, ostep)
			ostep = next
			if math.Float32bits(got) != math.Float32bits(want) || step != ostep {
				if differ++; differ <= 5 {
					t.Errorf("%s: iteration %d: rate %v (step %d), Caffe's %v (step %d)", text, iter, got, step, want, ostep)
				}
			}
		}
		if differ > 0 {
			t.Errorf("%s: %d rates differ", text, differ)
		}
	}
}
