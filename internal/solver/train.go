package solver

import (
	"fmt"
	"time"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/math/blas"
)

// The training loop: Solve and Step run iterations (forward, backward, update, the
// display and the snapshots), stopping on a requested action or on divergence;
// TestAll and Test run the test nets.

func (s *Solver) requestedAction() Action {
	if s.ranks != nil {
		return s.ranks.takeAgreed(s.opts.Action)
	}
	if s.opts.Action == nil {
		return None
	}
	return s.opts.Action()
}

// Solve trains up to max_iter, as Caffe's Solver::Solve: the training steps, the
// snapshot after training, then one more forward pass of the train net to display
// the final loss and a last test.
func (s *Solver) Solve() error {
	glog.Infof("Solving %s", s.net.Name())
	glog.Infof("Learning Rate Policy: %s", s.param.GetLrPolicy())
	s.requestedEarlyExit = false
	if err := s.syncRanks(); err != nil {
		return err
	}
	start := s.iter
	if err := s.Step(int(s.param.GetMaxIter()) - s.iter); err != nil {
		return err
	}
	if s.param.GetSnapshotAfterTrain() && (s.param.GetSnapshot() == 0 || s.iter%int(s.param.GetSnapshot()) != 0) {
		if err := s.Snapshot(); err != nil {
			return err
		}
	}
	if s.requestedEarlyExit {
		glog.Infof("Optimization stopped early.")
		return nil
	}
	if d := int(s.param.GetDisplay()); d > 0 && s.iter%d == 0 {
		loss, err := s.net.Forward()
		if err != nil {
			return fmt.Errorf("iteration %d: %w", s.iter, err)
		}
		if loss, err = s.reduceLoss(loss); err != nil {
			return err
		}
		s.updateSmoothedLoss(loss, start)
		glog.Infof("Iteration %d, loss = %v", s.iter, G(s.smoothedLoss))
	}
	if ti := int(s.param.GetTestInterval()); ti > 0 && s.iter%ti == 0 && s.ranks.isRoot() {
		if err := s.TestAll(); err != nil {
			return err
		}
	}
	glog.Infof("Optimization Done.")
	return nil
}

// Step runs iters training iterations (fewer if a stop is requested), testing and
// snapshotting on schedule.
func (s *Solver) Step(iters int) error {
	if err := s.syncRanks(); err != nil {
		return err
	}
	start, stop := s.iter, s.iter+iters
	s.losses = s.losses[:0]
	s.smoothedLoss = 0
	s.iterTimer = time.Now()
	iterSize := int(s.param.GetIterSize())
	display := int(s.param.GetDisplay())
	testInterval := int(s.param.GetTestInterval())
	snapshot := int(s.param.GetSnapshot())

	for s.iter < stop {
		s.net.ClearParamDiffs()
		if testInterval > 0 && s.iter%testInterval == 0 && (s.iter > 0 || s.param.GetTestInitialization()) && s.ranks.isRoot() {
			if err := s.TestAll(); err != nil {
				return err
			}
			if s.requestedEarlyExit {
				break
			}
		}
		show := display > 0 && s.iter%display == 0
		s.net.SetDebugInfo(show && s.param.GetDebugInfo())
		var loss float32
		for i := 0; i < iterSize; i++ {
			l, err := s.net.ForwardBackward()
			if err != nil {
				return fmt.Errorf("iteration %d: %w", s.iter, err)
			}
			loss += l
		}
		loss /= float32(iterSize)
		loss, err := s.reduceGradients(loss)
		if err != nil {
			return err
		}
		s.updateSmoothedLoss(loss, start)
		if s.opts.OnLoss != nil {
			s.opts.OnLoss(s.iter, loss)
		}
		if show {
			s.logDisplay()
		}
		if !s.opts.ContinueOnNaN && !finite(loss) {
			return &DivergenceError{Iter: s.iter, What: fmt.Sprintf("the loss is %v", G(loss)), Where: s.net.FirstNonFiniteForward()}
		}
		s.applyUpdate(show)
		if !s.opts.ContinueOnNaN {
			if err := s.checkParams(); err != nil {
				return err
			}
		}
		if s.opts.OnIteration != nil {
			s.opts.OnIteration(s.iter, show)
		}
		s.iter++

		request := s.requestedAction()
		if (snapshot > 0 && s.iter%snapshot == 0) || request == Snapshot {
			if err := s.Snapshot(); err != nil {
				return err
			}
		}
		if request == Stop {
			s.requestedEarlyExit = true
			break
		}
	}
	return nil
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float32) bool { return v-v == 0 }

