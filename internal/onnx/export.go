// Package onnx exports a Caffe net, as gocaffe builds it, to an ONNX model (opset 13)
// that computes what the net computes: the way old Caffe models reach today's runtimes.
//
// Each layer becomes one or a few ONNX operators; its parameter blobs become the graph's
// initializers. Shapes are those of the built net, so the model's inputs and every value
// in it have the fixed shapes of the prototxt. A layer with no ONNX equivalent is an
// error naming it.
//
// Caffe writes some blobs in place (a ReLU's top is its bottom); ONNX values are written
// once, so the in-place writes get names of their own ("conv1_relu1") and the last
// writer of a blob gets the blob's name: the model's outputs are named as the net's.
package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"github.com/gocaffe/gocaffe/proto/onnxpb"
)

// Opset is the version of ONNX's operator set the models use.
const Opset = 13

// irVersion is the ONNX IR version of opset 13.
const irVersion = 7

// Options tune an export.
type Options struct {
	// ProducerVersion is written as the model's producer_version.
	ProducerVersion string
	// Outputs are blobs to expose as outputs of the model besides the net's own (the
	// features before a classifier, say). A blob written in place is exposed as the
	// last layer leaves it, as the net's Blob holds it after a forward pass.
	Outputs []string
}

// exporter holds the graph being built.
type exporter struct {
	n     *network.Net
	g     *onnxpb.GraphProto
	value map[string]string // Caffe blob name → the ONNX value that holds it now
	// writes counts, per blob, the layers still to write it; the last one gets the name.
	writes map[string]int
	used   map[string]bool // ONNX names taken
}

// Export turns a built net into an ONNX model. The net should be a deploy net built in
// the TEST phase with its weights loaded; its Input layers become the model's inputs
// and its outputs (the blobs no layer reads) the model's outputs.
func Export(n *network.Net, opts Options) (*onnxpb.ModelProto, error) {
	e := &exporter{n: n, g: &onnxpb.GraphProto{Name: proto.String(n.Name())},
		value: map[string]string{}, writes: map[string]int{}, used: map[string]bool{}}
	if n.Name() == "" {
		e.g.Name = proto.String("caffe")
	}
	for i := 0; i < n.NumLayers(); i++ {
		if isAlias(n.LayerParam(i).GetType()) {
			continue
		}
		for _, t := range n.TopNames(i) {
			e.writes[t]++
		}
	}
	for i := 0; i < n.NumLayers(); i++ {
		lp := n.LayerParam(i)
		if err := e.layer(i, lp); err != nil {
			return nil, fmt.Errorf("layer %q (%s): %w", lp.GetName(), lp.GetType(), err)
		}
	}
	if len(e.g.Input) == 0 {
		return nil, fmt.Errorf("the net has no Input layer: export a deploy net, whose data comes from Input layers")
	}
	outputs := n.Outputs()
	for _, o := range opts.Outputs {
		if n.Blob(o) == nil {
			return nil, fmt.Errorf("the net has no blob %q to output", o)
		}
		if !slices.Contains(outputs, o) {
			outputs = append(outputs, o)
		}
	}
	for _, o := range outputs {
		v, ok := e.value[o]
		if !ok {
			return nil, fmt.Errorf("output %q is produced by no exported layer", o)
		}
		if v != o {
			// The output is an input passed through (a net of aliases only).
			e.node("Identity", o+"_output", []string{v}, []string{o})
		}
		e.g.Output = append(e.g.Output, valueInfo(o, n.Blob(o).Shape()))
	}
	m := &onnxpb.ModelProto{
		IrVersion:       proto.Int64(irVersion),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(Opset)}},
		ProducerName:    proto.String("gocaffe"),
		ProducerVersion: proto.String(opts.ProducerVersion),
		Graph:           e.g,
	}
	return m, nil
}

// isAlias reports whether a layer type passes its bottom through unchanged at test
// time, so that its tops are other names of its bottom.
func isAlias(typ string) bool { return typ == "Split" || typ == "Dropout" }

// Types lists the Caffe layer types the exporter maps, sorted.
func Types() []string {
	t := []string{"AbsVal", "BNLL", "BatchNorm", "Bias", "Clip", "Concat", "Convolution", "Crop", "Deconvolution",
		"Dropout", "ELU", "Eltwise", "Exp", "Flatten", "InnerProduct", "Input", "LRN", "Log", "PReLU", "Pooling",
		"Power", "ReLU", "Reshape", "Scale", "Sigmoid", "Slice", "Softmax", "Softplus", "Split", "Swish", "TanH"}
	sort.Strings(t)
	return t
}

