package onnx

import (
	"fmt"
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"github.com/gocaffe/gocaffe/proto/onnxpb"
)

// The translations of the layer types that take more than one ONNX operator, or
// attributes worked out from the layer's parameters; layer (export.go) picks them.

// spatial reads one of a convolution's per-axis parameters (see Caffe's rules).
func spatial(repeated []uint32, hasHW bool, h, w uint32, n, def int) []int {
	out := make([]int, n)
	switch {
	case hasHW:
		out[0], out[1] = int(h), int(w)
	case len(repeated) == 0:
		for k := range out {
			out[k] = def
		}
	case len(repeated) == 1:
		for k := range out {
			out[k] = int(repeated[0])
		}
	default:
		for k := range out {
			out[k] = int(repeated[k])
		}
	}
	return out
}

func (e *exporter) conv(i int, lp *caffepb.LayerParameter, deconv bool) error {
	cp := lp.GetConvolutionParam()
	if cp == nil {
		cp = &caffepb.ConvolutionParameter{}
	}
	b := e.n.Bottoms(i)[0]
	axis, err := b.CanonicalAxis(int(cp.GetAxis()))
	if err != nil {
		return err
	}
	if axis != 1 {
		return fmt.Errorf("convolution over axis %d: ONNX convolves over axis 1 only", axis)
	}
	ns := b.NumAxes() - 2
	if ns < 1 {
		return fmt.Errorf("bottom %s has no spatial axes", b.ShapeString())
	}
	kernel := spatial(cp.GetKernelSize(), cp.KernelH != nil, cp.GetKernelH(), cp.GetKernelW(), ns, 0)
	stride := spatial(cp.GetStride(), cp.StrideH != nil, cp.GetStrideH(), cp.GetStrideW(), ns, 1)
	pad := spatial(cp.GetPad(), cp.PadH != nil, cp.GetPadH(), cp.GetPadW(), ns, 0)
	dil := spatial(cp.GetDilation(), false, 0, 0, ns, 1)
	name := lp.GetName()
	w, err := e.param(i, 0, "W", nil)
	if err != nil {
		return err
	}
	ins := []string{e.in(i, 0), w}
	if cp.GetBiasTerm() {
		bias, err := e.param(i, 1, "B", nil)
		if err != nil {
			return err
		}
		ins = append(ins, bias)
	}
	op := "Conv"
	if deconv {
		op = "ConvTranspose"
	}
	if len(e.n.Bottoms(i)) > 1 {
		return fmt.Errorf("a convolution of several bottoms (shared weights) is not exported; give it one bottom")
	}
	e.node(op, name, ins, []string{e.out(i, 0)}, attrInts("kernel_shape", kernel), attrInts("strides", stride),
		attrInts("pads", append(append([]int(nil), pad...), pad...)), attrInts("dilations", dil),
		attrInt("group", int(cp.GetGroup())))
	return nil
}

