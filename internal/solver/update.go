package solver

import (
	"fmt"
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
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
// order (SGDSolver::ApplyUpdate): learning rate, gradient clipping over all
// parameters, then per parameter normalisation by iter_size, weight decay and the
// solver's update rule, and finally w −= step for every parameter (Net::Update).
func (s *Solver) applyUpdate(display bool) {
	rate := learningRate(s.param, s.iter, &s.currentStep)
	if display {
		glog.Infof("Iteration %d, lr = %v", s.iter, G(rate))
	}
	s.computeSteps(rate)
	s.net.Update()
}

// computeSteps replaces every parameter's gradient by the step the solver takes at
// this iteration's rate, updating the history: all of ApplyUpdate but the rate and
// Net::Update.
func (s *Solver) computeSteps(rate float32) {
	s.clipGradients()
	for i := range s.params {
		s.normalize(i)
		s.regularize(i)
		s.computeUpdateValue(i, rate)
	}
}

// clipGradients scales every gradient down when their joint L2 norm exceeds
// clip_gradients: Caffe adds the blobs' sums of squares (caffe_cpu_dot) in float,
// takes sqrtf and scales with caffe_scal.
func (s *Solver) clipGradients() {
	clip := s.param.GetClipGradients()
	if clip < 0 {
		return
	}
	var sumsq float32
	for _, p := range s.params {
		sumsq += blas.Dot(p.Diff, p.Diff)
	}
	norm := float32(math.Sqrt(float64(sumsq))) // sqrtf: correctly rounded either way
	if norm > clip {
		scale := clip / norm
		glog.Infof("Gradient clipping: scaling down gradients (L2 norm %v > %v) by scale factor %v", G(norm), G(clip), G(scale))
		for _, p := range s.params {
			blas.Scal(scale, p.Diff)
		}
	}
}

// normalize divides the gradient summed over iter_size passes by iter_size, as
// caffe_scal by 1/iter_size.
func (s *Solver) normalize(i int) {
	if n := s.param.GetIterSize(); n != 1 {
		blas.Scal(1/float32(n), s.params[i].Diff)
	}
}

// regularize adds the weight-decay gradient: caffe_axpy of wd·decay_mult times w (L2)
// or times sign(w), which Caffe first writes into temp_ (L1).
func (s *Solver) regularize(i int) {
	decay := s.param.GetWeightDecay() * s.decayMult[i]
	if decay == 0 {
		return
	}
	p := s.params[i]
	if s.param.GetRegularizationType() == "L1" {
		sign := s.temp[i]
		for j, w := range p.Data {
			sign[j] = caffeSign(w)
		}
		blas.Axpy(decay, sign, p.Diff)
		return
	}
	blas.Axpy(decay, p.Data, p.Diff)
}

// caffeSign is caffe_sign: (0 < x) − (x < 0), so 0 for ±0 and NaN.
func caffeSign(x float32) float32 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// computeUpdateValue replaces parameter i's gradient g by the step the solver type
// takes with the local rate lr = rate·lr_mult, updating its history h, with Caffe's
// CPU code call for call (sgd_solver.cpp and the other solvers' ComputeUpdateValue):
// its axpby is sscal then saxpy (mkl_alternate.hpp), its powx is powf (x² and √x
// included), its scale is a copy then sscal, and every other call rounds once per
// element. In formulas:
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
	upd := s.update[i]     // count: Caffe's update_ (Nesterov, AdaGrad, RMSProp, AdaDelta)
	tmp := s.temp[i]       // count: Caffe's temp_ (AdaDelta, Adam; L1 decay)
	lr := rate * s.lrMult[i]
	momentum := s.param.GetMomentum()
	delta := s.param.GetDelta()
	switch s.kind {
	case "SGD":
		blas.Axpby(lr, g, momentum, h)
		copy(g, h)
	case "Nesterov":
		copy(upd, h) // the old history, to step back
		blas.Axpby(lr, g, momentum, h)
		blas.Axpby(1+momentum, h, -momentum, upd)
		copy(g, upd)
	case "AdaGrad":
		blas.Powx(g, 2, upd)
		vecAdd(upd, h, h)
		blas.Powx(h, 0.5, upd)
		vecAddScalar(delta, upd)
		vecDiv(g, upd, upd)
		blas.Axpby(lr, upd, 0, g)
	case "RMSProp":
		d := s.param.GetRmsDecay()
		blas.Powx(g, 2, upd)
		blas.Axpby(1-d, upd, d, h)
		blas.Powx(h, 0.5, upd)
		vecAddScalar(delta, upd)
		vecDiv(g, upd, upd)
		blas.Axpby(lr, upd, 0, g)
	case "AdaDelta":
		hu := s.history[len(s.params)+i].Data // count: running square of the updates
		blas.Powx(g, 2, upd)
		blas.Axpby(1-momentum, upd, momentum, h)
		blas.Fill(tmp, delta)
		vecAdd(tmp, hu, upd)
		vecAdd(tmp, h, tmp)
		vecDiv(upd, tmp, upd)
		blas.Powx(upd, 0.5, upd)
		vecMul(g, upd, g)
		blas.Powx(g, 2, upd)
		blas.Axpby(1-momentum, upd, momentum, hu)
		blas.Scale(lr, g, g)
	case "Adam":
		v := s.history[len(s.params)+i].Data // count: second moment; h is the first
		beta1, beta2 := momentum, s.param.GetMomentum2()
		// C++'s pow of a float to an int power is the double pow; the rest in
		// double too, rounded to float once.
		t := float64(s.iter + 1)
		correction := float32(math.Sqrt(1-cmath.Pow(float64(beta2), t)) / (1 - cmath.Pow(float64(beta1), t)))
		blas.Axpby(1-beta1, g, beta1, h)
		vecMul(g, g, tmp)
		blas.Axpby(1-beta2, tmp, beta2, v)
		blas.Powx(v, 0.5, tmp)
		vecAddScalar(delta, tmp)
		vecDiv(h, tmp, tmp)
		blas.Scale(lr*correction, tmp, g)
	}
}