// in returns the ONNX value of the layer's k-th bottom.
func (e *exporter) in(i, k int) string { return e.value[e.n.BottomNames(i)[k]] }

// out returns a fresh ONNX name for the layer's k-th top and records it as the blob's.
func (e *exporter) out(i, k int) string {
	t := e.n.TopNames(i)[k]
	e.writes[t]--
	name := t
	if e.writes[t] > 0 || e.used[name] {
		name = e.fresh(t + "_" + e.n.LayerName(i))
	}
	e.used[name] = true
	e.value[t] = name
	return name
}

// fresh returns name, or name with a number, whichever no value has yet.
func (e *exporter) fresh(name string) string {
	if !e.used[name] {
		e.used[name] = true
		return name
	}
	for k := 1; ; k++ {
		c := fmt.Sprintf("%s_%d", name, k)
		if !e.used[c] {
			e.used[c] = true
			return c
		}
	}
}

// tmp returns a name for an intermediate value of the layer's.
func (e *exporter) tmp(i int, what string) string { return e.fresh(e.n.LayerName(i) + "_" + what) }

// node appends a node.
func (e *exporter) node(op, name string, inputs, outputs []string, attrs ...*onnxpb.AttributeProto) {
	e.g.Node = append(e.g.Node, &onnxpb.NodeProto{
		OpType: proto.String(op), Name: proto.String(e.fresh("node:" + name)),
		Input: inputs, Output: outputs, Attribute: attrs,
	})
}

// constant adds an initializer of float32 values and returns its name.
func (e *exporter) constant(name string, shape []int, values []float32) string {
	name = e.fresh(name)
	raw := make([]byte, 4*len(values))
	for j, v := range values {
		binary.LittleEndian.PutUint32(raw[4*j:], math.Float32bits(v))
	}
	e.g.Initializer = append(e.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: int64s(shape), DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: raw,
	})
	return name
}

// ints64 adds an initializer of int64 values (shapes, axes) and returns its name.
func (e *exporter) ints64(name string, values []int) string {
	name = e.fresh(name)
	e.g.Initializer = append(e.g.Initializer, &onnxpb.TensorProto{
		Name: proto.String(name), Dims: []int64{int64(len(values))},
		DataType: proto.Int32(int32(onnxpb.TensorProto_INT64)), Int64Data: int64s(values),
	})
	return name
}

// param adds the layer's k-th parameter blob as an initializer, reshaped to shape when
// shape is not nil.
func (e *exporter) param(i, k int, what string, shape []int) (string, error) {
	ps := e.n.Layer(i).Params()
	if k >= len(ps) {
		return "", fmt.Errorf("the layer has %d parameter blobs, want at least %d", len(ps), k+1)
	}
	b := ps[k]
	if shape == nil {
		shape = b.Shape()
	} else if count(shape) != b.Count() {
		return "", fmt.Errorf("parameter %d of shape %s cannot be seen as %v", k, b.ShapeString(), shape)
	}
	return e.constant(e.n.LayerName(i)+"_"+what, shape, b.Data), nil
}

func count(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func int64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func attrInt(name string, v int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(int64(v))}
}

func attrInts(name string, v []int) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: int64s(v)}
}

func attrFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func valueInfo(name string, shape []int) *onnxpb.ValueInfoProto {
	dims := make([]*onnxpb.TensorShapeProto_Dimension, len(shape))
	for i, d := range shape {
		dims[i] = &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}}
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
			ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)),
			Shape:    &onnxpb.TensorShapeProto{Dim: dims},
		}},
	}}
}

// unary maps a layer of one bottom and one top to one operator.
func (e *exporter) unary(i int, op string, attrs ...*onnxpb.AttributeProto) {
	e.node(op, e.n.LayerName(i), []string{e.in(i, 0)}, []string{e.out(i, 0)}, attrs...)
}

