package gradcheck

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/netinfo"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// NetOptions tune CheckNet.
type NetOptions struct {
	// Layer, if not empty, checks only the layer of that name.
	Layer string
	// Seed seeds the random inputs and the layers' random sources.
	Seed uint32
	// MaxPerBlob compares at most that many elements of each blob (0: all).
	MaxPerBlob int
	// Step and Threshold, if positive, replace the per-type defaults taken from
	// Caffe's own tests (defaultChecker).
	Step, Threshold float32
}

// LayerResult is the outcome of checking one layer of a net.
type LayerResult struct {
	Layer, Type string
	// Skipped says why the layer was not checked ("" if it was).
	Skipped string
	Report  *Report
}

// Failed reports whether the layer's check found a mismatch.
func (r LayerResult) Failed() bool { return r.Report != nil && r.Report.Err() != nil }

// defaultChecker returns the step, threshold and kink Caffe's test of a layer type uses.
// BatchNorm keeps the default: Caffe's 1e-4 is for one top element at a time, and the
// ½Σ top² objective of a whole top carries more float32 rounding than that.
func defaultChecker(lp *caffepb.LayerParameter, l layers.Layer) *Checker {
	switch lp.GetType() {
	case "Pooling", "SPP":
		return New(1e-4, 1e-2)
	case "Eltwise":
		if lp.GetEltwiseParam().GetOperation() == caffepb.EltwiseParameter_MAX {
			return New(1e-4, 1e-2)
		}
		return New(1e-2, 1e-2)
	case "LRN", "Split", "Concat", "Slice", "Tile", "Flatten", "Reshape":
		return New(1e-2, 1e-2)
	case "Reduction":
		return New(1e-2, 2e-3)
	case "ReLU", "PReLU", "AbsVal":
		c := New(1e-2, 1e-3)
		c.Kink, c.KinkRange = 0, 0.01
		return c
	}
	if _, ok := l.(layers.Loss); ok {
		return New(1e-2, 1e-2)
	}
	return New(1e-2, 1e-3)
}

// FillInputs fills a net's input blobs for a gradient check: blobs that end up as a
// layer's labels (a bottom the layer cannot give a gradient to, such as a loss
// layer's second) get integers in [0, classes) — classes being the number of
// channels of that layer's first bottom, or 2 for the binary losses — and every
// other input gets unit gaussian draws.
func FillInputs(n *network.Net, r *rng.Source) {
	producer := map[string]int{}
	for i := 0; i < n.NumLayers(); i++ {
		for _, t := range n.TopNames(i) {
			if _, ok := producer[t]; !ok {
				producer[t] = i
			}
		}
	}
	// source follows a blob back through Split layers to the blob they copy.
	var source func(string) string
	source = func(name string) string {
		if i, ok := producer[name]; ok && n.LayerParam(i).GetType() == "Split" {
			return source(n.BottomNames(i)[0])
		}
		return name
	}
	classes := map[string]int{}
	for i := 0; i < n.NumLayers(); i++ {
		g, ok := n.Layer(i).(layers.BackwardGate)
		if !ok {
			continue
		}
		for j, b := range n.BottomNames(i) {
			if j == 0 || g.AllowForceBackward(j) {
				continue
			}
			c := 2
			switch n.LayerParam(i).GetType() {
			case "ContrastiveLoss", "SigmoidCrossEntropyLoss":
			default:
				if first := n.Bottoms(i)[0]; first.NumAxes() > 1 {
					c = first.Dim(1)
				}
			}
			classes[source(b)] = c
		}
	}
	for _, name := range n.Inputs() {
		b := n.Blob(name)
		if c, ok := classes[name]; ok {
			for i := range b.Data {
				b.Data[i] = float32(r.Intn(max(c, 1)))
			}
			continue
		}
		for i := range b.Data {
			b.Data[i] = r.Gaussian(0, 1)
		}
	}
}

