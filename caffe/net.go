// Package caffe is gocaffe's Go API: load a Caffe net from its prototxt and weights,
// fill its input blobs, run it forward (and backward), read any blob by name, and train
// with a Solver — what pycaffe's caffe.Net and caffe.SGDSolver, and Caffe's C++ Net,
// give a Python or C++ program.
//
// A Net reads the files Caffe reads (net prototxt, old V0/V1 nets upgraded on load, and
// .caffemodel weights) and computes what Caffe computes. Blobs are float32 arrays in
// Caffe's (N, C, H, W) row-major order; their Data and Diff slices are the net's own
// storage, so writing into an input blob's Data is how a program feeds the net.
//
// The package logs as Caffe does (glog's layout, on standard error); Quiet turns the
// information lines off.
package caffe

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Phase is the phase a net is built for: it decides which layers a prototxt's
// include/exclude rules keep, and how layers such as Dropout and the data layers behave.
type Phase int

// The two phases, as in Caffe.
const (
	// Test is the phase of deploy nets and of scoring (pycaffe's caffe.TEST).
	Test Phase = iota
	// Train is the phase of training (pycaffe's caffe.TRAIN).
	Train
)

// String returns the phase as Caffe writes it: TRAIN or TEST.
func (p Phase) String() string {
	if p == Train {
		return "TRAIN"
	}
	return "TEST"
}

func (p Phase) proto() caffepb.Phase {
	if p == Train {
		return caffepb.Phase_TRAIN
	}
	return caffepb.Phase_TEST
}

// Quiet turns Caffe's information lines (the net construction log, the solver's
// progress) off when q is true, and back on when it is false; warnings and errors
// still print. It returns the previous setting.
func Quiet(q bool) bool { return glog.SetQuiet(q) }

// Options say how a net is built.
type Options struct {
	// Phase is Test (the zero value) or Train.
	Phase Phase
	// Level and Stages are the NetState's level and stages, which a prototxt's rules
	// may test.
	Level  int
	Stages []string
	// Weights are .caffemodel files copied into the net after it is built, in order,
	// by layer name (layers the net lacks are skipped, as in Caffe).
	Weights []string
}

// Net is a built network. Its methods are not safe for concurrent use.
type Net struct {
	n *network.Net
}

// LoadNet reads a net prototxt (upgrading old formats), builds it as opts says and
// copies opts.Weights into it: pycaffe's caffe.Net(model, weights, phase).
func LoadNet(model string, opts Options) (*Net, error) {
	return fromFile(model, protofile.ReadNetText, func(p *caffepb.NetParameter) (*Net, error) { return NewNet(p, opts) })
}