func (e *exporter) pooling(i int, pp *caffepb.PoolingParameter, b, t *blob.Blob) error {
	name := e.n.LayerName(i)
	if len(e.n.Tops(i)) > 1 {
		return fmt.Errorf("the max-pooling mask top has no ONNX equivalent; remove the second top")
	}
	if pp == nil {
		pp = &caffepb.PoolingParameter{}
	}
	method := pp.GetPool()
	if method == caffepb.PoolingParameter_STOCHASTIC {
		return fmt.Errorf("stochastic pooling has no ONNX equivalent")
	}
	if pp.GetGlobalPooling() {
		op := "GlobalMaxPool"
		if method == caffepb.PoolingParameter_AVE {
			op = "GlobalAveragePool"
		}
		e.unary(i, op)
		return nil
	}
	kh, kw := int(pp.GetKernelSize()), int(pp.GetKernelSize())
	if pp.KernelH != nil {
		kh, kw = int(pp.GetKernelH()), int(pp.GetKernelW())
	}
	ph, pw := int(pp.GetPad()), int(pp.GetPad())
	if pp.PadH != nil {
		ph, pw = int(pp.GetPadH()), int(pp.GetPadW())
	}
	sh, sw := int(pp.GetStride()), int(pp.GetStride())
	if pp.StrideH != nil {
		sh, sw = int(pp.GetStrideH()), int(pp.GetStrideW())
	}
	h, w := b.Dim(2), b.Dim(3)
	oh, ow := t.Dim(2), t.Dim(3)
	// Caffe's output size (rounded up, the last window kept only if it starts inside
	// the image or its left padding) is reached with explicit end padding: the windows
	// of ceil mode, with pads a floor-mode ONNX pooling sees as they are.
	eh, ew := (oh-1)*sh+kh-h-ph, (ow-1)*sw+kw-w-pw
	if eh < 0 {
		eh = 0
	}
	if ew < 0 {
		ew = 0
	}
	attrs := []*onnxpb.AttributeProto{attrInts("kernel_shape", []int{kh, kw}), attrInts("strides", []int{sh, sw})}
	if method == caffepb.PoolingParameter_MAX {
		// Max pooling ignores padding in both.
		attrs = append(attrs, attrInts("pads", []int{ph, pw, eh, ew}))
		e.unary(i, "MaxPool", attrs...)
		return nil
	}
	// Caffe's average divides by the window clipped to the padded image (the left and
	// right padding count, the overhang past it does not). ONNX counts all padding or
	// none: with no overhang count all; with no padding count none; otherwise pad with
	// zeros first, which then count as image, and count none.
	switch {
	case eh <= ph && ew <= pw:
		attrs = append(attrs, attrInts("pads", []int{ph, pw, eh, ew}), attrInt("count_include_pad", 1))
		e.unary(i, "AveragePool", attrs...)
	case ph == 0 && pw == 0:
		attrs = append(attrs, attrInts("pads", []int{0, 0, eh, ew}), attrInt("count_include_pad", 0))
		e.unary(i, "AveragePool", attrs...)
	default:
		padded := e.tmp(i, "padded")
		e.node("Pad", name+"_pad", []string{e.in(i, 0), e.ints64(name+"_pads", []int{0, 0, ph, pw, 0, 0, ph, pw})}, []string{padded})
		attrs = append(attrs, attrInts("pads", []int{0, 0, max(0, eh-ph), max(0, ew-pw)}), attrInt("count_include_pad", 0))
		e.node("AveragePool", name, []string{padded}, []string{e.out(i, 0)}, attrs...)
	}
	return nil
}

func (e *exporter) innerProduct(i int, p *caffepb.InnerProductParameter, b, t *blob.Blob) error {
	name := e.n.LayerName(i)
	axis, err := b.CanonicalAxis(int(p.GetAxis()))
	if err != nil {
		return err
	}
	rows, k := b.CountRange(0, axis), b.CountFrom(axis)
	x := e.in(i, 0)
	if b.NumAxes() != 2 || axis != 1 {
		flat := e.tmp(i, "flat")
		e.node("Reshape", name+"_flatten", []string{x, e.ints64(name+"_flat_shape", []int{rows, k})}, []string{flat})
		x = flat
	}
	w, err := e.param(i, 0, "W", nil)
	if err != nil {
		return err
	}
	transB := 1 // Caffe's weights are num_output × K
	if p.GetTranspose() {
		transB = 0
	}
	ins := []string{x, w}
	if p.GetBiasTerm() {
		bias, err := e.param(i, 1, "B", nil)
		if err != nil {
			return err
		}
		ins = append(ins, bias)
	}
	if t.NumAxes() == 2 {
		e.node("Gemm", name, ins, []string{e.out(i, 0)}, attrInt("transB", transB))
		return nil
	}
	g := e.tmp(i, "gemm")
	e.node("Gemm", name, ins, []string{g}, attrInt("transB", transB))
	e.node("Reshape", name+"_unflatten", []string{g, e.ints64(name+"_shape", t.Shape())}, []string{e.out(i, 0)})
	return nil
}

