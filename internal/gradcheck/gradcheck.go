// Package gradcheck checks a layer's backward pass against finite differences, as
// Caffe's GradientChecker does (include/caffe/test/test_gradient_check_util.hpp).
//
// The checker puts an objective on the layer's tops — half the sum of their squares,
// or twice one chosen top element — computes the gradient of that objective with the
// layer's Backward, and compares it, element by element, with the central difference
// (f(x+h) − f(x−h)) / 2h of every bottom and parameter value. Before every Forward it
// reseeds the layer's random source, so that Dropout and stochastic pooling draw the
// same mask for x+h and x−h.
package gradcheck

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
)

// Which bottoms Single and Exhaustive check, besides the parameters.
const (
	AllBottoms = -1 // every bottom
	NoBottoms  = -2 // the parameters only
)

// Checker holds the settings of a check. Caffe's tests use Step 1e-2 and Threshold
// 1e-3 unless a layer needs otherwise.
type Checker struct {
	Step      float32
	Threshold float32
	// Seed reseeds RNG before every Forward (Caffe's default 1701).
	Seed uint32
	// Kink and KinkRange skip values where the layer is not differentiable:
	// elements with Kink−KinkRange <= |x| <= Kink+KinkRange are not compared
	// (ReLU, max and abs have their kink at 0). A negative KinkRange skips nothing.
	Kink, KinkRange float32
	// Epsilon is an extra absolute tolerance.
	Epsilon float32
	// RNG is the random source the layer was made with (its Context's), or nil.
	RNG *rng.Source
	// MaxPerBlob, when positive, compares only that many elements of each blob, evenly
	// spread, to keep checks of whole nets affordable.
	MaxPerBlob int
	// Frozen marks parameter blobs not to check (by index in Params): those whose
	// gradient nobody computes or uses, such as BatchNorm's statistics.
	Frozen []bool
}

// New returns a checker with Caffe's default seed and no kink.
func New(step, threshold float32) *Checker {
	return &Checker{Step: step, Threshold: threshold, Seed: 1701, KinkRange: -1}
}

// Mismatch is one element whose computed and estimated gradients disagree.
type Mismatch struct {
	Blob                string // "param 0", "bottom 1"
	Index               int    // element of that blob
	TopID, TopDataID    int    // the objective: -1, -1 for the sum of squares
	Computed, Estimated float64
	Feature             float64 // the value that was perturbed
	Tolerance           float64
	PositiveObj, NegObj float64
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s[%d] (objective top %d element %d): computed %.6g, estimated %.6g, |diff| %.3g > %.3g (x = %.6g, f(x+h) = %.6g, f(x-h) = %.6g)",
		m.Blob, m.Index, m.TopID, m.TopDataID, m.Computed, m.Estimated, math.Abs(m.Computed-m.Estimated), m.Tolerance,
		m.Feature, m.PositiveObj, m.NegObj)
}

// BlobResult summarises the check of one blob.
type BlobResult struct {
	Blob    string
	Checked int
	// MaxError is the largest |computed − estimated|; MaxRatio the largest ratio of
	// that difference to its tolerance (a check passes while it is at most 1).
	MaxError, MaxRatio float64
}

// Report is the outcome of one or more checks of a layer.
type Report struct {
	Blobs      []BlobResult
	Mismatches []Mismatch
}

// Err returns nil when every compared element agreed, and otherwise an error listing
// the first mismatches.
func (r *Report) Err() error {
	if len(r.Mismatches) == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d gradient mismatches", len(r.Mismatches))
	for i, m := range r.Mismatches {
		if i == 10 {
			b.WriteString("\n  ...")
			break
		}
		b.WriteString("\n  ")
		b.WriteString(m.String())
	}
	return errors.New(b.String())
}

func (r *Report) blob(name string) *BlobResult {
	for i := range r.Blobs {
		if r.Blobs[i].Blob == name {
			return &r.Blobs[i]
		}
	}
	r.Blobs = append(r.Blobs, BlobResult{Blob: name})
	return &r.Blobs[len(r.Blobs)-1]
}

// Check compares the gradients of half the sum of squares of all tops (Caffe's
// CheckGradient). The layer must be set up.
func (c *Checker) Check(l layers.Layer, bottom, top []*blob.Blob, checkBottom int) (*Report, error) {
	r := &Report{}
	return r, c.single(r, l, bottom, top, checkBottom, -1, -1, false)
}

