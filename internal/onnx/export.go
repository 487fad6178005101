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

	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"github.com/gocaffe/gocaffe/proto/onnxpb"
	"google.golang.org/protobuf/proto"
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

// Marshal serialises a model as ONNX files hold it.
func Marshal(m *onnxpb.ModelProto) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}