func (e *exporter) eltwise(i int, p *caffepb.EltwiseParameter, nb int) error {
	name := e.n.LayerName(i)
	var ins []string
	for k := 0; k < nb; k++ {
		ins = append(ins, e.in(i, k))
	}
	switch p.GetOperation() {
	case caffepb.EltwiseParameter_PROD:
		acc := ins[0]
		for k := 1; k < nb; k++ {
			o := e.tmp(i, fmt.Sprintf("prod%d", k))
			if k == nb-1 {
				o = e.out(i, 0)
			}
			e.node("Mul", fmt.Sprintf("%s_%d", name, k), []string{acc, ins[k]}, []string{o})
			acc = o
		}
	case caffepb.EltwiseParameter_MAX:
		e.node("Max", name, ins, []string{e.out(i, 0)})
	case caffepb.EltwiseParameter_SUM:
		coeff := p.GetCoeff()
		if len(coeff) != 0 && len(coeff) != nb {
			return fmt.Errorf("%d coefficients for %d bottoms", len(coeff), nb)
		}
		for k, c := range coeff {
			if c != 1 {
				o := e.tmp(i, fmt.Sprintf("coeff%d", k))
				e.node("Mul", fmt.Sprintf("%s_coeff%d", name, k), []string{ins[k], e.constant(fmt.Sprintf("%s_coeff%d", name, k), nil, []float32{c})}, []string{o})
				ins[k] = o
			}
		}
		e.node("Sum", name, ins, []string{e.out(i, 0)})
	default:
		return fmt.Errorf("unknown eltwise operation %v", p.GetOperation())
	}
	return nil
}

func (e *exporter) batchNorm(i int, p *caffepb.BatchNormParameter, b *blob.Blob) error {
	if p != nil && p.UseGlobalStats != nil && !p.GetUseGlobalStats() {
		return fmt.Errorf("use_global_stats: false normalises by the batch's statistics, which ONNX's BatchNormalization does not; export the net in TEST with the stored statistics")
	}
	ps := e.n.Layer(i).Params()
	if len(ps) < 3 || ps[2].Count() < 1 {
		return fmt.Errorf("the layer has %d parameter blobs, want mean, variance and the moving-average factor", len(ps))
	}
	c := b.Dim(1)
	f := ps[2].Data[0]
	if f != 0 {
		f = 1 / f
	}
	mean, variance := make([]float32, c), make([]float32, c)
	for k := 0; k < c; k++ {
		mean[k] = ps[0].Data[k] * f
		variance[k] = ps[1].Data[k] * f
	}
	ones, zeros := make([]float32, c), make([]float32, c)
	for k := range ones {
		ones[k] = 1
	}
	name := e.n.LayerName(i)
	e.node("BatchNormalization", name, []string{e.in(i, 0), e.constant(name+"_scale", []int{c}, ones),
		e.constant(name+"_bias", []int{c}, zeros), e.constant(name+"_mean", []int{c}, mean),
		e.constant(name+"_var", []int{c}, variance)}, []string{e.out(i, 0)}, attrFloat("epsilon", p.GetEps()))
	return nil
}

