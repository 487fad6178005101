package solver

import (
	"fmt"
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Types lists the solver types, as the type field names them.
var Types = []string{"SGD", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta", "Adam"}

// historyPerParam is how many history blobs a solver type keeps per learnable blob:
// AdaDelta keeps the gradients' and the updates' running squares, Adam the first
// and second moments; the others one blob. A .solverstate holds them all, the
// first set for every parameter, then the second.
func historyPerParam(kind string) int {
	if kind == "AdaDelta" || kind == "Adam" {
		return 2
	}
	return 1
}

// checkType refuses a solver type or settings Caffe's solver constructors refuse.
func checkType(p *caffepb.SolverParameter) error {
	switch kind := p.GetType(); kind {
	case "SGD", "Nesterov", "AdaDelta", "Adam":
	case "AdaGrad":
		if p.GetMomentum() != 0 {
			return fmt.Errorf("momentum cannot be used with AdaGrad (momentum is %g; set it to 0)", p.GetMomentum())
		}
	case "RMSProp":
		if p.GetMomentum() != 0 {
			return fmt.Errorf("momentum cannot be used with RMSProp (momentum is %g; set it to 0)", p.GetMomentum())
		}
		if d := p.GetRmsDecay(); d < 0 || d >= 1 {
			return fmt.Errorf("rms_decay should lie between 0 and 1 (0 <= rms_decay < 1), got %g", d)
		}
	default:
		return fmt.Errorf("unknown solver type %q (one of %v)", kind, Types)
	}
	switch r := p.GetRegularizationType(); r {
	case "L1", "L2":
	default:
		return fmt.Errorf("unknown regularization_type %q (L1 or L2)", r)
	}
	return nil
}

// applyUpdate turns the accumulated gradients into a step and takes it, in Caffe's
// order (caffe-facts §3.17): learning rate, gradient clipping over all parameters,
// then per parameter normalisation by iter_size, weight decay and the solver's
// update rule, and finally w −= step for every parameter.
func (s *Solver) applyUpdate(display bool) {
	rate := learningRate(s.param, s.iter, &s.currentStep)
	if display {
		glog.Infof("Iteration %d, lr = %v", s.iter, G(rate))
	}
	s.clipGradients()
	for i := range s.params {
		s.normalize(i)
		s.regularize(i)
		s.computeUpdateValue(i, rate)
	}
	s.net.Update()
}

// clipGradients scales every gradient down when their joint L2 norm exceeds
// clip_gradients.
func (s *Solver) clipGradients() {
	clip := s.param.GetClipGradients()
	if clip < 0 {
		return
	}
	var sumsq float32
	for _, p := range s.params {
		sumsq += blas.Dot(p.Diff, p.Diff)
	}
	norm := float32(math.Sqrt(float64(sumsq)))
	if norm > clip {
		scale := clip / norm
		glog.Infof("Gradient clipping: scaling down gradients (L2 norm %v > %v) by scale factor %v", G(norm), G(clip), G(scale))
		for _, p := range s.params {
			blas.Scal(scale, p.Diff)
		}
	}
}

// normalize divides the gradient summed over iter_size passes by iter_size.
func (s *Solver) normalize(i int) {
	if n := s.param.GetIterSize(); n != 1 {
		blas.Scal(1/float32(n), s.params[i].Diff)
	}
}

// regularize adds the weight-decay gradient: wd·decay_mult·w (L2) or
// wd·decay_mult·sign(w) (L1).
func (s *Solver) regularize(i int) {
	decay := s.param.GetWeightDecay() * s.decayMult[i]
	if decay == 0 {
		return
	}
	p := s.params[i]
	if s.param.GetRegularizationType() == "L1" {
		for j, w := range p.Data {
			p.Diff[j] += decay * sign(w)
		}
		return
	}
	blas.Axpy(decay, p.Data, p.Diff)
}

func sign(x float32) float32 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// computeUpdateValue replaces parameter i's gradient g by the step the solver
// type takes, with local rate lr = rate·lr_mult, updating its history h:
//
//	SGD       h = m·h + lr·g;                       step = h
//	Nesterov  h' = m·h + lr·g;                      step = (1+m)·h' − m·h
//	AdaGrad   h += g²;                              step = lr·g / (√h + δ)
//	RMSProp   h = d·h + (1−d)·g²;                   step = lr·g / (√h + δ)
//	AdaDelta  h = m·h + (1−m)·g²;  u = g·√((hu+δ)/(h+δ));  hu = m·hu + (1−m)·u²;  step = lr·u
//	Adam      m1 = β1·m1 + (1−β1)·g;  v = β2·v + (1−β2)·g²;
//	          step = lr·√(1−β2ᵗ)/(1−β1ᵗ) · m1/(√v + δ),  t = iter+1
func (s *Solver) computeUpdateValue(i int, rate float32) {
	g := s.params[i].Diff  // the gradient in, the step out
	h := s.history[i].Data // count
	upd := s.update[i]     // count: Nesterov's copy of the old history
	lr := rate * s.lrMult[i]
	momentum := s.param.GetMomentum()
	delta := s.param.GetDelta()
	switch s.kind {
	case "SGD":
		blas.Axpby(lr, g, momentum, h)
		copy(g, h)
	case "Nesterov":
		copy(upd, h)
		blas.Axpby(lr, g, momentum, h)
		for j := range g {
			g[j] = (1+momentum)*h[j] - momentum*upd[j]
		}
	case "AdaGrad":
		for j, gj := range g {
			h[j] += gj * gj
			g[j] = lr * (gj / (sqrt32(h[j]) + delta))
		}
	case "RMSProp":
		d := s.param.GetRmsDecay()
		for j, gj := range g {
			h[j] = (1-d)*(gj*gj) + d*h[j]
			g[j] = lr * (gj / (sqrt32(h[j]) + delta))
		}
	case "AdaDelta":
		hu := s.history[len(s.params)+i].Data // count: running square of the updates
		for j, gj := range g {
			h[j] = (1-momentum)*(gj*gj) + momentum*h[j]
			u := gj * sqrt32((hu[j]+delta)/(h[j]+delta))
			hu[j] = (1-momentum)*(u*u) + momentum*hu[j]
			g[j] = lr * u
		}
	case "Adam":
		v := s.history[len(s.params)+i].Data // count: second moment; h is the first
		beta1, beta2 := momentum, s.param.GetMomentum2()
		t := float64(s.iter + 1)
		correction := float32(math.Sqrt(1-math.Pow(float64(beta2), t)) / (1 - math.Pow(float64(beta1), t)))
		scale := lr * correction
		for j, gj := range g {
			h[j] = (1-beta1)*gj + beta1*h[j]
			v[j] = (1-beta2)*(gj*gj) + beta2*v[j]
			g[j] = scale * (h[j] / (sqrt32(v[j]) + delta))
		}
	}
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// newHistory makes the zeroed history blobs for params.
func newHistory(kind string, params []*blob.Blob) []*blob.Blob {
	var h []*blob.Blob
	for k := 0; k < historyPerParam(kind); k++ {
		for _, p := range params {
			h = append(h, blob.New(p.Shape()...))
		}
	}
	return h
}
