package solver

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/testutil"
)

// The solvers' updates are checked bit for bit against Caffe's own sequence of calls
// on the real OpenBLAS and libm: under the openblas build tag against a C
// transcription of Caffe's solvers (internal/math/openblas, solver.go), and in every
// build against testdata/caffe_updates.txt, which that transcription wrote:
//
//	OPENBLAS_CORETYPE=Zen OPENBLAS_NUM_THREADS=2 go test -tags openblas ./internal/solver -run TestCaffeUpdatesGoldenFile -update

// updateCase is one solver configuration run for a few updates on blobs whose
// values, gradients and histories come from testutil.GoldenVec.
type updateCase struct {
	name     string
	settings string // SolverParameter text
	counts   []int  // the learnable blobs' sizes
	lrMult   []float32
	decay    []float32
	iter     int // the iteration of the first update
	steps    int
}

// Sizes that reach every path of saxpy and sscal: a tail shorter than its 32-float
// blocks, blocks and a tail, and one cut between OpenBLAS's two threads.
var updateCounts = []int{1000, 31, 10033}

func updateCases() []updateCase {
	three := func(a, b, c float32) []float32 { return []float32{a, b, c} }
	return []updateCase{
		{"sgd", `type: "SGD" momentum: 0.9 weight_decay: 0.0005 base_lr: 0.01 lr_policy: "step" gamma: 0.5 stepsize: 2`,
			updateCounts, three(1, 2, 1), three(1, 0, 1), 0, 6},
		// 0.0001·0.9999^63288 is one of the rates where Go's math.Pow is not glibc's pow.
		{"sgd_l1_exp", `type: "SGD" weight_decay: 0.01 regularization_type: "L1" base_lr: 0.0001 lr_policy: "exp" gamma: 0.9999`,
			updateCounts, three(1, 2, 0), three(1, 0, 2), 63286, 5},
		{"sgd_clip_itersize", `type: "SGD" momentum: 0.5 weight_decay: 0.001 clip_gradients: 50 iter_size: 3 base_lr: 0.01 lr_policy: "multistep" gamma: 0.3 stepvalue: 1 stepvalue: 3 stepvalue: 4`,
			updateCounts, three(1, 1, 1), three(1, 1, 1), 0, 6},
		{"nesterov", `type: "Nesterov" momentum: 0.95 weight_decay: 0.001 base_lr: 0.01 lr_policy: "inv" gamma: 0.0001 power: 0.75`,
			updateCounts, three(1, 2, 1), three(1, 0, 1), 100, 5},
		{"adagrad", `type: "AdaGrad" delta: 1e-6 weight_decay: 0.002 base_lr: 0.05 lr_policy: "poly" power: 0.9 max_iter: 20`,
			updateCounts, three(1, 2, 1), three(1, 0, 1), 3, 5},
		{"rmsprop", `type: "RMSProp" rms_decay: 0.98 delta: 1e-6 weight_decay: 0.0005 base_lr: 0.001 lr_policy: "sigmoid" gamma: 0.1 stepsize: 4`,
			updateCounts, three(1, 2, 1), three(1, 0, 1), 0, 6},
		{"rmsprop_l1_clip", `type: "RMSProp" rms_decay: 0.9 delta: 1e-8 weight_decay: 0.001 regularization_type: "L1" clip_gradients: 100 base_lr: 0.01 lr_policy: "fixed"`,
			updateCounts, three(1, 1, 1), three(1, 1, 1), 0, 5},
		{"adadelta", `type: "AdaDelta" momentum: 0.95 delta: 1e-6 weight_decay: 0.0005 base_lr: 1 lr_policy: "fixed"`,
			updateCounts, three(1, 2, 1), three(1, 0, 1), 0, 6},
		{"adadelta_l1_itersize", `type: "AdaDelta" momentum: 0.9 delta: 1e-7 weight_decay: 0.001 regularization_type: "L1" iter_size: 2 base_lr: 0.5 lr_policy: "step" gamma: 0.9 stepsize: 1`,
			updateCounts, three(1, 1, 0), three(1, 1, 1), 0, 5},
		{"adam", `type: "Adam" momentum: 0.9 momentum2: 0.999 delta: 1e-8 weight_decay: 0.0001 base_lr: 0.001 lr_policy: "fixed"`,
			updateCounts, three(1, 2, 1), three(1, 0, 1), 0, 6},
		{"adam_late", `type: "Adam" momentum: 0.95 momentum2: 0.9999 delta: 1e-6 base_lr: 0.002 lr_policy: "exp" gamma: 0.999`,
			updateCounts, three(1, 1, 1), three(1, 1, 1), 4999, 5},
	}
}

// seed returns the GoldenVec seed of one input of the case: kind 0 the values, 1
// the first histories, 2 the second, 3+step the gradients of that step.
func (c updateCase) seed(index, blob, kind int) uint64 {
	return uint64(1000*index + 100*kind + blob + 1)
}