// Exhaustive checks, one top element at a time, the gradient of twice that element
// (Caffe's CheckGradientExhaustive). The layer must be set up.
func (c *Checker) Exhaustive(l layers.Layer, bottom, top []*blob.Blob, checkBottom int) (*Report, error) {
	r := &Report{}
	if len(top) == 0 {
		return r, errors.New("an exhaustive check needs at least one top")
	}
	for i, t := range top {
		for j := 0; j < t.Count(); j++ {
			if err := c.single(r, l, bottom, top, checkBottom, i, j, false); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}

// Eltwise checks a layer whose every output depends only on the input at the same
// position: only the diagonal is estimated, and the rest of each computed gradient
// must be 0 (Caffe's CheckGradientEltwise). The layer must be set up.
func (c *Checker) Eltwise(l layers.Layer, bottom, top []*blob.Blob) (*Report, error) {
	r := &Report{}
	if len(l.Params()) != 0 {
		return r, errors.New("an element-wise check is for layers without parameters")
	}
	for i, t := range top {
		for _, b := range bottom {
			if b.Count() != t.Count() {
				return r, fmt.Errorf("an element-wise check needs bottoms the size of the tops: %s vs %s", b.ShapeString(), t.ShapeString())
			}
		}
		for j := 0; j < t.Count(); j++ {
			if err := c.single(r, l, bottom, top, AllBottoms, i, j, true); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}

func (c *Checker) reseed() {
	if c.RNG != nil {
		c.RNG.Seed(c.Seed)
	}
}

// single is Caffe's CheckGradientSingle.
func (c *Checker) single(r *Report, l layers.Layer, bottom, top []*blob.Blob, checkBottom, topID, topDataID int, elementwise bool) error {
	type checked struct {
		name string
		b    *blob.Blob
	}
	var toCheck []checked
	for i, p := range l.Params() {
		clear(p.Diff)
		if i < len(c.Frozen) && c.Frozen[i] {
			continue
		}
		toCheck = append(toCheck, checked{fmt.Sprintf("param %d", i), p})
	}
	down := make([]bool, len(bottom))
	switch {
	case checkBottom == AllBottoms:
		for i, b := range bottom {
			down[i] = true
			toCheck = append(toCheck, checked{fmt.Sprintf("bottom %d", i), b})
		}
	case checkBottom >= 0:
		if checkBottom >= len(bottom) {
			return fmt.Errorf("bottom %d to check, but the layer has %d", checkBottom, len(bottom))
		}
		down[checkBottom] = true
		toCheck = append(toCheck, checked{fmt.Sprintf("bottom %d", checkBottom), bottom[checkBottom]})
	}

	// The analytic gradient.
	c.reseed()
	if err := l.Forward(bottom, top); err != nil {
		return err
	}
	objective(top, topID, topDataID)
	l.Backward(top, down, bottom)
	computed := make([][]float32, len(toCheck))
	for i, ck := range toCheck {
		computed[i] = append([]float32(nil), ck.b.Diff...)
	}

	// The numeric gradient, one element at a time.
	h := c.Step
	for bi, ck := range toCheck {
		res := r.blob(ck.name)
		x := ck.b.Data
		for _, i := range c.elements(len(x)) {
			var estimated, pos, neg float64
			if !elementwise || i == topDataID {
				orig := x[i]
				x[i] = orig + h
				c.reseed()
				if err := l.Forward(bottom, top); err != nil {
					return err
				}
				pos = objective(top, topID, topDataID)
				x[i] = orig - h
				c.reseed()
				if err := l.Forward(bottom, top); err != nil {
					return err
				}
				neg = objective(top, topID, topDataID)
				x[i] = orig
				estimated = (pos - neg) / float64(h) / 2
			}
			got := float64(computed[bi][i])
			feature := math.Abs(float64(x[i]))
			if float64(c.Kink-c.KinkRange) <= feature && feature <= float64(c.Kink+c.KinkRange) {
				continue
			}
			scale := math.Max(math.Max(math.Abs(got), math.Abs(estimated)), 1)
			tol := float64(c.Threshold)*scale + float64(c.Epsilon)
			diff := math.Abs(got - estimated)
			res.Checked++
			res.MaxError = math.Max(res.MaxError, diff)
			res.MaxRatio = math.Max(res.MaxRatio, diff/tol)
			if diff > tol || math.IsNaN(diff) {
				r.Mismatches = append(r.Mismatches, Mismatch{
					Blob: ck.name, Index: i, TopID: topID, TopDataID: topDataID,
					Computed: got, Estimated: estimated, Feature: float64(x[i]), Tolerance: tol,
					PositiveObj: pos, NegObj: neg,
				})
			}
		}
	}
	return nil
}

// elements lists the indices of a blob of n elements to compare.
func (c *Checker) elements(n int) []int {
	step := 1
	if c.MaxPerBlob > 0 && n > c.MaxPerBlob {
		step = (n + c.MaxPerBlob - 1) / c.MaxPerBlob
	}
	idx := make([]int, 0, n/step+1)
	for i := 0; i < n; i += step {
		idx = append(idx, i)
	}
	return idx
}

// objective sets the tops' gradients for the objective and returns its value: half
// the sum of squares of every top when topID < 0 (gradient: the data), otherwise twice
// element topDataID of top topID (gradient: 2 there, 0 elsewhere).
func objective(top []*blob.Blob, topID, topDataID int) float64 {
	if topID < 0 {
		var loss float64
		for _, t := range top {
			for _, v := range t.Data {
				loss += float64(v) * float64(v)
			}
			copy(t.Diff, t.Data)
		}
		return loss / 2
	}
	for _, t := range top {
		clear(t.Diff)
	}
	const lossWeight = 2
	top[topID].Diff[topDataID] = lossWeight
	return float64(top[topID].Data[topDataID]) * lossWeight
}
