package solver

import (
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"

	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func solverParam(t testing.TB, text string) *caffepb.SolverParameter {
	t.Helper()
	p := &caffepb.SolverParameter{}
	if err := prototext.Unmarshal([]byte(text), p); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLearningRate checks every policy against the formulas of Caffe's
// SGDSolver::GetLearningRate, worked out by hand.
func TestLearningRate(t *testing.T) {
	tests := []struct {
		name   string
		solver string
		iters  []int
		want   []float64
	}{
		{"fixed", `lr_policy: "fixed" base_lr: 0.1`, []int{0, 7, 1000}, []float64{0.1, 0.1, 0.1}},
		// 0.1·0.5^floor(iter/3)
		{"step", `lr_policy: "step" base_lr: 0.1 gamma: 0.5 stepsize: 3`,
			[]int{0, 2, 3, 5, 6, 10}, []float64{0.1, 0.1, 0.05, 0.05, 0.025, 0.0125}},
		// 0.1·0.9^iter
		{"exp", `lr_policy: "exp" base_lr: 0.1 gamma: 0.9`,
			[]int{0, 1, 2, 10}, []float64{0.1, 0.09, 0.081, 0.1 * 0.3486784401}},
		// LeNet's: 0.01·(1 + 1e-4·iter)^−0.75; Caffe logs 0.01, 0.00999925, 0.0099985, 0.00996266 (iter 50).
		{"inv", `lr_policy: "inv" base_lr: 0.01 gamma: 0.0001 power: 0.75`,
			[]int{0, 1, 2, 50, 10000}, []float64{0.01, 0.01 * math.Pow(1.0001, -0.75), 0.01 * math.Pow(1.0002, -0.75),
				0.01 * math.Pow(1.005, -0.75), 0.01 * math.Pow(2, -0.75)}},
		// 0.2·(1 − iter/100)^2
		{"poly", `lr_policy: "poly" base_lr: 0.2 power: 2 max_iter: 100`,
			[]int{0, 50, 90, 100}, []float64{0.2, 0.05, 0.002, 0}},
		// 0.3/(1 + e^(−0.1·(iter − 20)))
		{"sigmoid", `lr_policy: "sigmoid" base_lr: 0.3 gamma: 0.1 stepsize: 20`,
			[]int{0, 20, 40}, []float64{0.3 / (1 + math.Exp(2)), 0.15, 0.3 / (1 + math.Exp(-2))}},
		// One step per call: called at 0..7 in order, it moves at 2, 4 and 6.
		{"multistep", `lr_policy: "multistep" base_lr: 1 gamma: 0.1 stepvalue: 2 stepvalue: 4 stepvalue: 6`,
			[]int{0, 1, 2, 3, 4, 5, 6, 7}, []float64{1, 1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001}},
		// Called first at 10 (as after a resume from a state without current_step),
		// it still moves one step per call — Caffe's quirk.
		{"multistep late", `lr_policy: "multistep" base_lr: 1 gamma: 0.1 stepvalue: 2 stepvalue: 4 stepvalue: 6`,
			[]int{10, 11, 12, 13}, []float64{0.1, 0.01, 0.001, 0.001}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := solverParam(t, tt.solver)
			if err := checkPolicy(p); err != nil {
				t.Fatal(err)
			}
			step := 0
			for i, iter := range tt.iters {
				got := learningRate(p, iter, &step)
				if math.Abs(float64(got)-tt.want[i]) > 1e-6*math.Abs(tt.want[i])+1e-12 {
					t.Errorf("iter %d: rate %v, want %v", iter, got, tt.want[i])
				}
			}
		})
	}
}

// TestLearningRateLogged checks the rates as Caffe's LeNet log prints them.
func TestLearningRateLogged(t *testing.T) {
	p := solverParam(t, `lr_policy: "inv" base_lr: 0.01 gamma: 0.0001 power: 0.75`)
	step := 0
	for iter, want := range map[int]string{0: "0.01", 1: "0.00999925", 2: "0.0099985", 50: "0.00996266", 99: "0.00992639"} {
		if got := G(learningRate(p, iter, &step)).String(); got != want {
			t.Errorf("iter %d: lr = %s, Caffe logs %s", iter, got, want)
		}
	}
}

func TestBadPolicy(t *testing.T) {
	tests := []struct{ solver, want string }{
		{`base_lr: 0.1`, "lr_policy is not set"},
		{`lr_policy: "cosine"`, `unknown learning rate policy "cosine"`},
		{`lr_policy: "step" gamma: 0.1`, "stepsize > 0"},
		{`lr_policy: "sigmoid" gamma: -0.5 stepsize: 10`, "gamma >= 0"},
		{`lr_policy: "inv" gamma: -1`, "gamma >= 0"},
		{`lr_policy: "poly" power: 1`, "max_iter > 0"},
	}
	for _, tt := range tests {
		err := checkPolicy(solverParam(t, tt.solver))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.solver, err, tt.want)
		}
	}
}

// TestLearningRateCaffeLog wants every rate of Caffe's LeNet log (inv policy,
// iterations 0–99) digit for digit.
func TestLearningRateCaffeLog(t *testing.T) {
	data, err := os.ReadFile(testutil.Path("fixtures/nets/lenet_mnist/train.log"))
	if err != nil {
		t.Fatal(err)
	}
	p := solverParam(t, `lr_policy: "inv" base_lr: 0.01 gamma: 0.0001 power: 0.75`)
	re := regexp.MustCompile(`Iteration (\d+), lr = (\S+)`)
	n := 0
	for _, m := range re.FindAllStringSubmatch(string(data), -1) {
		iter, _ := strconv.Atoi(m[1])
		step := 0
		if got := G(learningRate(p, iter, &step)).String(); got != m[2] {
			t.Errorf("iteration %d: lr = %s, Caffe's %s", iter, got, m[2])
		}
		n++
	}
	if n != 100 {
		t.Errorf("%d rates in Caffe's log", n)
	}
}