// checkParams returns a *DivergenceError if the update made a parameter NaN or
// infinite. It costs one vectorised pass over the parameters — the sum of their
// squares, non-finite if any value is (blas.Dot, 30 µs for LeNet's 431,080, 20
// times faster than Asum here) — and searches only once that has seen one.
func (s *Solver) checkParams() error {
	for _, p := range s.params {
		if finite(blas.Dot(p.Data, p.Data)) {
			continue
		}
		bad := s.net.FirstNonFiniteParam()
		if bad == nil {
			return nil // finite values whose squares sum beyond float32's range
		}
		what := "the update made " + fmt.Sprintf("layer %q's %s", bad.Layer, bad.Blob) + " non-finite"
		// Where the gradients went non-finite, if they did (else the step overflowed).
		if g := s.net.FirstNonFiniteBackward(); g != nil {
			bad = g
		}
		return &DivergenceError{Iter: s.iter, What: what, Where: bad}
	}
	return nil
}

// logDisplay logs the smoothed loss with the speed since the last display, then
// every element of every train net output.
func (s *Solver) logDisplay() {
	// Caffe's timer counts whole milliseconds.
	now := time.Now()
	lapse := float32(now.Sub(s.iterTimer).Milliseconds()) / 1000
	div := lapse
	if div == 0 {
		div = 1
	}
	perS := float32(s.iter-s.iterationsLast) / div
	glog.Infof("Iteration %d (%v iter/s, %vs/%d iters), loss = %v",
		s.iter, G(perS), G(lapse), s.param.GetDisplay(), G(s.smoothedLoss))
	s.iterTimer = now
	s.iterationsLast = s.iter
	k := 0
	for _, o := range s.outputs {
		for _, v := range o.blob.Data {
			if o.weight != 0 {
				glog.Infof("    Train net output #%d: %s = %v (* %v = %v loss)", k, o.name, G(v), G(o.weight), G(o.weight*v))
			} else {
				glog.Infof("    Train net output #%d: %s = %v", k, o.name, G(v))
			}
			k++
		}
	}
}

// updateSmoothedLoss folds loss into the mean of the last average_loss losses, in
// float32 as Caffe does.
func (s *Solver) updateSmoothedLoss(loss float32, start int) {
	avg := int(s.param.GetAverageLoss())
	if len(s.losses) < avg {
		s.losses = append(s.losses, loss)
		n := float32(len(s.losses))
		s.smoothedLoss = (float32(s.smoothedLoss*(n-1)) + loss) / n // rounded apart, as Caffe's build does
		return
	}
	i := (s.iter - start) % avg
	s.smoothedLoss += (loss - s.losses[i]) / float32(avg)
	s.losses[i] = loss
}

// TestAll runs every test net.
func (s *Solver) TestAll() error {
	for i := range s.testNets {
		if s.requestedEarlyExit || s.ranks.stopPending() {
			break
		}
		if err := s.Test(i); err != nil {
			return err
		}
	}
	return nil
}

// Test runs test net k for its test_iter batches with the train net's current
// weights and logs the mean of each output element over the batches.
func (s *Solver) Test(k int) error {
	glog.Infof("Iteration %d, Testing net (#%d)", s.iter, k)
	tn := s.testNets[k]
	if err := tn.ShareTrainedLayersWith(s.net); err != nil {
		return fmt.Errorf("test net #%d: %w", k, err)
	}
	iters := int(s.param.GetTestIter()[k])
	score := s.testScore[k][:0]
	var loss float32
	for i := 0; i < iters; i++ {
		for request := s.requestedAction(); request != None; request = s.requestedAction() {
			if request == Snapshot {
				if err := s.Snapshot(); err != nil {
					return err
				}
			} else if request == Stop {
				s.requestedEarlyExit = true
			}
		}
		if s.requestedEarlyExit || s.ranks.stopPending() {
			break
		}
		l, err := tn.Forward()
		if err != nil {
			return fmt.Errorf("iteration %d, test net #%d: %w", s.iter, k, err)
		}
		if s.param.GetTestComputeLoss() {
			loss += l
		}
		j := 0
		for _, o := range s.testOutputs[k] {
			for _, v := range o.blob.Data {
				if i == 0 {
					score = append(score, v)
				} else if j < len(score) {
					score[j] += v
				}
				j++
			}
		}
		if j != len(score) {
			return fmt.Errorf("iteration %d, test net #%d: the outputs had %d values in the first batch and %d in batch %d", s.iter, k, len(score), j, i)
		}
	}
	s.testScore[k] = score
	if s.requestedEarlyExit || s.ranks.stopPending() {
		glog.Infof("Test interrupted.")
		return nil
	}
	if s.param.GetTestComputeLoss() {
		loss /= float32(iters)
		glog.Infof("Test loss: %v", G(loss))
	}
	j := 0
	for _, o := range s.testOutputs[k] {
		for range o.blob.Data {
			mean := score[j] / float32(iters)
			if o.weight != 0 {
				glog.Infof("    Test net output #%d: %s = %v (* %v = %v loss)", j, o.name, G(mean), G(o.weight), G(o.weight*mean))
			} else {
				glog.Infof("    Test net output #%d: %s = %v", j, o.name, G(mean))
			}
			j++
		}
	}
	return nil
}
