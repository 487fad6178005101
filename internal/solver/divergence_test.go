package solver

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// overflowNet has finite losses and gradients, but base_lr makes the first update
// overflow the weights to infinity.
const overflowNet = `
net_param {
  name: "overflow"
  layer { name: "data" type: "DummyData" top: "x" top: "y"
    dummy_data_param { shape { dim: 2 dim: 3 } shape { dim: 2 dim: 1 }
      data_filler { type: "constant" value: 1000 } data_filler { type: "constant" value: 0 } } }
  layer { name: "ip" type: "InnerProduct" bottom: "x" top: "ip"
    inner_product_param { num_output: 1 weight_filler { type: "constant" value: 1 } } }
  layer { name: "loss" type: "EuclideanLoss" bottom: "ip" bottom: "y" top: "loss" }
}
base_lr: 1e33 lr_policy: "fixed" max_iter: 3
`

// TestDivergenceParams: an update that makes a parameter
// infinite stops training at that iteration, naming the parameter, before the next
// forward pass; with ContinueOnNaN the run goes on as Caffe's does.
func TestDivergenceParams(t *testing.T) {
	quiet(t)
	s := newSolver(t, overflowNet, Options{})
	err := s.Solve()
	var de *DivergenceError
	if !errors.As(err, &de) || de.Iter != 0 || !strings.Contains(err.Error(), `the update made layer "ip"'s param blob 0 non-finite`) ||
		de.Where == nil || de.Where.Layer != "ip" {
		t.Fatalf("error %v", err)
	}
	if s.Iter() != 0 {
		t.Errorf("stopped at iteration %d, want 0", s.Iter())
	}

	s = newSolver(t, overflowNet, Options{ContinueOnNaN: true})
	if err := s.Solve(); err != nil || s.Iter() != 3 {
		t.Fatalf("ContinueOnNaN: iteration %d, %v", s.Iter(), err)
	}
}

// TestFiniteCheckFalseAlarm: finite parameters whose magnitudes sum beyond
// float32's range are not a divergence (the search finds no NaN or infinity).
func TestFiniteCheckFalseAlarm(t *testing.T) {
	quiet(t)
	s := newSolver(t, overflowNet, Options{})
	p := s.params[0]
	for i := range p.Data {
		p.Data[i] = math.MaxFloat32
	}
	if err := s.checkParams(); err != nil {
		t.Fatal(err)
	}
	p.Data[1] = float32(math.Inf(-1))
	if err := s.checkParams(); err == nil {
		t.Fatal("an infinite weight passed")
	}
}
