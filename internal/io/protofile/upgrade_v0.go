package protofile

import (
	"fmt"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// upgradeV0Net rewrites a net of V0 layers (layers { layer { type: "conv" } }) as V1
// layers, in place. Like Caffe's UpgradeV0Net it keeps only the net's name, inputs,
// input_dim and force_backward besides the layers. ok is false where a V0 field
// has no place in its layer's type (Caffe logs each and goes on).
func upgradeV0Net(p *caffepb.NetParameter) (ok bool, err error) {
	if err := upgradeV0PaddingLayers(p); err != nil {
		return false, err
	}
	ok = true
	layers := make([]*caffepb.V1LayerParameter, 0, len(p.Layers))
	for _, conn := range p.Layers {
		l, lok, err := upgradeV0Layer(conn)
		if err != nil {
			return false, err
		}
		ok = ok && lok
		layers = append(layers, l)
	}
	name, input, inputDim, forceBackward := p.Name, p.Input, p.InputDim, p.ForceBackward
	proto.Reset(p)
	p.Name, p.Input, p.InputDim, p.ForceBackward = name, input, inputDim, forceBackward
	p.Layers = layers
	return ok, nil
}

// upgradeV0PaddingLayers removes V0 "padding" layers, setting the pad of the
// convolution or pooling layer each one feeds and wiring that layer to the padding
// layer's input. Caffe dies where this returns an error.
func upgradeV0PaddingLayers(p *caffepb.NetParameter) error {
	// lastTop maps a blob to the index of the layer that last wrote it, -1 for a
	// net input.
	lastTop := map[string]int{}
	for _, in := range p.Input {
		lastTop[in] = -1
	}
	orig := p.Layers
	kept := make([]*caffepb.V1LayerParameter, 0, len(orig))
	for i, conn := range orig {
		typ := conn.GetLayer().GetType()
		// The bottoms as they were: a kept layer's own slice is rewired below.
		bottoms := append([]string(nil), conn.Bottom...)
		if typ != "padding" {
			kept = append(kept, conn)
		}
		for j, blob := range bottoms {
			src, known := lastTop[blob]
			if !known {
				return fmt.Errorf("unknown blob input %q to layer %q", blob, conn.GetLayer().GetName())
			}
			if src < 0 || orig[src].GetLayer().GetType() != "padding" {
				continue
			}
			pad := orig[src]
			switch {
			case typ != "conv" && typ != "pool":
				return fmt.Errorf("padding layer %q feeds layer %q of type %q: only conv and pool layers can take a padding layer's output",
					pad.GetLayer().GetName(), conn.GetLayer().GetName(), typ)
			case len(bottoms) != 1:
				return fmt.Errorf("layer %q takes its input from padding layer %q, so it must have one bottom, not %d",
					conn.GetLayer().GetName(), pad.GetLayer().GetName(), len(bottoms))
			case len(pad.Bottom) != 1:
				return fmt.Errorf("padding layer %q must have one bottom, not %d", pad.GetLayer().GetName(), len(pad.Bottom))
			case len(pad.Top) != 1:
				return fmt.Errorf("padding layer %q must have one top, not %d", pad.GetLayer().GetName(), len(pad.Top))
			}
			target := kept[len(kept)-1]
			if target.Layer == nil {
				target.Layer = &caffepb.V0LayerParameter{}
			}
			target.Layer.Pad = proto.Uint32(pad.GetLayer().GetPad())
			target.Bottom[j] = pad.Bottom[0]
		}
		for _, top := range conn.Top {
			lastTop[top] = i
		}
	}
	p.Layers = kept
	return nil
}

// v0Types are the V1 enums of the V0 type strings.
var v0Types = map[string]caffepb.V1LayerParameter_LayerType{
	"accuracy":                  caffepb.V1LayerParameter_ACCURACY,
	"bnll":                      caffepb.V1LayerParameter_BNLL,
	"concat":                    caffepb.V1LayerParameter_CONCAT,
	"conv":                      caffepb.V1LayerParameter_CONVOLUTION,
	"data":                      caffepb.V1LayerParameter_DATA,
	"dropout":                   caffepb.V1LayerParameter_DROPOUT,
	"euclidean_loss":            caffepb.V1LayerParameter_EUCLIDEAN_LOSS,
	"flatten":                   caffepb.V1LayerParameter_FLATTEN,
	"hdf5_data":                 caffepb.V1LayerParameter_HDF5_DATA,
	"hdf5_output":               caffepb.V1LayerParameter_HDF5_OUTPUT,
	"im2col":                    caffepb.V1LayerParameter_IM2COL,
	"images":                    caffepb.V1LayerParameter_IMAGE_DATA,
	"infogain_loss":             caffepb.V1LayerParameter_INFOGAIN_LOSS,
	"innerproduct":              caffepb.V1LayerParameter_INNER_PRODUCT,
	"lrn":                       caffepb.V1LayerParameter_LRN,
	"multinomial_logistic_loss": caffepb.V1LayerParameter_MULTINOMIAL_LOGISTIC_LOSS,
	"pool":                      caffepb.V1LayerParameter_POOLING,
	"relu":                      caffepb.V1LayerParameter_RELU,
	"sigmoid":                   caffepb.V1LayerParameter_SIGMOID,
	"softmax":                   caffepb.V1LayerParameter_SOFTMAX,
	"softmax_loss":              caffepb.V1LayerParameter_SOFTMAX_LOSS,
	"split":                     caffepb.V1LayerParameter_SPLIT,
	"tanh":                      caffepb.V1LayerParameter_TANH,
	"window_data":               caffepb.V1LayerParameter_WINDOW_DATA,
}

// upgradeV0Layer maps one V0 layer onto a V1 layer: each V0 field goes to the
// *_param message of the layer's type, as in Caffe's UpgradeV0LayerParameter. A V1
// layer met among V0 ones keeps only its bottoms and tops, as in Caffe. ok is false
// if a field does not belong to the layer's type; err is set for an unknown type.
func upgradeV0Layer(conn *caffepb.V1LayerParameter) (l *caffepb.V1LayerParameter, ok bool, err error) {
	l = &caffepb.V1LayerParameter{Bottom: conn.Bottom, Top: conn.Top}
	v0 := conn.Layer
	if v0 == nil {
		return l, true, nil
	}
	ok = true
	typ := v0.GetType()
	l.Name = v0.Name
	if v0.Type != nil {
		t, known := v0Types[typ]
		if !known {
			return nil, false, fmt.Errorf("layer %q: unknown V0 layer type %q", v0.GetName(), typ)
		}
		l.Type = t.Enum()
	}
	l.Blobs = v0.Blobs
	l.BlobsLr = v0.BlobsLr
	l.WeightDecay = v0.WeightDecay

	// The *_param messages, made when first needed.
	conv := func() *caffepb.ConvolutionParameter {
		if l.ConvolutionParam == nil {
			l.ConvolutionParam = &caffepb.ConvolutionParameter{}
		}
		return l.ConvolutionParam
	}
	ip := func() *caffepb.InnerProductParameter {
		if l.InnerProductParam == nil {
			l.InnerProductParam = &caffepb.InnerProductParameter{}
		}
		return l.InnerProductParam
	}
	pool := func() *caffepb.PoolingParameter {
		if l.PoolingParam == nil {
			l.PoolingParam = &caffepb.PoolingParameter{}
		}
		return l.PoolingParam
	}
	lrn := func() *caffepb.LRNParameter {
		if l.LrnParam == nil {
			l.LrnParam = &caffepb.LRNParameter{}
		}
		return l.LrnParam
	}
	data := func() *caffepb.DataParameter {
		if l.DataParam == nil {
			l.DataParam = &caffepb.DataParameter{}
		}
		return l.DataParam
	}
	hdf5 := func() *caffepb.HDF5DataParameter {
		if l.Hdf5DataParam == nil {
			l.Hdf5DataParam = &caffepb.HDF5DataParameter{}
		}
		return l.Hdf5DataParam
	}
	images := func() *caffepb.ImageDataParameter {
		if l.ImageDataParam == nil {
			l.ImageDataParam = &caffepb.ImageDataParameter{}
		}
		return l.ImageDataParam
	}
	window := func() *caffepb.WindowDataParameter {
		if l.WindowDataParam == nil {
			l.WindowDataParam = &caffepb.WindowDataParameter{}
		}
		return l.WindowDataParam
	}
	transform := func() *caffepb.TransformationParameter {
		if l.TransformParam == nil {
			l.TransformParam = &caffepb.TransformationParameter{}
		}
		return l.TransformParam
	}
	unknown := func(field string) {
		glog.Errorf("Unknown parameter %s for layer type %s", field, typ)
		ok = false
	}

	if v0.NumOutput != nil {
		switch typ {
		case "conv":
			conv().NumOutput = v0.NumOutput
		case "innerproduct":
			ip().NumOutput = v0.NumOutput
		default:
			unknown("num_output")
		}
	}
	if v0.Biasterm != nil {
		switch typ {
		case "conv":
			conv().BiasTerm = v0.Biasterm
		case "innerproduct":
			ip().BiasTerm = v0.Biasterm
		default:
			unknown("biasterm")
		}
	}
	if v0.WeightFiller != nil {
		switch typ {
		case "conv":
			conv().WeightFiller = v0.WeightFiller
		case "innerproduct":
			ip().WeightFiller = v0.WeightFiller
		default:
			unknown("weight_filler")
		}
	}
	if v0.BiasFiller != nil {
		switch typ {
		case "conv":
			conv().BiasFiller = v0.BiasFiller
		case "innerproduct":
			ip().BiasFiller = v0.BiasFiller
		default:
			unknown("bias_filler")
		}
	}
	if v0.Pad != nil {
		switch typ {
		case "conv":
			conv().Pad = append(conv().Pad, v0.GetPad())
		case "pool":
			pool().Pad = v0.Pad
		default:
			unknown("pad")
		}
	}
	if v0.Kernelsize != nil {
		switch typ {
		case "conv":
			conv().KernelSize = append(conv().KernelSize, v0.GetKernelsize())
		case "pool":
			pool().KernelSize = v0.Kernelsize
		default:
			unknown("kernelsize")
		}
	}
	if v0.Group != nil {
		if typ == "conv" {
			conv().Group = v0.Group
		} else {
			unknown("group")
		}
	}
	if v0.Stride != nil {
		switch typ {
		case "conv":
			conv().Stride = append(conv().Stride, v0.GetStride())
		case "pool":
			pool().Stride = v0.Stride
		default:
			unknown("stride")
		}
	}
	if v0.Pool != nil {
		if typ == "pool" {
			switch v0.GetPool() {
			case caffepb.V0LayerParameter_MAX:
				pool().Pool = caffepb.PoolingParameter_MAX.Enum()
			case caffepb.V0LayerParameter_AVE:
				pool().Pool = caffepb.PoolingParameter_AVE.Enum()
			case caffepb.V0LayerParameter_STOCHASTIC:
				pool().Pool = caffepb.PoolingParameter_STOCHASTIC.Enum()
			default:
				glog.Errorf("Unknown pool method %d", v0.GetPool())
				ok = false
			}
		} else {
			unknown("pool")
		}
	}
	if v0.DropoutRatio != nil {
		if typ == "dropout" {
			l.DropoutParam = &caffepb.DropoutParameter{DropoutRatio: v0.DropoutRatio}
		} else {
			unknown("dropout_ratio")
		}
	}
	if v0.LocalSize != nil {
		if typ == "lrn" {
			lrn().LocalSize = v0.LocalSize
		} else {
			unknown("local_size")
		}
	}
	if v0.Alpha != nil {
		if typ == "lrn" {
			lrn().Alpha = v0.Alpha
		} else {
			unknown("alpha")
		}
	}
	if v0.Beta != nil {
		if typ == "lrn" {
			lrn().Beta = v0.Beta
		} else {
			unknown("beta")
		}
	}
	if v0.K != nil {
		if typ == "lrn" {
			lrn().K = v0.K
		} else {
			unknown("k")
		}
	}
	if v0.Source != nil {
		switch typ {
		case "data":
			data().Source = v0.Source
		case "hdf5_data":
			hdf5().Source = v0.Source
		case "images":
			images().Source = v0.Source
		case "window_data":
			window().Source = v0.Source
		case "infogain_loss":
			l.InfogainLossParam = &caffepb.InfogainLossParameter{Source: v0.Source}
		default:
			unknown("source")
		}
	}
	// The transformation fields go to transform_param whatever the layer's type.
	if v0.Scale != nil {
		transform().Scale = v0.Scale
	}
	if v0.Meanfile != nil {
		transform().MeanFile = v0.Meanfile
	}
	if v0.Batchsize != nil {
		switch typ {
		case "data":
			data().BatchSize = v0.Batchsize
		case "hdf5_data":
			hdf5().BatchSize = v0.Batchsize
		case "images":
			images().BatchSize = v0.Batchsize
		case "window_data":
			window().BatchSize = v0.Batchsize
		default:
			unknown("batchsize")
		}
	}
	if v0.Cropsize != nil {
		transform().CropSize = v0.Cropsize
	}
	if v0.Mirror != nil {
		transform().Mirror = v0.Mirror
	}
	if v0.RandSkip != nil {
		switch typ {
		case "data":
			data().RandSkip = v0.RandSkip
		case "images":
			images().RandSkip = v0.RandSkip
		default:
			unknown("rand_skip")
		}
	}
	if v0.ShuffleImages != nil {
		if typ == "images" {
			images().Shuffle = v0.ShuffleImages
		} else {
			unknown("shuffle")
		}
	}
	if v0.NewHeight != nil {
		if typ == "images" {
			images().NewHeight = proto.Uint32(uint32(v0.GetNewHeight()))
		} else {
			unknown("new_height")
		}
	}
	if v0.NewWidth != nil {
		if typ == "images" {
			images().NewWidth = proto.Uint32(uint32(v0.GetNewWidth()))
		} else {
			unknown("new_width")
		}
	}
	if v0.ConcatDim != nil {
		if typ == "concat" {
			l.ConcatParam = &caffepb.ConcatParameter{ConcatDim: v0.ConcatDim}
		} else {
			unknown("concat_dim")
		}
	}
	if v0.DetFgThreshold != nil {
		if typ == "window_data" {
			window().FgThreshold = v0.DetFgThreshold
		} else {
			unknown("det_fg_threshold")
		}
	}
	if v0.DetBgThreshold != nil {
		if typ == "window_data" {
			window().BgThreshold = v0.DetBgThreshold
		} else {
			unknown("det_bg_threshold")
		}
	}
	if v0.DetFgFraction != nil {
		if typ == "window_data" {
			window().FgFraction = v0.DetFgFraction
		} else {
			unknown("det_fg_fraction")
		}
	}
	if v0.DetContextPad != nil {
		if typ == "window_data" {
			window().ContextPad = v0.DetContextPad
		} else {
			unknown("det_context_pad")
		}
	}
	if v0.DetCropMode != nil {
		if typ == "window_data" {
			window().CropMode = v0.DetCropMode
		} else {
			unknown("det_crop_mode")
		}
	}
	if v0.Hdf5OutputParam != nil {
		if typ == "hdf5_output" {
			l.Hdf5OutputParam = v0.Hdf5OutputParam
		} else {
			unknown("hdf5_output_param")
		}
	}
	// new_num and new_channels have no place in V1 layers; Caffe drops them too.
	return l, ok, nil
}
