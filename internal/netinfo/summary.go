// Package netinfo looks at a net rather than running it: a summary of a built net
// (shapes, parameters, multiply-adds, memory) as a table, a Graphviz drawing of a
// prototxt as Caffe's draw_net.py makes it, and a prototxt's data layers turned into
// Input layers, so that a net can be built for such a look without its data. The
// package that runs nets (internal/network) needs none of it.
package netinfo

import (
	"fmt"
	"strings"

	"github.com/gocaffe/gocaffe/internal/network"
)

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
	// ParamBytes is the memory of the layer's parameter blobs (float32), TopBytes of
	// its top blobs, an in-place top counted again as Caffe counts it.
	ParamBytes int64 `json:"param_bytes"`
	TopBytes   int64 `json:"top_bytes"`
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
	// ParamBytes is the memory of the parameters (a shared blob once);
	// ActivationBytes the sum of the layers' TopBytes — Caffe's "Memory required for
	// data" for the same net.
	ParamBytes      int64 `json:"param_bytes"`
	ActivationBytes int64 `json:"activation_bytes"`
}

// Summarize lists the layers of n with their shapes, parameters and multiply-adds.
func Summarize(n *network.Net) *Summary {
	s := &Summary{Name: n.Name()}
	for i := range n.NumLayers() {
		typ := n.LayerParam(i).GetType()
		ls := LayerSummary{
			Name: n.LayerName(i), Type: typ,
			Bottoms: n.BottomNames(i), Tops: n.TopNames(i),
			TopShapes: [][]int{}, ParamShapes: [][]int{},
		}
		for _, t := range n.Tops(i) {
			ls.TopShapes = append(ls.TopShapes, append([]int{}, t.Shape()...))
			ls.TopBytes += 4 * int64(t.Count())
		}
		s.ActivationBytes += ls.TopBytes
		for j, p := range n.Layer(i).Params() {
			ls.ParamShapes = append(ls.ParamShapes, append([]int{}, p.Shape()...))
			ls.ParamBytes += 4 * int64(p.Count())
			if n.SharesParam(i, j) {
				continue // counted with the layer that owns it
			}
			s.TotalParams += int64(p.Count())
			if typ != "BatchNorm" {
				s.TotalLearnable += int64(p.Count())
			}
		}
		ls.MACs = LayerMACs(n, i)
		s.TotalMACs += ls.MACs
		s.Layers = append(s.Layers, ls)
	}
	s.ParamBytes = 4 * s.TotalParams
	return s
}

// HideSplits removes the Split layers Caffe inserts from the summary's rows and names
// each blob a split fed by the blob it copies, so that the rows read as the prototxt
// does. The totals stay those of the net built (Caffe counts the splits' tops in its
// memory figure too).
func (s *Summary) HideSplits() {
	source := map[string]string{}
	kept := s.Layers[:0]
	for _, l := range s.Layers {
		if l.Type == "Split" && len(l.Bottoms) == 1 {
			for _, t := range l.Tops {
				source[t] = l.Bottoms[0]
			}
			continue
		}
		for i, b := range l.Bottoms {
			if src, ok := source[b]; ok {
				l.Bottoms[i] = src
			}
		}
		kept = append(kept, l)
	}
	s.Layers = kept
}

// LayerMACs returns the multiply-adds of layer i's forward pass, counted for the
// layers that multiply matrices (convolutions and inner products; 0 for the rest).
func LayerMACs(n *network.Net, i int) int64 {
	params, tops := n.Layer(i).Params(), n.Tops(i)
	if len(params) == 0 || len(tops) == 0 {
		return 0
	}
	w := params[0]
	switch n.LayerParam(i).GetType() {
	case "Convolution":
		// Each output value is a dot product of (Cin/group)·Kh·Kw weights.
		return int64(tops[0].Count()) * int64(w.Count()/w.Dim(0))
	case "Deconvolution":
		// Each input value is spread over (Cout/group)·Kh·Kw outputs.
		return int64(n.Bottoms(i)[0].Count()) * int64(w.Count()/w.Dim(0))
	case "InnerProduct":
		return int64(tops[0].Count()) * int64(w.Count()/tops[0].Dim(-1))
	}
	return 0
}