// scaleBias exports Scale (y = x·γ [+ β]) and Bias (y = x + β): the parameter spans
// axes axis..axis+num_axes of x and is broadcast over the others.
func (e *exporter) scaleBias(i int, lp *caffepb.LayerParameter, bottoms []*blob.Blob) error {
	name := lp.GetName()
	x := bottoms[0]
	var axisParam, numAxes int
	isScale := lp.GetType() == "Scale"
	if isScale {
		axisParam, numAxes = int(lp.GetScaleParam().GetAxis()), int(lp.GetScaleParam().GetNumAxes())
	} else {
		axisParam, numAxes = int(lp.GetBiasParam().GetAxis()), int(lp.GetBiasParam().GetNumAxes())
	}
	axis, err := x.CanonicalAxis(axisParam)
	if err != nil {
		return err
	}
	// The shape the parameter is broadcast as: its own dims, then ones to the end.
	broadcast := func(dims []int) []int {
		s := append([]int(nil), dims...)
		for k := axis + len(dims); k < x.NumAxes(); k++ {
			s = append(s, 1)
		}
		if len(s) == 0 {
			s = []int{1}
		}
		return s
	}
	var first string
	if len(bottoms) > 1 {
		// The parameter is the second bottom.
		p := bottoms[1]
		shaped := e.tmp(i, "param")
		e.node("Reshape", name+"_param", []string{e.in(i, 1), e.ints64(name+"_param_shape", broadcast(p.Shape()))}, []string{shaped})
		first = shaped
	} else {
		if numAxes == -1 {
			numAxes = x.NumAxes() - axis
		}
		dims := x.Shape()[axis : axis+numAxes]
		if first, err = e.param(i, 0, map[bool]string{true: "scale", false: "bias"}[isScale], broadcast(dims)); err != nil {
			return err
		}
	}
	op := "Mul"
	if !isScale {
		op = "Add"
	}
	if !isScale || !lp.GetScaleParam().GetBiasTerm() {
		e.node(op, name, []string{e.in(i, 0), first}, []string{e.out(i, 0)})
		return nil
	}
	scaled := e.tmp(i, "scaled")
	e.node("Mul", name, []string{e.in(i, 0), first}, []string{scaled})
	k := 1
	if len(bottoms) > 1 {
		k = 0
	}
	ps := e.n.Layer(i).Params()
	if k >= len(ps) {
		return fmt.Errorf("bias_term is set but the layer has no bias blob")
	}
	bias, err := e.param(i, k, "bias", broadcast(dimsOf(x, axis, ps[k].Count())))
	if err != nil {
		return err
	}
	e.node("Add", name+"_bias", []string{scaled, bias}, []string{e.out(i, 0)})
	return nil
}

// dimsOf returns the dims of x from axis on whose product is n.
func dimsOf(x *blob.Blob, axis, n int) []int {
	var dims []int
	p := 1
	for k := axis; k < x.NumAxes() && p < n; k++ {
		dims = append(dims, x.Dim(k))
		p *= x.Dim(k)
	}
	return dims
}

func (e *exporter) slice(i int, p *caffepb.SliceParameter, b *blob.Blob, tops []*blob.Blob) error {
	axis := int(p.GetAxis())
	if p != nil && p.SliceDim != nil {
		axis = int(p.GetSliceDim())
	}
	axis, err := b.CanonicalAxis(axis)
	if err != nil {
		return err
	}
	sizes := make([]int, len(tops))
	outs := make([]string, len(tops))
	for k, t := range tops {
		sizes[k] = t.Dim(axis)
		outs[k] = e.out(i, k)
	}
	name := e.n.LayerName(i)
	e.node("Split", name, []string{e.in(i, 0), e.ints64(name+"_split", sizes)}, outs, attrInt("axis", axis))
	return nil
}

// power exports y = (shift + scale·x)^power.
func (e *exporter) power(i int, p *caffepb.PowerParameter) error {
	name := e.n.LayerName(i)
	x := e.in(i, 0)
	steps := 0
	if p.GetScale() != 1 {
		steps++
	}
	if p.GetShift() != 0 {
		steps++
	}
	if p.GetPower() != 1 {
		steps++
	}
	next := func(what string) string {
		steps--
		if steps == 0 {
			return e.out(i, 0)
		}
		return e.tmp(i, what)
	}
	if steps == 0 {
		e.node("Identity", name, []string{x}, []string{e.out(i, 0)})
		return nil
	}
	if p.GetScale() != 1 {
		o := next("scaled")
		e.node("Mul", name+"_scale", []string{x, e.constant(name+"_scale", nil, []float32{p.GetScale()})}, []string{o})
		x = o
	}
	if p.GetShift() != 0 {
		o := next("shifted")
		e.node("Add", name+"_shift", []string{x, e.constant(name+"_shift", nil, []float32{p.GetShift()})}, []string{o})
		x = o
	}
	if p.GetPower() != 1 {
		e.node("Pow", name, []string{x, e.constant(name+"_power", nil, []float32{p.GetPower()})}, []string{next("pow")})
	}
	return nil
}

