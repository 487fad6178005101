package solver

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/math/cmath"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Policies lists the learning-rate policies, as lr_policy names them.
var Policies = []string{"fixed", "step", "exp", "inv", "multistep", "poly", "sigmoid"}

// checkPolicy refuses, before training starts, a policy Caffe would refuse at its
// first update (with a CHECK failure), naming the field at fault.
func checkPolicy(p *caffepb.SolverParameter) error {
	policy := p.GetLrPolicy()
	gammaNonNeg := func() error {
		if p.GetGamma() < 0 {
			return fmt.Errorf("lr_policy %q needs gamma >= 0, got %g", policy, p.GetGamma())
		}
		return nil
	}
	switch policy {
	case "fixed", "poly":
		if policy == "poly" && p.GetMaxIter() <= 0 {
			return fmt.Errorf("lr_policy \"poly\" needs max_iter > 0, got %d", p.GetMaxIter())
		}
		return nil
	case "step", "sigmoid":
		if p.GetStepsize() <= 0 {
			return fmt.Errorf("lr_policy %q needs stepsize > 0, got %d", policy, p.GetStepsize())
		}
		return gammaNonNeg()
	case "exp", "inv", "multistep":
		return gammaNonNeg()
	case "":
		return fmt.Errorf("lr_policy is not set (one of %v)", Policies)
	}
	return fmt.Errorf("unknown learning rate policy %q (one of %v)", policy, Policies)
}

// learningRate returns the rate of the update that takes the solver from iteration
// iter to iter+1, as Caffe's SGDSolver::GetLearningRate computes it, with C++'s
// types and the C library's functions: pow and exp of floats give a float (glibc's
// powf and expf), pow of a float to an int power a double (glibc's pow, which Go's
// math.Pow is not: cmath.Pow), so that the rates round as Caffe's do (they are
// printed in the log, and Caffe's LeNet log is matched digit for digit). Caffe's
// build fuses no multiply-add, so neither does this. currentStep is the
// multistep/step position, which the call advances as Caffe's does (multistep moves
// at most one step per call).
func learningRate(p *caffepb.SolverParameter, iter int, currentStep *int) float32 {
	base := p.GetBaseLr()
	gamma := p.GetGamma()
	switch p.GetLrPolicy() {
	case "fixed":
		return base
	case "step":
		*currentStep = iter / int(p.GetStepsize())
		return float32(float64(base) * cmath.Pow(float64(gamma), float64(*currentStep)))
	case "exp":
		return float32(float64(base) * cmath.Pow(float64(gamma), float64(iter)))
	case "inv":
		x := 1 + float32(gamma*float32(iter))
		return base * powf(x, -p.GetPower())
	case "multistep":
		steps := p.GetStepvalue()
		if *currentStep < len(steps) && iter >= int(steps[*currentStep]) {
			*currentStep++
			glog.Infof("MultiStep Status: Iteration %d, step = %d", iter, *currentStep)
		}
		return float32(float64(base) * cmath.Pow(float64(gamma), float64(*currentStep)))
	case "poly":
		x := 1 - float32(iter)/float32(p.GetMaxIter())
		return base * powf(x, p.GetPower())
	case "sigmoid":
		x := -gamma * (float32(iter) - float32(p.GetStepsize()))
		return base * (1 / (1 + cmath.Expf(x)))
	}
	// checkPolicy has refused every other name before training started.
	panic("solver: unknown learning rate policy " + p.GetLrPolicy())
}

// powf is C's powf, glibc's (float32(math.Pow(...)) differs from it on about 0.06% of
// the inv and poly policies' arguments, enough to change a long run's rates).
func powf(x, y float32) float32 { return cmath.Powf(x, y) }