// layer exports the i-th layer.
func (e *exporter) layer(i int, lp *caffepb.LayerParameter) error {
	name := lp.GetName()
	bottoms := e.n.Bottoms(i)
	tops := e.n.Tops(i)
	switch typ := lp.GetType(); typ {
	case "Input":
		for k, t := range e.n.TopNames(i) {
			v := e.out(i, k)
			if v != t {
				return fmt.Errorf("input %q is written by another layer too", t)
			}
			e.g.Input = append(e.g.Input, valueInfo(t, tops[k].Shape()))
		}
	case "Split", "Dropout":
		for _, t := range e.n.TopNames(i) {
			e.value[t] = e.in(i, 0)
		}
	case "Convolution", "Deconvolution":
		return e.conv(i, lp, typ == "Deconvolution")
	case "Pooling":
		return e.pooling(i, lp.GetPoolingParam(), bottoms[0], tops[0])
	case "InnerProduct":
		return e.innerProduct(i, lp.GetInnerProductParam(), bottoms[0], tops[0])
	case "ReLU":
		if s := lp.GetReluParam().GetNegativeSlope(); s != 0 {
			e.unary(i, "LeakyRelu", attrFloat("alpha", s))
		} else {
			e.unary(i, "Relu")
		}
	case "PReLU":
		c := 1
		if !lp.GetPreluParam().GetChannelShared() {
			c = bottoms[0].Dim(1)
		}
		shape := []int{c}
		for k := 2; k < bottoms[0].NumAxes(); k++ {
			shape = append(shape, 1)
		}
		slope, err := e.param(i, 0, "slope", shape)
		if err != nil {
			return err
		}
		e.node("PRelu", name, []string{e.in(i, 0), slope}, []string{e.out(i, 0)})
	case "Sigmoid":
		e.unary(i, "Sigmoid")
	case "TanH":
		e.unary(i, "Tanh")
	case "AbsVal":
		e.unary(i, "Abs")
	case "BNLL", "Softplus":
		// BNLL is log(1 + exp(x)): the softplus.
		e.unary(i, "Softplus")
	case "ELU":
		e.unary(i, "Elu", attrFloat("alpha", lp.GetEluParam().GetAlpha()))
	case "Swish":
		beta := lp.GetSwishParam().GetBeta()
		x := e.in(i, 0)
		bx := x
		if beta != 1 {
			bx = e.tmp(i, "scaled")
			e.node("Mul", name+"_beta", []string{x, e.constant(name+"_beta", nil, []float32{beta})}, []string{bx})
		}
		s := e.tmp(i, "sigmoid")
		e.node("Sigmoid", name+"_sigmoid", []string{bx}, []string{s})
		e.node("Mul", name, []string{x, s}, []string{e.out(i, 0)})
	case "Clip":
		cp := lp.GetClipParam()
		e.node("Clip", name, []string{e.in(i, 0), e.constant(name+"_min", nil, []float32{cp.GetMin()}),
			e.constant(name+"_max", nil, []float32{cp.GetMax()})}, []string{e.out(i, 0)})
	case "Softmax":
		axis, err := bottoms[0].CanonicalAxis(int(lp.GetSoftmaxParam().GetAxis()))
		if err != nil {
			return err
		}
		e.unary(i, "Softmax", attrInt("axis", axis))
	case "LRN":
		p := lp.GetLrnParam()
		if p.GetNormRegion() != caffepb.LRNParameter_ACROSS_CHANNELS {
			return fmt.Errorf("LRN with norm_region WITHIN_CHANNEL has no ONNX equivalent (ONNX's LRN normalises across channels)")
		}
		e.unary(i, "LRN", attrInt("size", int(p.GetLocalSize())), attrFloat("alpha", p.GetAlpha()),
			attrFloat("beta", p.GetBeta()), attrFloat("bias", p.GetK()))
	case "Concat":
		p := lp.GetConcatParam()
		axis := int(p.GetAxis())
		if p != nil && p.ConcatDim != nil {
			axis = int(p.GetConcatDim())
		}
		axis, err := bottoms[0].CanonicalAxis(axis)
		if err != nil {
			return err
		}
		var ins []string
		for k := range bottoms {
			ins = append(ins, e.in(i, k))
		}
		e.node("Concat", name, ins, []string{e.out(i, 0)}, attrInt("axis", axis))
	case "Eltwise":
		return e.eltwise(i, lp.GetEltwiseParam(), len(bottoms))
	case "BatchNorm":
		return e.batchNorm(i, lp.GetBatchNormParam(), bottoms[0])
	case "Scale", "Bias":
		return e.scaleBias(i, lp, bottoms)
	case "Flatten", "Reshape":
		e.node("Reshape", name, []string{e.in(i, 0), e.ints64(name+"_shape", tops[0].Shape())}, []string{e.out(i, 0)})
	case "Slice":
		return e.slice(i, lp.GetSliceParam(), bottoms[0], tops)
	case "Power":
		return e.power(i, lp.GetPowerParam())
	case "Exp", "Log":
		return e.expLog(i, typ, lp)
	case "Crop":
		return e.crop(i, lp.GetCropParam(), bottoms, tops[0])
	default:
		return fmt.Errorf("no ONNX equivalent in gocaffe's export (it maps %s)", strings.Join(Types(), ", "))
	}
	return nil
}

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

// Marshal serialises a model as ONNX files hold it.
func Marshal(m *onnxpb.ModelProto) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}