// isSquares reports whether history set k of the solver type holds running squares,
// which start non-negative (a square root is taken of them).
func isSquares(kind string, k int) bool {
	switch kind {
	case "AdaGrad", "RMSProp", "AdaDelta":
		return true
	case "Adam":
		return k == 1
	}
	return false
}

// initialValues returns blob i's starting values and its histories (one or two
// sets).
func (c updateCase) initialValues(index, i int, kind string) (data []float32, hist [][]float32) {
	data = testutil.GoldenVec(c.seed(index, i, 0), c.counts[i])
	for k := range historyPerParam(kind) {
		h := testutil.GoldenVec(c.seed(index, i, 1+k), c.counts[i])
		for j := range h {
			h[j] *= 0x1p-8
			if isSquares(kind, k) {
				h[j] = float32(math.Abs(float64(h[j])))
			}
		}
		hist = append(hist, h)
	}
	return data, hist
}

// gradient returns blob i's gradient at step k.
func (c updateCase) gradient(index, i, k int) []float32 {
	g := testutil.GoldenVec(c.seed(index, i, 3+k), c.counts[i])
	for j := range g {
		g[j] *= 0x1p-6
	}
	return g
}

// gocaffeUpdates is gocaffe's side: a Solver with just its update state, stepped as
// applyUpdate steps it (learningRate, computeSteps, Net::Update's w −= step).
type gocaffeUpdates struct {
	c     updateCase
	index int
	s     *Solver
}

func newGocaffeUpdates(t testing.TB, c updateCase, index int) *gocaffeUpdates {
	t.Helper()
	p := solverParam(t, c.settings)
	if err := checkType(p); err != nil {
		t.Fatal(err)
	}
	if err := checkPolicy(p); err != nil {
		t.Fatal(err)
	}
	s := &Solver{param: p, kind: p.GetType(), iter: c.iter, lrMult: c.lrMult, decayMult: c.decay}
	for i, n := range c.counts {
		b := blob.New(n)
		data, _ := c.initialValues(index, i, s.kind)
		copy(b.Data, data)
		s.params = append(s.params, b)
	}
	s.history = newHistory(s.kind, s.params)
	for i := range c.counts {
		_, hist := c.initialValues(index, i, s.kind)
		for k, h := range hist {
			copy(s.history[k*len(c.counts)+i].Data, h)
		}
	}
	s.update, s.temp = newScratch(s.kind, p.GetRegularizationType() == "L1", s.params)
	return &gocaffeUpdates{c, index, s}
}

// step runs update k and returns its rate.
func (u *gocaffeUpdates) step(k int) float32 {
	s := u.s
	for i, p := range s.params {
		copy(p.Diff, u.c.gradient(u.index, i, k))
	}
	rate := learningRate(s.param, s.iter, &s.currentStep)
	s.computeSteps(rate)
	for _, p := range s.params {
		blas.Axpy(-1, p.Diff, p.Data)
	}
	s.iter++
	return rate
}

// state returns every value and history, in the order the golden hash covers them.
func (u *gocaffeUpdates) state() []float32 {
	var all []float32
	for _, p := range u.s.params {
		all = append(all, p.Data...)
	}
	for _, h := range u.s.history {
		all = append(all, h.Data...)
	}
	return all
}

// run runs all the case's updates and returns the rates and the final state.
func (u *gocaffeUpdates) run() (rates, state []float32) {
	for k := range u.c.steps {
		rates = append(rates, u.step(k))
	}
	return rates, u.state()
}

// goldenUpdateLine is the line of testdata/caffe_updates.txt for a case's results.
func goldenUpdateLine(c updateCase, rates, state []float32) string {
	return fmt.Sprintf("case=%s steps=%d rates=%016x state=%016x", c.name, c.steps,
		testutil.GoldenHash(rates), testutil.GoldenHash(state))
}

// TestCaffeUpdatesGolden runs every case through gocaffe's solver and compares the
// hashes of its learning rates and of its final values and histories with those of
// Caffe's sequence of calls on the real OpenBLAS and libm (testdata/caffe_updates.txt).
func TestCaffeUpdatesGolden(t *testing.T) {
	f, err := os.Open("testdata/caffe_updates.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	for sc := bufio.NewScanner(f); sc.Scan(); {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(l, "case="), " ")
		want[name] = l
	}
	cases := updateCases()
	if len(want) != len(cases) {
		t.Errorf("testdata/caffe_updates.txt has %d cases, the test %d: regenerate it", len(want), len(cases))
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			quiet(t)
			rates, state := newGocaffeUpdates(t, c, i).run()
			if got := goldenUpdateLine(c, rates, state); got != want[c.name] {
				t.Errorf("gocaffe:  %s\nCaffe's: %s\nrates: %s", got, want[c.name], fmtFloats(rates))
			}
		})
	}
}

func fmtFloats(v []float32) string {
	var sb strings.Builder
	for i, x := range v {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(strconv.FormatFloat(float64(x), 'g', -1, 32))
	}
	return sb.String()
}