// The element-wise functions of Caffe's math_functions.cpp (vsAdd, vsMul and vsDiv of
// mkl_alternate.hpp, caffe_add_scalar): one rounded operation per element.

// vecAdd is caffe_add: y = a + b.
func vecAdd(a, b, y []float32) {
	b, y = b[:len(a)], y[:len(a)]
	for i, v := range a {
		y[i] = v + b[i]
	}
}

// vecMul is caffe_mul: y = a·b.
func vecMul(a, b, y []float32) {
	b, y = b[:len(a)], y[:len(a)]
	for i, v := range a {
		y[i] = v * b[i]
	}
}

// vecDiv is caffe_div: y = a/b.
func vecDiv(a, b, y []float32) {
	b, y = b[:len(a)], y[:len(a)]
	for i, v := range a {
		y[i] = v / b[i]
	}
}

// vecAddScalar is caffe_add_scalar: y += alpha.
func vecAddScalar(alpha float32, y []float32) {
	for i := range y {
		y[i] += alpha
	}
}

// newScratch makes the per-parameter scratch the solver type needs, as Caffe's
// update_ and temp_ blobs (Caffe makes both for every type; nil where unused).
func newScratch(kind string, l1 bool, params []*blob.Blob) (update, temp [][]float32) {
	needUpdate := kind == "Nesterov" || kind == "AdaGrad" || kind == "RMSProp" || kind == "AdaDelta"
	needTemp := kind == "AdaDelta" || kind == "Adam" || l1
	for _, p := range params {
		var u, t []float32
		if needUpdate {
			u = blob.Floats(p.Count())
		}
		if needTemp {
			t = blob.Floats(p.Count())
		}
		update, temp = append(update, u), append(temp, t)
	}
	return update, temp
}

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