// fromFile reads the prototxt at path with read and builds from it with build; the
// errors of build name the file, those of read already do.
func fromFile[P, T any](path string, read func(string) (P, error), build func(P) (T, error)) (T, error) {
	param, err := read(path)
	if err != nil {
		var zero T
		return zero, err
	}
	v, err := build(param)
	if err != nil {
		return v, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// NewNet builds the net a NetParameter describes (already upgraded to the current
// format, as protofile.ReadNetText returns it); param is not modified.
func NewNet(param *caffepb.NetParameter, opts Options) (*Net, error) {
	param = proto.Clone(param).(*caffepb.NetParameter)
	param.State = &caffepb.NetState{
		Phase: opts.Phase.proto().Enum(),
		Level: proto.Int32(int32(opts.Level)),
		Stage: append([]string(nil), opts.Stages...),
	}
	n, err := network.New(param, network.Options{})
	if err != nil {
		return nil, err
	}
	out := &Net{n: n}
	for _, w := range opts.Weights {
		if err := out.CopyFrom(w); err != nil {
			n.Close()
			return nil, err
		}
	}
	return out, nil
}

// CopyFrom copies the weights of a .caffemodel file into the layers of the same name,
// checking their shapes (Caffe's CopyTrainedLayersFrom).
func (n *Net) CopyFrom(weights string) error { return n.n.CopyTrainedLayersFromFile(weights) }

// Save writes the net's weights to a .caffemodel file that Caffe reads.
func (n *Net) Save(path string) error {
	return protofile.WriteBinary(path, n.n.ToProto(false))
}

// Close releases what the net's layers hold (open databases, prefetching goroutines).
func (n *Net) Close() error { return n.n.Close() }

// Name is the net's name in its prototxt.
func (n *Net) Name() string { return n.n.Name() }

// Phase is the phase the net was built for.
func (n *Net) Phase() Phase {
	if n.n.Phase() == caffepb.Phase_TRAIN {
		return Train
	}
	return Test
}

// Forward runs every layer forward and returns the loss (zero for a net without loss
// layers). A data layer's failure to read (a corrupt record) is returned.
func (n *Net) Forward() (float32, error) { return n.n.Forward() }

// Backward runs every layer that needs it backward, from the loss to the inputs: the
// parameters' Diff then holds the loss's gradient (added to what they held, as in
// Caffe; ClearParamDiffs zeroes them).
func (n *Net) Backward() { n.n.Backward() }

// ForwardBackward runs Forward then Backward and returns the loss.
func (n *Net) ForwardBackward() (float32, error) { return n.n.ForwardBackward() }

// ClearParamDiffs zeroes the gradients of the learnable parameters.
func (n *Net) ClearParamDiffs() { n.n.ClearParamDiffs() }

// Reshape propagates new input shapes through the net: call it after reshaping an
// input blob and before filling it (its Data may have been reallocated).
func (n *Net) Reshape() error { return n.n.Reshape() }

// Blob returns the blob of the given name, or nil when the net has none.
func (n *Net) Blob(name string) *Blob {
	b := n.n.Blob(name)
	if b == nil {
		return nil
	}
	return &Blob{b: b, name: name}
}

// MustBlob is Blob for names known to exist: it returns an error naming the blob and
// the net's blobs when there is none.
func (n *Net) MustBlob(name string) (*Blob, error) {
	if b := n.Blob(name); b != nil {
		return b, nil
	}
	return nil, fmt.Errorf("net %q has no blob %q (its blobs: %s)", n.Name(), name, strings.Join(n.BlobNames(), ", "))
}

// BlobNames lists the net's named blobs in the order the layers make them.
func (n *Net) BlobNames() []string {
	var out []string
	for _, name := range n.n.BlobNames() {
		if name != "(automatic)" {
			out = append(out, name)
		}
	}
	return out
}

// Inputs lists the blobs the net's Input layers produce, which a program fills.
func (n *Net) Inputs() []string { return n.n.Inputs() }

// Outputs lists the blobs no layer reads, sorted by name, as Caffe lists them.
func (n *Net) Outputs() []string { return n.n.Outputs() }

// LayerNames lists the layers in the order they run (Split layers included).
func (n *Net) LayerNames() []string {
	out := make([]string, n.n.NumLayers())
	for i := range out {
		out[i] = n.n.LayerName(i)
	}
	return out
}

// LayerType returns the type of the named layer ("Convolution", ...), or "" when the
// net has no such layer.
func (n *Net) LayerType(layer string) string {
	i := n.n.LayerIndex(layer)
	if i < 0 {
		return ""
	}
	return n.n.LayerParam(i).GetType()
}

// Params returns the parameter blobs of the named layer (weights, then bias, in
// Caffe's order: pycaffe's net.params[layer]), or nil when it has none.
func (n *Net) Params(layer string) []*Blob {
	i := n.n.LayerIndex(layer)
	if i < 0 {
		return nil
	}
	var out []*Blob
	for j, b := range n.n.Layer(i).Params() {
		out = append(out, &Blob{b: b, name: fmt.Sprintf("%s/%d", layer, j)})
	}
	return out
}

// Blob is an N-D array of float32 values and their gradients, shared with the net.
type Blob struct {
	b    *blob.Blob
	name string
}

// Name is the blob's name in the net.
func (b *Blob) Name() string { return b.name }

// Shape returns the blob's dimensions, outermost first. The slice is a copy.
func (b *Blob) Shape() []int { return append([]int(nil), b.b.Shape()...) }

// Count is the number of values: the product of the dimensions.
func (b *Blob) Count() int { return b.b.Count() }

// Data returns the blob's values, in row-major order. The slice is the net's storage:
// writes reach the net. It stays valid until the blob is reshaped.
func (b *Blob) Data() []float32 { return b.b.Data }

// Diff returns the blob's gradient, shaped as Data.
func (b *Blob) Diff() []float32 { return b.b.Diff }

// Reshape gives the blob a new shape (an input blob, before Net.Reshape). Values are
// kept only when the number of values does not grow.
func (b *Blob) Reshape(shape ...int) error {
	if len(shape) > blob.MaxAxes {
		return fmt.Errorf("blob %q: %d axes, at most %d", b.name, len(shape), blob.MaxAxes)
	}
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("blob %q: shape %v has a negative dimension", b.name, shape)
		}
	}
	b.b.Reshape(shape...)
	return nil
}
