package solver

import (
	"bytes"
	"math"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/testutil"
)

// quiet sends the log to a buffer for the rest of the test and returns it.
func quiet(t testing.TB) *bytes.Buffer {
	t.Helper()
	return testutil.CaptureLog(t)
}

// newSolver builds a solver from solver text, writing snapshots into a temporary
// folder.
func newSolver(t testing.TB, text string, opts Options) *Solver {
	t.Helper()
	p := solverParam(t, text)
	if p.SnapshotPrefix == nil {
		p.SnapshotPrefix = proto.String(filepath.Join(t.TempDir(), "snap"))
	}
	s, err := New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// tinyNet has two learnable blobs with different multipliers: ip's weights
// (lr_mult 1, decay_mult 1) and bias (lr_mult 2, decay_mult 0).
const tinyNet = `
net_param {
  name: "tiny"
  layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 } } }
  layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip"
          param { lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
          inner_product_param { num_output: 2
            weight_filler { type: "gaussian" std: 1 } bias_filler { type: "gaussian" std: 1 } } }
}
random_seed: 3
`

// refSolver applies Caffe's update (caffe-facts §2.2, §3.17) in float64, written
// straight from the formulas, independently of the solver's code.
type refSolver struct {
	kind                            string
	momentum, momentum2, delta, rms float64
	wd, clip                        float64
	l1                              bool
	iterSize                        float64
	lrMult, decayMult               []float64
	w, h, h2                        [][]float64
}

func (r *refSolver) step(iter int, rate float64, grads [][]float64) {
	g := make([][]float64, len(grads))
	sumsq := 0.0
	for i := range grads {
		g[i] = append([]float64(nil), grads[i]...)
		for _, v := range g[i] {
			sumsq += v * v
		}
	}
	if norm := math.Sqrt(sumsq); r.clip >= 0 && norm > r.clip {
		for i := range g {
			for j := range g[i] {
				g[i][j] *= r.clip / norm
			}
		}
	}
	for i := range g {
		lr := rate * r.lrMult[i]
		decay := r.wd * r.decayMult[i]
		for j := range g[i] {
			x := g[i][j] / r.iterSize
			w := r.w[i][j]
			if r.l1 {
				x += decay * float64(caffeSign(float32(w)))
			} else {
				x += decay * w
			}
			var step float64
			h, h2 := &r.h[i][j], &r.h2[i][j]
			switch r.kind {
			case "SGD":
				*h = r.momentum**h + lr*x
				step = *h
			case "Nesterov":
				old := *h
				*h = r.momentum**h + lr*x
				step = (1+r.momentum)**h - r.momentum*old
			case "AdaGrad":
				*h += x * x
				step = lr * x / (math.Sqrt(*h) + r.delta)
			case "RMSProp":
				*h = r.rms**h + (1-r.rms)*x*x
				step = lr * x / (math.Sqrt(*h) + r.delta)
			case "AdaDelta":
				*h = r.momentum**h + (1-r.momentum)*x*x
				u := x * math.Sqrt((*h2+r.delta)/(*h+r.delta))
				*h2 = r.momentum**h2 + (1-r.momentum)*u*u
				step = lr * u
			case "Adam":
				b1, b2 := r.momentum, r.momentum2
				*h = b1**h + (1-b1)*x
				*h2 = b2**h2 + (1-b2)*x*x
				t := float64(iter + 1)
				step = lr * math.Sqrt(1-math.Pow(b2, t)) / (1 - math.Pow(b1, t)) * *h / (math.Sqrt(*h2) + r.delta)
			}
			r.w[i][j] -= step
		}
	}
}

// TestUpdateRules runs three updates of every solver type on gradients set by hand
// and compares the weights with refSolver's.
func TestUpdateRules(t *testing.T) {
	tests := []struct{ name, settings string }{
		{"SGD", `type: "SGD" momentum: 0.9 weight_decay: 0.01`},
		{"SGD no momentum", `type: "SGD" weight_decay: 0.05`},
		{"SGD L1", `type: "SGD" momentum: 0.5 weight_decay: 0.1 regularization_type: "L1"`},
		{"SGD clipped", `type: "SGD" momentum: 0.9 weight_decay: 0.01 clip_gradients: 0.5`},
		{"SGD iter_size", `type: "SGD" momentum: 0.9 weight_decay: 0.01 iter_size: 4`},
		{"Nesterov", `type: "Nesterov" momentum: 0.95 weight_decay: 0.001`},
		{"AdaGrad", `type: "AdaGrad" weight_decay: 0.001 delta: 1e-6`},
		{"RMSProp", `type: "RMSProp" rms_decay: 0.98 weight_decay: 0.002`},
		{"RMSProp legacy enum", `solver_type: RMSPROP rms_decay: 0.9`},
		{"AdaDelta", `type: "AdaDelta" momentum: 0.95 delta: 1e-6 weight_decay: 0.001`},
		{"Adam", `type: "Adam" momentum: 0.9 momentum2: 0.999 delta: 1e-8 weight_decay: 0.0001`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			quiet(t)
			text := tinyNet + tt.settings + ` base_lr: 0.1 lr_policy: "inv" gamma: 0.1 power: 0.5`
			p := solverParam(t, text)
			if p.SolverType != nil { // as protofile.ReadSolverText upgrades it
				p.Type = proto.String("RMSProp")
				p.SolverType = nil
			}
			p.SnapshotPrefix = proto.String(filepath.Join(t.TempDir(), "snap"))
			s, err := New(p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			params := s.net.Learnable()
			if len(params) != 2 {
				t.Fatalf("%d learnable blobs", len(params))
			}
			ref := &refSolver{
				kind: p.GetType(), momentum: float64(p.GetMomentum()), momentum2: float64(p.GetMomentum2()),
				delta: float64(p.GetDelta()), rms: float64(p.GetRmsDecay()), wd: float64(p.GetWeightDecay()),
				clip: float64(p.GetClipGradients()), l1: p.GetRegularizationType() == "L1",
				iterSize: float64(p.GetIterSize()), lrMult: []float64{1, 2}, decayMult: []float64{1, 0},
			}
			for _, b := range params {
				ref.w = append(ref.w, f64(b.Data))
				ref.h = append(ref.h, make([]float64, b.Count()))
				ref.h2 = append(ref.h2, make([]float64, b.Count()))
			}
			for iter := 0; iter < 3; iter++ {
				var grads [][]float64
				for i, b := range params {
					for j := range b.Diff {
						b.Diff[j] = float32(math.Sin(float64(7*iter+3*j+11*i+1))) * 0.8
					}
					grads = append(grads, f64(b.Diff))
				}
				rate := 0.1 * math.Pow(1+0.1*float64(iter), -0.5)
				s.applyUpdate(false)
				s.iter++
				ref.step(iter, rate, grads)
				for i, b := range params {
					for j, w := range b.Data {
						if want := ref.w[i][j]; math.Abs(float64(w)-want) > 2e-6+2e-5*math.Abs(want) {
							t.Fatalf("iteration %d, blob %d[%d]: %v, want %v", iter, i, j, w, want)
						}
					}
				}
			}
		})
	}
}

func f64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

func TestBadSolver(t *testing.T) {
	quiet(t)
	tests := []struct{ settings, want string }{
		{`type: "AdaGrad" momentum: 0.9 lr_policy: "fixed"`, "momentum cannot be used with AdaGrad"},
		{`type: "RMSProp" momentum: 0.9 lr_policy: "fixed"`, "momentum cannot be used with RMSProp"},
		{`type: "RMSProp" rms_decay: 1 lr_policy: "fixed"`, "rms_decay should lie between 0 and 1"},
		{`type: "Adagrad" lr_policy: "fixed"`, `unknown solver type "Adagrad"`},
		{`regularization_type: "L3" lr_policy: "fixed"`, `unknown regularization_type "L3"`},
		{`average_loss: 0 lr_policy: "fixed"`, "average_loss should be at least 1"},
		{`iter_size: 0 lr_policy: "fixed"`, "iter_size should be at least 1"},
		{`lr_policy: "fixed" snapshot_prefix: "/nonexistent/dir/lenet"`, "cannot write to snapshot prefix '/nonexistent/dir/lenet'"},
		{`lr_policy: "fixed" test_iter: 1`, "test_interval must be positive"},
		{`lr_policy: "fixed" test_iter: 1 test_interval: 5 test_state {} test_state {}`, "test_state must be unspecified or specified once per test net"},
		{`lr_policy: "fixed" weights: "missing.caffemodel"`, "missing.caffemodel"},
		{`lr_policy: "fixed" weights: "w.caffemodel.h5"`, "w.caffemodel.h5"},
	}
	for _, tt := range tests {
		p := solverParam(t, tinyNet+tt.settings)
		if p.SnapshotPrefix == nil {
			p.SnapshotPrefix = proto.String(filepath.Join(t.TempDir(), "snap"))
		}
		s, err := New(p, Options{})
		if err == nil {
			s.Close()
			t.Errorf("%s: no error, want %q", tt.settings, tt.want)
			continue
		}
		if !bytes.Contains([]byte(err.Error()), []byte(tt.want)) {
			t.Errorf("%s: error %q, want one containing %q", tt.settings, err, tt.want)
		}
	}
	for _, text := range []string{`lr_policy: "fixed"`, `lr_policy: "fixed" net: "a" train_net: "b"`} {
		p := solverParam(t, text)
		p.SnapshotPrefix = proto.String(filepath.Join(t.TempDir(), "snap"))
		if _, err := New(p, Options{}); err == nil || !bytes.Contains([]byte(err.Error()), []byte("train net")) {
			t.Errorf("%s: error %v", text, err)
		}
	}
}
