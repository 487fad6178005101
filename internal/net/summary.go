package net

import (
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// dataLayerTypes are the layers that read data from outside the net. For a summary
// or a gradient check they are only sources of shapes.
var dataLayerTypes = map[string]bool{
	"Data": true, "ImageData": true, "HDF5Data": true, "WindowData": true, "MemoryData": true,
}

// IsDataLayer reports whether a layer type reads data from outside the net.
func IsDataLayer(typeName string) bool { return dataLayerTypes[typeName] }

// DataLayersAsInputs returns a copy of param in which every data layer, and every
// Input layer whose tops shapes names, is an Input layer of the same name giving its
// tops those shapes — so that the net can be built without opening a database.
// A data layer top without a shape gets one from the layer's own parameters where
// they fix it (MemoryData; ImageData with new_height and new_width; a label top: the
// batch size), and otherwise an error saying which --shape to give.
func DataLayersAsInputs(param *caffepb.NetParameter, shapes map[string][]int) (*caffepb.NetParameter, error) {
	out := proto.Clone(param).(*caffepb.NetParameter)
	used := map[string]bool{}
	for i, l := range out.Layer {
		isData := dataLayerTypes[l.GetType()]
		if !isData && l.GetType() != "Input" {
			continue
		}
		given := false
		for _, t := range l.Top {
			given = given || shapes[t] != nil
		}
		if !isData && !given {
			continue
		}
		in := &caffepb.LayerParameter{
			Name: l.Name, Type: proto.String("Input"), Top: l.Top,
			Include: l.Include, Exclude: l.Exclude, Phase: l.Phase,
			InputParam: &caffepb.InputParameter{},
		}
		for j, t := range l.Top {
			s, ok := shapes[t]
			if ok {
				used[t] = true
			} else {
				var err error
				if s, err = impliedShape(l, j); err != nil {
					return nil, err
				}
			}
			dims := make([]int64, len(s))
			for k, d := range s {
				dims[k] = int64(d)
			}
			in.InputParam.Shape = append(in.InputParam.Shape, &caffepb.BlobShape{Dim: dims})
		}
		out.Layer[i] = in
	}
	var unused []string
	for name := range shapes {
		if !used[name] {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return nil, fmt.Errorf("--shape given for %s, which no data or Input layer produces", strings.Join(unused, ", "))
	}
	return out, nil
}

// impliedShape is the shape of a data layer's j-th top where its parameters fix it.
func impliedShape(l *caffepb.LayerParameter, j int) ([]int, error) {
	batch := 0
	var image []int
	switch l.GetType() {
	case "Input":
		if s := l.GetInputParam().GetShape(); len(s) == 1 || j < len(s) {
			dims := s[min(j, len(s)-1)].GetDim()
			shape := make([]int, len(dims))
			for k, d := range dims {
				shape[k] = int(d)
			}
			return shape, nil
		}
	case "Data":
		batch = int(l.GetDataParam().GetBatchSize())
	case "ImageData":
		p := l.GetImageDataParam()
		batch = int(p.GetBatchSize())
		c := 3
		if !p.GetIsColor() {
			c = 1
		}
		h, w := int(p.GetNewHeight()), int(p.GetNewWidth())
		if crop := int(l.GetTransformParam().GetCropSize()); crop > 0 {
			h, w = crop, crop
		}
		if h > 0 && w > 0 {
			image = []int{batch, c, h, w}
		}
	case "MemoryData":
		p := l.GetMemoryDataParam()
		batch = int(p.GetBatchSize())
		image = []int{batch, int(p.GetChannels()), int(p.GetHeight()), int(p.GetWidth())}
	case "HDF5Data":
		batch = int(l.GetHdf5DataParam().GetBatchSize())
	case "WindowData":
		batch = int(l.GetWindowDataParam().GetBatchSize())
	}
	switch {
	case j == 0 && image != nil:
		return image, nil
	case j == 1 && batch > 0 && l.GetType() != "HDF5Data":
		return []int{batch}, nil
	}
	return nil, fmt.Errorf("layer %q (%s) reads its data from outside the net: give the shape of its top %q, e.g. --shape=%s=%s",
		l.GetName(), l.GetType(), l.Top[j], l.Top[j], exampleShape(batch, j))
}

func exampleShape(batch, j int) string {
	if batch <= 0 {
		batch = 64
	}
	if j == 0 {
		return fmt.Sprintf("%d,3,224,224", batch)
	}
	return fmt.Sprint(batch)
}

// LayerSummary describes one layer of a built net.
type LayerSummary struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Bottoms     []string `json:"bottoms"`
	Tops        []string `json:"tops"`
	TopShapes   [][]int  `json:"top_shapes"`
	ParamShapes [][]int  `json:"param_shapes"`
	// MACs counts multiply-adds: N·Cout·Hout·Wout·(Cin/group)·Kh·Kw for a
	// convolution (the same per input position for a deconvolution), N·in·out for an
	// inner product, 0 for every other layer.
	MACs int64 `json:"macs"`
}

// Summary describes a built net: what Netscope shows, in numbers.
type Summary struct {
	Name   string         `json:"name,omitempty"`
	Layers []LayerSummary `json:"layers"`
	// TotalParams counts the values of every parameter blob (a blob shared by several
	// layers once); TotalLearnable leaves out BatchNorm's running statistics.
	TotalParams    int64 `json:"total_params"`
	TotalLearnable int64 `json:"total_learnable"`
	TotalMACs      int64 `json:"total_macs"`
}

// Summarize lists the layers of n with their shapes, parameters and multiply-adds.
func (n *Net) Summarize() *Summary {
	s := &Summary{Name: n.name}
	id := 0 // the index of the layer's first parameter among the net's
	for i, l := range n.layers {
		typ := n.layerParams[i].GetType()
		ls := LayerSummary{
			Name: n.layerNames[i], Type: typ,
			Bottoms: n.BottomNames(i), Tops: n.TopNames(i),
			TopShapes: [][]int{}, ParamShapes: [][]int{},
		}
		for _, t := range n.tops[i] {
			ls.TopShapes = append(ls.TopShapes, append([]int{}, t.Shape()...))
		}
		for _, p := range l.Params() {
			ls.ParamShapes = append(ls.ParamShapes, append([]int{}, p.Shape()...))
			owner := n.paramOwner[id]
			id++
			if owner >= 0 {
				continue // shared with an earlier layer
			}
			s.TotalParams += int64(p.Count())
			if typ != "BatchNorm" {
				s.TotalLearnable += int64(p.Count())
			}
		}
		ls.MACs = n.macs(i)
		s.TotalMACs += ls.MACs
		s.Layers = append(s.Layers, ls)
	}
	return s
}

func (n *Net) macs(i int) int64 {
	params := n.layers[i].Params()
	if len(params) == 0 || len(n.tops[i]) == 0 {
		return 0
	}
	w := params[0]
	switch n.layerParams[i].GetType() {
	case "Convolution":
		// Each output value is a dot product of (Cin/group)·Kh·Kw weights.
		return int64(n.tops[i][0].Count()) * int64(w.Count()/w.Dim(0))
	case "Deconvolution":
		// Each input value is spread over (Cout/group)·Kh·Kw outputs.
		return int64(n.bottoms[i][0].Count()) * int64(w.Count()/w.Dim(0))
	case "InnerProduct":
		top := n.tops[i][0]
		return int64(top.Count()) * int64(w.Count()/top.Dim(-1))
	}
	return 0
}

// FormatTable renders a summary as an aligned table for the terminal.
func (s *Summary) FormatTable() string {
	rows := [][]string{{"layer", "type", "bottoms → tops", "top shape", "params", "MACs"}}
	for _, l := range s.Layers {
		var shapes []string
		for _, sh := range l.TopShapes {
			shapes = append(shapes, shapeText(sh))
		}
		var params int64
		for _, p := range l.ParamShapes {
			c := int64(1)
			for _, d := range p {
				c *= int64(d)
			}
			params += c
		}
		rows = append(rows, []string{
			l.Name, l.Type,
			strings.Join(l.Bottoms, ",") + " → " + strings.Join(l.Tops, ","),
			strings.Join(shapes, " "),
			blankZero(params), blankZero(l.MACs),
		})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for j, c := range r {
			widths[j] = max(widths[j], len([]rune(c)))
		}
	}
	var b strings.Builder
	for i, r := range rows {
		for j, c := range r {
			pad := widths[j] - len([]rune(c))
			if j >= 4 { // numbers align right
				b.WriteString(strings.Repeat(" ", pad) + c)
			} else {
				b.WriteString(c + strings.Repeat(" ", pad))
			}
			if j < len(r)-1 {
				b.WriteString("  ")
			}
		}
		b.WriteString("\n")
		if i == 0 {
			total := len(widths)*2 - 2
			for _, w := range widths {
				total += w
			}
			b.WriteString(strings.Repeat("-", total) + "\n")
		}
	}
	fmt.Fprintf(&b, "\nTotal parameters: %s (learnable %s)\nTotal multiply-adds: %s (%s)\n",
		commas(s.TotalParams), commas(s.TotalLearnable), commas(s.TotalMACs), humanCount(s.TotalMACs))
	return b.String()
}

func shapeText(shape []int) string {
	if len(shape) == 0 {
		return "scalar"
	}
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return strings.Join(parts, "×")
}

func blankZero(v int64) string {
	if v == 0 {
		return ""
	}
	return commas(v)
}

// commas writes v with thousands separators: 431080 → "431,080".
func commas(v int64) string {
	s := fmt.Sprint(v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func humanCount(v int64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2f G", float64(v)/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", float64(v)/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.2f k", float64(v)/1e3)
	}
	return fmt.Sprint(v)
}
