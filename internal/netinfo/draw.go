package netinfo

import (
	"fmt"
	"strings"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// DrawOptions choose how Draw lays a net out.
type DrawOptions struct {
	// RankDir is Graphviz's rankdir: LR (the default), TB, BT or RL.
	RankDir string
	// Phase, if set, draws only the layers its include/exclude phase rules admit
	// (draw_net.py's --phase); nil draws every layer.
	Phase *caffepb.Phase
}

// The colours and shapes of Caffe's python/caffe/draw.py.
const (
	layerStyle  = `shape=record, style=filled, fillcolor="%s"`
	neuronStyle = `shape=record, style=filled, fillcolor="#90EE90"`
	blobStyle   = `shape=octagon, style=filled, fillcolor="#E0E0E0"`
)

func layerColor(typ string) string {
	switch typ {
	case "Convolution", "Deconvolution":
		return "#FF5050"
	case "Pooling":
		return "#FF9900"
	case "InnerProduct":
		return "#CC33FF"
	}
	return "#6495ED"
}

// Draw renders a net as a Graphviz digraph the way Caffe's draw_net.py does: layers as
// boxes coloured by type, with their kernel, stride and padding; blobs as octagons;
// an in-place layer (one bottom, the same top) as a green box beside its blob;
// edges labelled with the batch size or the number of outputs.
func Draw(param *caffepb.NetParameter, opts DrawOptions) (string, error) {
	rankdir := strings.ToUpper(opts.RankDir)
	if rankdir == "" {
		rankdir = "LR"
	}
	switch rankdir {
	case "LR", "TB", "BT", "RL":
	default:
		return "", fmt.Errorf("rankdir %q: want LR, TB, BT or RL", opts.RankDir)
	}
	name := param.GetName()
	if name == "" {
		name = "Net"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n\trankdir=%s;\n\tlabel=%s;\n", quote(name), rankdir, quote(name))
	declared := map[string]bool{}
	node := func(id, label, style string) {
		if declared[id] {
			return
		}
		declared[id] = true
		fmt.Fprintf(&b, "\t%s [label=%s, %s];\n", quote(id), label, style)
	}
	var edges []string
	for _, l := range param.Layer {
		if opts.Phase != nil && !phaseIncludes(l, *opts.Phase) {
			continue
		}
		id := l.GetName() + "_" + l.GetType()
		style := fmt.Sprintf(layerStyle, layerColor(l.GetType()))
		if len(l.Bottom) == 1 && len(l.Top) == 1 && l.Bottom[0] == l.Top[0] {
			style = neuronStyle
		}
		node(id, layerLabel(l, rankdir), style)
		for _, bottom := range l.Bottom {
			node(bottom+"_blob", quote(bottom), blobStyle)
			edges = append(edges, fmt.Sprintf("\t%s -> %s;\n", quote(bottom+"_blob"), quote(id)))
		}
		for _, top := range l.Top {
			node(top+"_blob", quote(top), blobStyle)
			label := edgeLabel(l)
			if label != "" {
				label = " [label=" + quote(label) + "]"
			}
			edges = append(edges, fmt.Sprintf("\t%s -> %s%s;\n", quote(id), quote(top+"_blob"), label))
		}
	}
	for _, e := range edges {
		b.WriteString(e)
	}
	b.WriteString("}\n")
	return b.String(), nil
}

// phaseIncludes applies draw_net.py's phase filter: include rules admit the phases
// they name, exclude rules remove them.
func phaseIncludes(l *caffepb.LayerParameter, phase caffepb.Phase) bool {
	included := len(l.Include) == 0
	for _, r := range l.Include {
		included = included || r.GetPhase() == phase
	}
	for _, r := range l.Exclude {
		included = included && r.GetPhase() != phase
	}
	return included
}

// layerLabel is the text of a layer's box: name, type and, for convolutions and
// pooling, the kernel size, stride and padding.
func layerLabel(l *caffepb.LayerParameter, rankdir string) string {
	sep := `\n`
	if rankdir == "TB" || rankdir == "BT" {
		sep = " "
	}
	first := func(v []uint32, def uint32) uint32 {
		if len(v) > 0 {
			return v[0]
		}
		return def
	}
	switch l.GetType() {
	case "Convolution", "Deconvolution":
		c := l.GetConvolutionParam()
		return `"` + fmt.Sprintf("%s%s(%s)%skernel size: %d%sstride: %d%spad: %d",
			escape(l.GetName()), sep, l.GetType(), sep, first(c.GetKernelSize(), 1), sep,
			first(c.GetStride(), 1), sep, first(c.GetPad(), 0)) + `"`
	case "Pooling":
		p := l.GetPoolingParam()
		return `"` + fmt.Sprintf("%s%s(%s %s)%skernel size: %d%sstride: %d%spad: %d",
			escape(l.GetName()), sep, l.GetType(), p.GetPool(), sep, p.GetKernelSize(), sep,
			p.GetStride(), sep, p.GetPad()) + `"`
	}
	return `"` + fmt.Sprintf("%s%s(%s)", escape(l.GetName()), sep, l.GetType()) + `"`
}

// edgeLabel is the label of a layer's outgoing edges: the batch size of a data
// layer, the number of outputs of a convolution or an inner product.
func edgeLabel(l *caffepb.LayerParameter) string {
	switch l.GetType() {
	case "Data":
		return fmt.Sprintf("Batch %d", l.GetDataParam().GetBatchSize())
	case "Convolution", "Deconvolution":
		return fmt.Sprint(l.GetConvolutionParam().GetNumOutput())
	case "InnerProduct":
		return fmt.Sprint(l.GetInnerProductParam().GetNumOutput())
	}
	return ""
}

func quote(s string) string { return `"` + escape(s) + `"` }

func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