// CheckNet runs the gradient checker on the layers of a net whose inputs are filled
// (see FillInputs): it runs the net forward once so that every layer sees realistic
// inputs, then checks each layer on copies of its bottoms, with a fresh instance
// holding the net's parameter values, so the net itself is left as it was.
func CheckNet(n *network.Net, opts NetOptions) ([]LayerResult, error) {
	if _, err := n.Forward(); err != nil {
		return nil, err
	}
	var results []LayerResult
	found := false
	for i := 0; i < n.NumLayers(); i++ {
		name, lp := n.LayerName(i), n.LayerParam(i)
		if opts.Layer != "" && name != opts.Layer {
			continue
		}
		found = true
		res, err := checkLayer(n, i, opts)
		if err != nil {
			return results, fmt.Errorf("layer %q: %w", name, err)
		}
		res.Layer, res.Type = name, lp.GetType()
		results = append(results, res)
	}
	if opts.Layer != "" && !found {
		return nil, fmt.Errorf("the net has no layer %q", opts.Layer)
	}
	return results, nil
}

func checkLayer(n *network.Net, i int, opts NetOptions) (LayerResult, error) {
	lp := proto.Clone(n.LayerParam(i)).(*caffepb.LayerParameter)
	orig := n.Layer(i)
	if lp.GetType() == "Input" || netinfo.IsDataLayer(lp.GetType()) {
		return LayerResult{Skipped: "input layer"}, nil
	}
	var gradBottoms []int
	for j := range n.Bottoms(i) {
		if g, ok := orig.(layers.BackwardGate); !ok || g.AllowForceBackward(j) {
			gradBottoms = append(gradBottoms, j)
		}
	}
	if len(gradBottoms) == 0 && len(orig.Params()) == 0 {
		return LayerResult{Skipped: "no backward"}, nil
	}

	r := rng.New(opts.Seed)
	l, err := layers.New(lp, &layers.Context{RNG: r})
	if err != nil {
		return LayerResult{}, err
	}
	bottom := make([]*blob.Blob, len(n.Bottoms(i)))
	for j, b := range n.Bottoms(i) {
		bottom[j] = blob.New(b.Shape()...)
		copy(bottom[j].Data, b.Data)
	}
	top := make([]*blob.Blob, len(n.Tops(i)))
	for j := range top {
		top[j] = blob.New()
	}
	if err := layers.SetUp(l, bottom, top); err != nil {
		return LayerResult{}, err
	}
	for j, p := range orig.Params() {
		copy(l.Params()[j].Data, p.Data)
	}

	c := defaultChecker(lp, l)
	// Parameters with lr_mult 0 (as Setup may have set them: BatchNorm's statistics)
	// get no gradient anyone uses.
	params := l.Params()
	c.Frozen = make([]bool, len(params))
	for j := range params {
		c.Frozen[j] = j < len(lp.Param) && lp.Param[j].LrMult != nil && lp.Param[j].GetLrMult() == 0
	}
	if opts.Step > 0 {
		c.Step = opts.Step
	}
	if opts.Threshold > 0 {
		c.Threshold = opts.Threshold
	}
	c.Seed, c.RNG, c.MaxPerBlob = opts.Seed, r, opts.MaxPerBlob
	rep := &Report{}
	check := func(which int) error {
		part, err := c.Check(l, bottom, top, which)
		if err != nil {
			return err
		}
		for _, b := range part.Blobs {
			if dst := rep.blob(b.Blob); dst.Checked == 0 {
				*dst = b
			}
		}
		rep.Mismatches = append(rep.Mismatches, part.Mismatches...)
		return nil
	}
	if len(gradBottoms) == len(bottom) {
		err = check(AllBottoms)
	} else {
		err = check(NoBottoms)
		for _, j := range gradBottoms {
			if err == nil {
				err = check(j)
			}
		}
	}
	return LayerResult{Report: rep}, err
}
