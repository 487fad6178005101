package protofile

import (
	"errors"
	"fmt"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// ErrPartialUpgrade marks an upgrade that met fields Caffe's upgrade does not know
// where to put. As Caffe does, the upgrade logs each of them and goes on; the net
// is usable and the error (wrapped) only tells callers such as `gocaffe upgrade`
// that the result may lack something.
var ErrPartialUpgrade = errors.New("had one or more problems upgrading (see the log)")

// NetNeedsUpgrade reports whether p uses any deprecated form UpgradeNet rewrites.
func NetNeedsUpgrade(p *caffepb.NetParameter) bool {
	return netNeedsV0ToV1(p) || netNeedsV1ToV2(p) || netNeedsDataUpgrade(p) ||
		netNeedsInputUpgrade(p) || netNeedsBatchNormUpgrade(p)
}

// UpgradeNet rewrites p into the current format in place, step by step in Caffe's
// order (UpgradeNetAsNeeded), logging Caffe's messages with source as the file name:
//
//  1. V0 layers (layers { layer { type: "conv" } }) to V1, after folding standalone
//     padding layers into the convolution or pooling they feed;
//  2. scale, mean_file, crop_size and mirror of V1 data layers into transform_param;
//  3. V1 layers (layers { type: CONVOLUTION blobs_lr: 1 }) to layer { } messages;
//  4. input/input_dim/input_shape to an Input layer named "input" at the front;
//  5. BatchNorm layers with three param specs to lr_mult 0 and decay_mult 0.
//
// Blobs are moved, not copied. changed reports whether anything was rewritten. The
// error is non-nil where Caffe would stop (an unknown V0 layer type, a padding layer
// that feeds something other than a convolution, input_dim of the wrong length);
// it wraps ErrPartialUpgrade where Caffe logs problems and goes on, and p is then
// upgraded as far as Caffe upgrades it.
func UpgradeNet(p *caffepb.NetParameter, source string) (changed bool, err error) {
	changed = NetNeedsUpgrade(p)
	partial := false
	if netNeedsV0ToV1(p) {
		glog.Infof("Attempting to upgrade input file specified using deprecated V0LayerParameter: %s", source)
		ok, err := upgradeV0Net(p)
		if err != nil {
			return changed, fmt.Errorf("%s: upgrading V0 net: %w", source, err)
		}
		partial = logUpgraded(ok, "V0NetParameter to NetParameter", "V0LayerParameter") || partial
		glog.Warningf("Note that future Caffe releases will not support V0NetParameter; " +
			"use ./build/tools/upgrade_net_proto_text for prototxt and ./build/tools/upgrade_net_proto_binary " +
			"for model weights upgrade this and any other net protos to the new format.")
	}
	if netNeedsDataUpgrade(p) {
		glog.Infof("Attempting to upgrade input file specified using deprecated transformation parameters: %s", source)
		upgradeNetDataTransformation(p)
		glog.Infof("Successfully upgraded file specified using deprecated data transformation parameters.")
		glog.Warningf("Note that future Caffe releases will only support transform_param messages for transformation fields.")
	}
	if netNeedsV1ToV2(p) {
		glog.Infof("Attempting to upgrade input file specified using deprecated V1LayerParameter: %s", source)
		ok, err := upgradeV1Net(p)
		if err != nil {
			return changed, fmt.Errorf("%s: upgrading V1 layers: %w", source, err)
		}
		partial = logUpgraded(ok, "V1LayerParameter", "V1LayerParameter") || partial
	}
	if netNeedsInputUpgrade(p) {
		glog.Infof("Attempting to upgrade input file specified using deprecated input fields: %s", source)
		if err := upgradeNetInput(p); err != nil {
			return changed, fmt.Errorf("%s: upgrading input fields: %w", source, err)
		}
		glog.Infof("Successfully upgraded file specified using deprecated input fields.")
		glog.Warningf("Note that future Caffe releases will only support input layers and not input fields.")
	}
	if netNeedsBatchNormUpgrade(p) {
		glog.Infof("Attempting to upgrade batch norm layers using deprecated params: %s", source)
		upgradeNetBatchNorm(p)
		glog.Infof("Successfully upgraded batch norm layers using deprecated params.")
	}
	if partial {
		return changed, fmt.Errorf("%s: %w", source, ErrPartialUpgrade)
	}
	return changed, nil
}

// logUpgraded logs, in Caffe's words, how an upgrade that may go partly wrong went:
// problems names what was upgraded in the warning, param what was deprecated in the
// success. It reports whether the upgrade was partial.
func logUpgraded(ok bool, problems, param string) (partial bool) {
	if !ok {
		glog.Errorf("Warning: had one or more problems upgrading %s (see above); continuing anyway.", problems)
		return true
	}
	glog.Infof("Successfully upgraded file specified using deprecated %s", param)
	return false
}

func netNeedsV0ToV1(p *caffepb.NetParameter) bool {
	for _, l := range p.Layers {
		if l.Layer != nil {
			return true
		}
	}
	return false
}

func netNeedsV1ToV2(p *caffepb.NetParameter) bool { return len(p.Layers) > 0 }

// netNeedsDataUpgrade reports whether a V1 data layer still holds transformation
// fields in its own parameter message.
func netNeedsDataUpgrade(p *caffepb.NetParameter) bool {
	for _, l := range p.Layers {
		switch l.GetType() {
		case caffepb.V1LayerParameter_DATA:
			if d := l.DataParam; d != nil && (d.Scale != nil || d.MeanFile != nil || d.CropSize != nil || d.Mirror != nil) {
				return true
			}
		case caffepb.V1LayerParameter_IMAGE_DATA:
			if d := l.ImageDataParam; d != nil && (d.Scale != nil || d.MeanFile != nil || d.CropSize != nil || d.Mirror != nil) {
				return true
			}
		case caffepb.V1LayerParameter_WINDOW_DATA:
			if d := l.WindowDataParam; d != nil && (d.Scale != nil || d.MeanFile != nil || d.CropSize != nil || d.Mirror != nil) {
				return true
			}
		}
	}
	return false
}

// upgradeNetDataTransformation moves the transformation fields of every V1 data
// layer into its transform_param. Like Caffe, it gives every layer of those types a
// (possibly empty) transform_param and *_data_param.
func upgradeNetDataTransformation(p *caffepb.NetParameter) {
	move := func(l *caffepb.V1LayerParameter, scale **float32, meanFile **string, cropSize **uint32, mirror **bool) {
		if l.TransformParam == nil {
			l.TransformParam = &caffepb.TransformationParameter{}
		}
		t := l.TransformParam
		if *scale != nil {
			t.Scale, *scale = *scale, nil
		}
		if *meanFile != nil {
			t.MeanFile, *meanFile = *meanFile, nil
		}
		if *cropSize != nil {
			t.CropSize, *cropSize = *cropSize, nil
		}
		if *mirror != nil {
			t.Mirror, *mirror = *mirror, nil
		}
	}
	for _, l := range p.Layers {
		switch l.GetType() {
		case caffepb.V1LayerParameter_DATA:
			if l.DataParam == nil {
				l.DataParam = &caffepb.DataParameter{}
			}
			d := l.DataParam
			move(l, &d.Scale, &d.MeanFile, &d.CropSize, &d.Mirror)
		case caffepb.V1LayerParameter_IMAGE_DATA:
			if l.ImageDataParam == nil {
				l.ImageDataParam = &caffepb.ImageDataParameter{}
			}
			d := l.ImageDataParam
			move(l, &d.Scale, &d.MeanFile, &d.CropSize, &d.Mirror)
		case caffepb.V1LayerParameter_WINDOW_DATA:
			if l.WindowDataParam == nil {
				l.WindowDataParam = &caffepb.WindowDataParameter{}
			}
			d := l.WindowDataParam
			move(l, &d.Scale, &d.MeanFile, &d.CropSize, &d.Mirror)
		}
	}
}

// upgradeV1Net turns the V1 layers of p into layer messages. Other net fields stay.
// ok is false where Caffe logs a problem and goes on.
func upgradeV1Net(p *caffepb.NetParameter) (ok bool, err error) {
	ok = true
	if len(p.Layer) > 0 {
		glog.Errorf("Input NetParameter to be upgraded already specifies 'layer' fields; these will be ignored for the upgrade.")
		ok = false
	}
	layers := make([]*caffepb.LayerParameter, 0, len(p.Layers))
	for i, v1 := range p.Layers {
		l, lok, err := upgradeV1Layer(v1)
		if err != nil {
			return false, fmt.Errorf("layer %d (%q): %w", i, v1.GetName(), err)
		}
		if !lok {
			glog.Errorf("Upgrade of input layer %d failed.", i)
			ok = false
		}
		layers = append(layers, l)
	}
	p.Layers = nil
	p.Layer = layers
	return ok, nil
}

// v1TypeNames are the current type strings of the V1 layer enums.
var v1TypeNames = map[caffepb.V1LayerParameter_LayerType]string{
	caffepb.V1LayerParameter_NONE:                       "",
	caffepb.V1LayerParameter_ABSVAL:                     "AbsVal",
	caffepb.V1LayerParameter_ACCURACY:                   "Accuracy",
	caffepb.V1LayerParameter_ARGMAX:                     "ArgMax",
	caffepb.V1LayerParameter_BNLL:                       "BNLL",
	caffepb.V1LayerParameter_CONCAT:                     "Concat",
	caffepb.V1LayerParameter_CONTRASTIVE_LOSS:           "ContrastiveLoss",
	caffepb.V1LayerParameter_CONVOLUTION:                "Convolution",
	caffepb.V1LayerParameter_DECONVOLUTION:              "Deconvolution",
	caffepb.V1LayerParameter_DATA:                       "Data",
	caffepb.V1LayerParameter_DROPOUT:                    "Dropout",
	caffepb.V1LayerParameter_DUMMY_DATA:                 "DummyData",
	caffepb.V1LayerParameter_EUCLIDEAN_LOSS:             "EuclideanLoss",
	caffepb.V1LayerParameter_ELTWISE:                    "Eltwise",
	caffepb.V1LayerParameter_EXP:                        "Exp",
	caffepb.V1LayerParameter_FLATTEN:                    "Flatten",
	caffepb.V1LayerParameter_HDF5_DATA:                  "HDF5Data",
	caffepb.V1LayerParameter_HDF5_OUTPUT:                "HDF5Output",
	caffepb.V1LayerParameter_HINGE_LOSS:                 "HingeLoss",
	caffepb.V1LayerParameter_IM2COL:                     "Im2col",
	caffepb.V1LayerParameter_IMAGE_DATA:                 "ImageData",
	caffepb.V1LayerParameter_INFOGAIN_LOSS:              "InfogainLoss",
	caffepb.V1LayerParameter_INNER_PRODUCT:              "InnerProduct",
	caffepb.V1LayerParameter_LRN:                        "LRN",
	caffepb.V1LayerParameter_MEMORY_DATA:                "MemoryData",
	caffepb.V1LayerParameter_MULTINOMIAL_LOGISTIC_LOSS:  "MultinomialLogisticLoss",
	caffepb.V1LayerParameter_MVN:                        "MVN",
	caffepb.V1LayerParameter_POOLING:                    "Pooling",
	caffepb.V1LayerParameter_POWER:                      "Power",
	caffepb.V1LayerParameter_RELU:                       "ReLU",
	caffepb.V1LayerParameter_SIGMOID:                    "Sigmoid",
	caffepb.V1LayerParameter_SIGMOID_CROSS_ENTROPY_LOSS: "SigmoidCrossEntropyLoss",
	caffepb.V1LayerParameter_SILENCE:                    "Silence",
	caffepb.V1LayerParameter_SOFTMAX:                    "Softmax",
	caffepb.V1LayerParameter_SOFTMAX_LOSS:               "SoftmaxWithLoss",
	caffepb.V1LayerParameter_SPLIT:                      "Split",
	caffepb.V1LayerParameter_SLICE:                      "Slice",
	caffepb.V1LayerParameter_TANH:                       "TanH",
	caffepb.V1LayerParameter_WINDOW_DATA:                "WindowData",
	caffepb.V1LayerParameter_THRESHOLD:                  "Threshold",
}

// upgradeV1Layer builds the layer message of a V1 layer: blobs_lr, weight_decay,
// param names and blob_share_mode become its param specs, the enum type a type
// string; the blobs and the *_param messages move over unchanged.
func upgradeV1Layer(v1 *caffepb.V1LayerParameter) (*caffepb.LayerParameter, bool, error) {
	ok := true
	l := &caffepb.LayerParameter{
		Name:       v1.Name,
		Bottom:     v1.Bottom,
		Top:        v1.Top,
		Include:    v1.Include,
		Exclude:    v1.Exclude,
		Blobs:      v1.Blobs,
		LossWeight: v1.LossWeight,
	}
	if v1.Type != nil {
		name, known := v1TypeNames[v1.GetType()]
		if !known {
			return nil, false, fmt.Errorf("unknown V1LayerParameter layer type %d", v1.GetType())
		}
		l.Type = proto.String(name)
	}
	spec := func(i int) *caffepb.ParamSpec {
		for len(l.Param) <= i {
			l.Param = append(l.Param, &caffepb.ParamSpec{})
		}
		return l.Param[i]
	}
	for i, name := range v1.Param {
		spec(i).Name = proto.String(name)
	}
	for i, mode := range v1.BlobShareMode {
		switch mode {
		case caffepb.V1LayerParameter_STRICT:
			spec(i).ShareMode = caffepb.ParamSpec_STRICT.Enum()
		case caffepb.V1LayerParameter_PERMISSIVE:
			spec(i).ShareMode = caffepb.ParamSpec_PERMISSIVE.Enum()
		default:
			return nil, false, fmt.Errorf("unknown blob_share_mode %d", mode)
		}
	}
	for i, lr := range v1.BlobsLr {
		spec(i).LrMult = proto.Float32(lr)
	}
	for i, decay := range v1.WeightDecay {
		spec(i).DecayMult = proto.Float32(decay)
	}
	l.AccuracyParam = v1.AccuracyParam
	l.ArgmaxParam = v1.ArgmaxParam
	l.ConcatParam = v1.ConcatParam
	l.ContrastiveLossParam = v1.ContrastiveLossParam
	l.ConvolutionParam = v1.ConvolutionParam
	l.DataParam = v1.DataParam
	l.DropoutParam = v1.DropoutParam
	l.DummyDataParam = v1.DummyDataParam
	l.EltwiseParam = v1.EltwiseParam
	l.ExpParam = v1.ExpParam
	l.Hdf5DataParam = v1.Hdf5DataParam
	l.Hdf5OutputParam = v1.Hdf5OutputParam
	l.HingeLossParam = v1.HingeLossParam
	l.ImageDataParam = v1.ImageDataParam
	l.InfogainLossParam = v1.InfogainLossParam
	l.InnerProductParam = v1.InnerProductParam
	l.LrnParam = v1.LrnParam
	l.MemoryDataParam = v1.MemoryDataParam
	l.MvnParam = v1.MvnParam
	l.PoolingParam = v1.PoolingParam
	l.PowerParam = v1.PowerParam
	l.ReluParam = v1.ReluParam
	l.SigmoidParam = v1.SigmoidParam
	l.SoftmaxParam = v1.SoftmaxParam
	l.SliceParam = v1.SliceParam
	l.TanhParam = v1.TanhParam
	l.ThresholdParam = v1.ThresholdParam
	l.WindowDataParam = v1.WindowDataParam
	l.TransformParam = v1.TransformParam
	l.LossParam = v1.LossParam
	if v1.Layer != nil {
		glog.Errorf("Input NetParameter has V0 layer -- ignoring.")
		ok = false
	}
	return l, ok, nil
}

func netNeedsInputUpgrade(p *caffepb.NetParameter) bool { return len(p.Input) > 0 }

// upgradeNetInput turns the net's input fields into one Input layer named "input",
// placed first. A net with input names but no shapes (a legacy .caffemodel) just
// loses the names.
func upgradeNetInput(p *caffepb.NetParameter) error {
	hasShape, hasDim := len(p.InputShape) > 0, len(p.InputDim) > 0
	if hasShape || hasDim {
		in := &caffepb.InputParameter{}
		l := &caffepb.LayerParameter{Name: proto.String("input"), Type: proto.String("Input"), InputParam: in}
		for i, name := range p.Input {
			l.Top = append(l.Top, name)
			if hasShape {
				if i >= len(p.InputShape) {
					return fmt.Errorf("%d inputs but %d input_shape entries: each input needs one", len(p.Input), len(p.InputShape))
				}
				in.Shape = append(in.Shape, p.InputShape[i])
				continue
			}
			if 4*i+4 > len(p.InputDim) {
				return fmt.Errorf("%d inputs but %d input_dim values: each input needs 4 (num, channels, height, width)", len(p.Input), len(p.InputDim))
			}
			shape := &caffepb.BlobShape{}
			for _, d := range p.InputDim[4*i : 4*i+4] {
				shape.Dim = append(shape.Dim, int64(d))
			}
			in.Shape = append(in.Shape, shape)
		}
		p.Layer = append([]*caffepb.LayerParameter{l}, p.Layer...)
	}
	p.Input, p.InputShape, p.InputDim = nil, nil, nil
	return nil
}

// netNeedsBatchNormUpgrade reports whether a BatchNorm layer still declares the
// three param specs the layer once needed.
func netNeedsBatchNormUpgrade(p *caffepb.NetParameter) bool {
	for _, l := range p.Layer {
		if l.GetType() == "BatchNorm" && len(l.Param) == 3 {
			return true
		}
	}
	return false
}

// upgradeNetBatchNorm sets lr_mult and decay_mult of those three specs to 0: the
// layer's blobs are statistics, not learnt weights.
func upgradeNetBatchNorm(p *caffepb.NetParameter) {
	for _, l := range p.Layer {
		if l.GetType() == "BatchNorm" && len(l.Param) == 3 {
			for _, s := range l.Param {
				s.LrMult = proto.Float32(0)
				s.DecayMult = proto.Float32(0)
			}
		}
	}
}