// FormatTable renders a summary as an aligned table for the terminal, as wide as
// its cells make it.
func (s *Summary) FormatTable() string { return s.Table(TableOptions{}) }

// TableOptions shape a summary's table.
type TableOptions struct {
	// Width, if positive, is the width to fit the table in, by shortening the
	// bottoms → tops column (to no less than 16 columns) and nothing else.
	Width int
}

// Table renders a summary as an aligned table: one row per layer — name, type,
// bottoms → tops, top shapes, parameters, their memory, the tops' memory and the
// multiply-adds — and the totals.
func (s *Summary) Table(opts TableOptions) string {
	const arrowCol = 2
	type row struct {
		cells         []string
		bottoms, tops string
	}
	rows := []row{{cells: []string{"layer", "type", "bottoms → tops", "top shape", "params", "param MB", "top MB", "MACs"}}}
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
		r := row{bottoms: strings.Join(l.Bottoms, ","), tops: strings.Join(l.Tops, ",")}
		r.cells = []string{
			l.Name, l.Type, strings.TrimSpace(r.bottoms + " → " + r.tops),
			strings.Join(shapes, " "),
			blankZero(params), megabytes(l.ParamBytes), megabytes(l.TopBytes), blankZero(l.MACs),
		}
		rows = append(rows, r)
	}
	widths := make([]int, len(rows[0].cells))
	for _, r := range rows {
		for j, c := range r.cells {
			widths[j] = max(widths[j], len([]rune(c)))
		}
	}
	total := func() int {
		t := 2 * (len(widths) - 1)
		for _, w := range widths {
			t += w
		}
		return t
	}
	if opts.Width > 0 && total() > opts.Width {
		widths[arrowCol] = max(16, widths[arrowCol]-(total()-opts.Width))
		for i := 1; i < len(rows); i++ {
			rows[i].cells[arrowCol] = shortenArrow(rows[i].bottoms, rows[i].tops, widths[arrowCol])
		}
	}
	var b strings.Builder
	for i, r := range rows {
		var line strings.Builder
		for j, c := range r.cells {
			pad := widths[j] - len([]rune(c))
			if j >= 4 { // numbers align right
				line.WriteString(strings.Repeat(" ", pad) + c)
			} else {
				line.WriteString(c + strings.Repeat(" ", pad))
			}
			if j < len(r.cells)-1 {
				line.WriteString("  ")
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
		if i == 0 {
			b.WriteString(strings.Repeat("-", total()) + "\n")
		}
	}
	fmt.Fprintf(&b, "\nTotal parameters: %s (learnable %s)\nTotal multiply-adds: %s (%s)\n",
		commas(s.TotalParams), commas(s.TotalLearnable), commas(s.TotalMACs), humanCount(s.TotalMACs))
	fmt.Fprintf(&b, "Parameter memory: %s MB\nActivation memory: %s MB (the top blobs, in-place ones again, as Caffe's \"Memory required for data\" counts them)\n",
		megabytes(s.ParamBytes), megabytes(s.ActivationBytes))
	return b.String()
}

// shortenArrow writes "bottoms → tops" in at most width runes, cutting the bottoms
// and, past half the width, the tops, each with an ellipsis.
func shortenArrow(bottoms, tops string, width int) string {
	full := strings.TrimSpace(bottoms + " → " + tops)
	if len([]rune(full)) <= width {
		return full
	}
	room := width - 3 // " → "
	t := min(len([]rune(tops)), max(room/2, room-len([]rune(bottoms))))
	return ellipsis(bottoms, room-t) + " → " + ellipsis(tops, t)
}

// ellipsis cuts s to n runes, the last an ellipsis when it is cut.
func ellipsis(s string, n int) string {
	r := []rune(s)
	switch {
	case len(r) <= n:
		return s
	case n <= 0:
		return ""
	}
	return string(r[:n-1]) + "…"
}

// megabytes writes a number of bytes in MB (10⁶ bytes) with two decimals, "<0.01"
// for less than that but not none, and nothing for none.
func megabytes(b int64) string {
	switch {
	case b == 0:
		return ""
	case b < 5000:
		return "<0.01"
	}
	return fmt.Sprintf("%.2f", float64(b)/1e6)
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