// expLog exports Exp (y = base^(shift + scale·x)) and Log (y = log_base(shift + scale·x)).
func (e *exporter) expLog(i int, typ string, lp *caffepb.LayerParameter) error {
	var base, scale, shift float32
	if typ == "Exp" {
		p := lp.GetExpParam()
		base, scale, shift = p.GetBase(), p.GetScale(), p.GetShift()
	} else {
		p := lp.GetLogParam()
		base, scale, shift = p.GetBase(), p.GetScale(), p.GetShift()
	}
	ln := float32(1)
	if base != -1 {
		if base <= 0 {
			return fmt.Errorf("base %v must be positive (or -1 for e)", base)
		}
		ln = float32(math.Log(float64(base)))
	}
	name := e.n.LayerName(i)
	x := e.in(i, 0)
	if typ == "Exp" {
		// base^(shift + scale·x) = exp(ln(base)·shift + ln(base)·scale·x)
		if m := ln * scale; m != 1 {
			o := e.tmp(i, "scaled")
			e.node("Mul", name+"_scale", []string{x, e.constant(name+"_scale", nil, []float32{m})}, []string{o})
			x = o
		}
		if a := ln * shift; a != 0 {
			o := e.tmp(i, "shifted")
			e.node("Add", name+"_shift", []string{x, e.constant(name+"_shift", nil, []float32{a})}, []string{o})
			x = o
		}
		e.node("Exp", name, []string{x}, []string{e.out(i, 0)})
		return nil
	}
	if scale != 1 {
		o := e.tmp(i, "scaled")
		e.node("Mul", name+"_scale", []string{x, e.constant(name+"_scale", nil, []float32{scale})}, []string{o})
		x = o
	}
	if shift != 0 {
		o := e.tmp(i, "shifted")
		e.node("Add", name+"_shift", []string{x, e.constant(name+"_shift", nil, []float32{shift})}, []string{o})
		x = o
	}
	if ln == 1 {
		e.node("Log", name, []string{x}, []string{e.out(i, 0)})
		return nil
	}
	o := e.tmp(i, "ln")
	e.node("Log", name+"_ln", []string{x}, []string{o})
	e.node("Mul", name, []string{o, e.constant(name+"_base", nil, []float32{1 / ln})}, []string{e.out(i, 0)})
	return nil
}

// crop exports Crop: bottom 0 cut to the shape of bottom 1 from axis on, at the offsets.
func (e *exporter) crop(i int, p *caffepb.CropParameter, bottoms []*blob.Blob, t *blob.Blob) error {
	if len(bottoms) != 2 {
		return fmt.Errorf("crop takes two bottoms, got %d", len(bottoms))
	}
	x := bottoms[0]
	axis, err := x.CanonicalAxis(int(p.GetAxis()))
	if err != nil {
		return err
	}
	var starts, ends, axes []int
	offs := p.GetOffset()
	for k := axis; k < x.NumAxes(); k++ {
		o := 0
		switch {
		case len(offs) == 1:
			o = int(offs[0])
		case len(offs) > 1:
			o = int(offs[k-axis])
		}
		starts = append(starts, o)
		ends = append(ends, o+t.Dim(k))
		axes = append(axes, k)
	}
	name := e.n.LayerName(i)
	e.node("Slice", name, []string{e.in(i, 0), e.ints64(name+"_starts", starts), e.ints64(name+"_ends", ends),
		e.ints64(name+"_axes", axes)}, []string{e.out(i, 0)})
	return nil
}
