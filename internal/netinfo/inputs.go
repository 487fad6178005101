package netinfo

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
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
// tops those shapes — so that the net can be built without reading its data.
// A data layer top without a shape gets one from the layer's own parameters where
// they fix it (MemoryData; ImageData with new_height and new_width; a label top: the
// batch size), else from the first record of its source as the layer would read it
// (Data, ImageData), and otherwise an error saying which --shape to give.
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
	case j == 0 && (l.GetType() == "Data" || l.GetType() == "ImageData"):
		// Read the shape off the source, as the layer would.
		shape, err := sourceShape(l)
		if err == nil {
			return shape, nil
		}
		return nil, fmt.Errorf("layer %q (%s) reads its data from %s, which gives no shape (%v): give the shape of its top %q, e.g. --shape=%s=%s",
			l.GetName(), l.GetType(), shortSource(l), err, l.Top[j], l.Top[j], exampleShape(batch, j))
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

// sourceShape is the shape of a data layer's first top as the layer would give it
// from its source: the first record's channels, height and width — decoded when it
// is encoded, in colour or grey as force_color or force_gray ask — cropped to
// crop_size, for a batch. It reads the first record of a Data layer's database, and
// the first image of an ImageData layer's list (which new_height and new_width would
// otherwise fix).
func sourceShape(l *caffepb.LayerParameter) ([]int, error) {
	var c, h, w, batch int
	tp := l.GetTransformParam()
	switch l.GetType() {
	case "Data":
		p := l.GetDataParam()
		batch = int(p.GetBatchSize())
		b, err := db.FromProto(p.GetBackend())
		if err != nil {
			return nil, err
		}
		v, err := db.FirstValue(p.GetSource(), b)
		if err != nil {
			return nil, err
		}
		d := &caffepb.Datum{}
		if err := datum.Unmarshal(v, d); err != nil {
			return nil, fmt.Errorf("%s: the first record is not a Datum: %w", p.GetSource(), err)
		}
		if d.GetEncoded() {
			mode := datum.Native
			switch {
			case tp.GetForceColor():
				mode = datum.Color
			case tp.GetForceGray():
				mode = datum.Gray
			}
			im, err := datum.Image(d, mode)
			if err != nil {
				return nil, fmt.Errorf("%s: the first record: %w", p.GetSource(), err)
			}
			c, h, w = im.Channels, im.Height, im.Width
		} else if c, h, w, err = datum.Shape(d); err != nil {
			return nil, fmt.Errorf("%s: the first record: %w", p.GetSource(), err)
		}
	case "ImageData":
		p := l.GetImageDataParam()
		batch = int(p.GetBatchSize())
		list, err := datum.ReadImageList(p.GetSource())
		if err != nil {
			return nil, err
		}
		if len(list) == 0 {
			return nil, fmt.Errorf("%s lists no images", p.GetSource())
		}
		path := list[0].Path
		if root := p.GetRootFolder(); root != "" {
			path = root + path // Caffe concatenates root_folder and the listed name
		}
		im, err := datum.ReadImage(filepath.FromSlash(path), int(p.GetNewHeight()), int(p.GetNewWidth()), p.GetIsColor())
		if err != nil {
			return nil, fmt.Errorf("the first image of %s: %w", p.GetSource(), err)
		}
		c, h, w = im.Channels, im.Height, im.Width
	default:
		return nil, fmt.Errorf("a %s layer's source gives no shape here", l.GetType())
	}
	if crop := int(tp.GetCropSize()); crop > 0 {
		if h < crop || w < crop {
			return nil, fmt.Errorf("crop_size %d is larger than the %d×%d records", crop, h, w)
		}
		h, w = crop, crop
	}
	return []int{batch, c, h, w}, nil
}

// shortSource is a data layer's source for a message.
func shortSource(l *caffepb.LayerParameter) string {
	for _, s := range []string{l.GetDataParam().GetSource(), l.GetImageDataParam().GetSource()} {
		if s != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}
