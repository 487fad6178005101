// Package layers holds gocaffe's layers: one file per Caffe layer type, each with
// Reshape, Forward and Backward (and Setup, where there is work to do once) side by
// side, and a registry by type name.
//
// A layer reads its bottoms and writes its tops. Shapes are checked in Setup and
// Reshape, so a compute layer's Forward cannot fail; a data layer's can (a corrupt
// record), and that error reaches the user through the net. Backward overwrites the
// bottoms' gradients (in-place layers such as ReLU rely on it) and adds to the
// parameters' gradients, which the solver zeroes once per iteration (that is what
// makes iter_size work).
package layers

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/filler"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Layer is the contract every layer type meets; it is Caffe's, in Go. A layer with
// one-time set-up work also implements Setupper; SetUp runs the two in Caffe's order.
type Layer interface {
	// Reshape checks the bottom shapes and shapes the tops and internal buffers for
	// them: after Setup, and again whenever a bottom may have changed shape.
	Reshape(bottom, top []*blob.Blob) error
	// Forward computes the tops from the bottoms.
	Forward(bottom, top []*blob.Blob) error
	// Backward sets the gradient of each bottom whose propagateDown is true from the
	// tops' gradients, and adds the parameters' gradients.
	Backward(top []*blob.Blob, propagateDown []bool, bottom []*blob.Blob)
	// Params returns the layer's blobs (weights, biases, statistics) in Caffe's order.
	Params() []*blob.Blob
}

// Setupper is implemented by layers with work to do once, before the first Reshape
// (Caffe's LayerSetUp): checking their parameters against the bottoms, creating and
// filling their learnable blobs. A layer whose tops follow from its bottoms alone
// needs none: Reshape does its work.
type Setupper interface {
	Setup(bottom, top []*blob.Blob) error
}

// SetUp sets a layer up for its first bottoms as Caffe's Layer::SetUp does: the
// layer's Setup, if it has one, then Reshape. The net checks the numbers of blobs
// (BlobCounts) before.
func SetUp(l Layer, bottom, top []*blob.Blob) error {
	if s, ok := l.(Setupper); ok {
		if err := s.Setup(bottom, top); err != nil {
			return err
		}
	}
	return l.Reshape(bottom, top)
}

// ParamPropagator is implemented by every layer (embedding base provides it): the
// net says which parameters need a gradient — those with lr_mult 0 do not, unless
// force_backward — and Backward skips computing the others' (Caffe's
// Layer::set_param_propagate_down), so that frozen layers cost no gradient work.
// Their gradients stay as they are: zero, as the solver clears them.
type ParamPropagator interface {
	SetParamPropagateDown(param int, down bool)
}

// Context is what a layer is given by the net it belongs to.
type Context struct {
	// RNG is the net's random source: fillers, dropout masks, stochastic pooling.
	// Layers draw from it on the goroutine that calls Setup and Forward, so that a
	// seeded run repeats exactly.
	RNG *rng.Source
	// Share is the part of the records this process reads in a data-parallel run
	// (gocaffe-mpi); the zero value is all of them.
	Share Share
}

// Share is one rank's part of a data-parallel run's records, as Caffe's
// DataLayer::Skip takes it with several solvers: a TRAIN-phase Data layer of rank
// Rank of Ranks reads records Rank, Rank+Ranks, Rank+2·Ranks, … of its stream (the
// database repeated), so that Ranks processes with batch b read, per iteration,
// exactly the records one process with batch Ranks·b would. TEST-phase layers read
// every record (rank 0 alone tests).
type Share struct {
	Rank, Ranks int
}

// stride is how many records of the stream a layer of phase ph advances per record
// it reads, and offset the first it reads.
func (s Share) stride(ph caffepb.Phase) (offset, stride uint64) {
	if s.Ranks <= 1 || ph != caffepb.Phase_TRAIN {
		return 0, 1
	}
	return uint64(s.Rank), uint64(s.Ranks)
}

// Constructor makes a layer of one type from its parameters. It only records and
// checks the parameters; the work of setting up happens in Setup.
type Constructor func(p *caffepb.LayerParameter, ctx *Context) (Layer, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Constructor{}
)

// Register makes a layer type available under Caffe's type name. It panics if the
// name is taken: two layers of one name are a programming error.
func Register(typeName string, c Constructor) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[typeName]; dup {
		panic("layers: type " + typeName + " registered twice")
	}
	registry[typeName] = c
}

// Registered reports whether a layer type exists.
func Registered(typeName string) bool {
	registryMu.RLock()
	defer registryMu.RUnlock()
	_, ok := registry[typeName]
	return ok
}

// Types lists the registered layer types in alphabetical order.
func Types() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// UnknownTypeError is returned for a layer whose type gocaffe does not have.
type UnknownTypeError struct {
	Layer, Type string
}

func (e *UnknownTypeError) Error() string {
	return fmt.Sprintf("layer %q: unknown layer type %q (known types: %s)",
		e.Layer, e.Type, strings.Join(Types(), ", "))
}

// New makes the layer p describes. The error names the layer.
func New(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	registryMu.RLock()
	c, ok := registry[p.GetType()]
	registryMu.RUnlock()
	if !ok {
		return nil, &UnknownTypeError{Layer: p.GetName(), Type: p.GetType()}
	}
	if ctx == nil {
		ctx = &Context{}
	}
	if ctx.RNG == nil {
		ctx.RNG = rng.New(1701)
	}
	l, err := c(p, ctx)
	if err != nil {
		return nil, fmt.Errorf("layer %q (%s): %w", p.GetName(), p.GetType(), err)
	}
	return l, nil
}

// Any is a number of blobs without a limit, in BlobCounts.
const Any = -1

// BlobCounts says how many bottoms and tops a layer takes. The net checks them
// before Setup, with Caffe's messages.
type BlobCounts struct {
	MinBottom, MaxBottom int // Any for no limit
	MinTop, MaxTop       int // Any for no limit
	// EqualBottomTop requires as many tops as bottoms.
	EqualBottomTop bool
}

// Exactly returns counts of exactly nb bottoms and nt tops.
func Exactly(nb, nt int) BlobCounts { return BlobCounts{nb, nb, nt, nt, false} }

// Counter is implemented by layers that constrain their number of blobs.
type Counter interface {
	BlobCounts() BlobCounts
}

// Check returns an error if the numbers of bottoms and tops break c.
func (c BlobCounts) Check(nBottom, nTop int) error {
	switch {
	case c.MinBottom == c.MaxBottom && c.MinBottom != Any && nBottom != c.MinBottom:
		return fmt.Errorf("takes exactly %d bottom blob(s), got %d", c.MinBottom, nBottom)
	case c.MinBottom != Any && nBottom < c.MinBottom:
		return fmt.Errorf("takes at least %d bottom blob(s), got %d", c.MinBottom, nBottom)
	case c.MaxBottom != Any && nBottom > c.MaxBottom:
		return fmt.Errorf("takes at most %d bottom blob(s), got %d", c.MaxBottom, nBottom)
	case c.MinTop == c.MaxTop && c.MinTop != Any && nTop != c.MinTop:
		return fmt.Errorf("produces exactly %d top blob(s), got %d", c.MinTop, nTop)
	case c.MinTop != Any && nTop < c.MinTop:
		return fmt.Errorf("produces at least %d top blob(s), got %d", c.MinTop, nTop)
	case c.MaxTop != Any && nTop > c.MaxTop:
		return fmt.Errorf("produces at most %d top blob(s), got %d", c.MaxTop, nTop)
	case c.EqualBottomTop && nBottom != nTop:
		return fmt.Errorf("needs as many top blobs as bottom blobs, got %d bottoms and %d tops", nBottom, nTop)
	}
	return nil
}

// AutoTopper is implemented by layers that want the net to create anonymous tops
// when the prototxt names fewer than MinTop (Caffe's AutoTopBlobs).
type AutoTopper interface {
	AutoTopBlobs() bool
}

// BackwardGate is implemented by layers that cannot give a gradient to some bottom
// even when force_backward asks for one (a loss layer's labels).
type BackwardGate interface {
	AllowForceBackward(bottom int) bool
}

// Loss is implemented by loss layers: their first top gets loss_weight 1 unless the
// prototxt says otherwise.
type Loss interface {
	IsLoss()
}

// Closer is implemented by layers that hold resources (a database, a prefetching
// goroutine) to release when the net is done.
type Closer interface {
	Close() error
}

// DataSource is implemented by layers that read records from a database or a file
// list (Data, ImageData). The solver saves their positions in a .solverstate and
// restores them on resume, so that a resumed run reads exactly the records, with
// exactly the random crops and mirrors, that the uninterrupted run would have read —
// which Caffe does not do.
type DataSource interface {
	// Position returns the number of records the net has consumed so far (not the
	// number a prefetcher has read ahead) and the state of the layer's random source
	// as it was before the next batch to be consumed was transformed.
	Position() (consumed uint64, rngState []byte)
	// Seek makes the next batch the net consumes start at record consumed (modulo the
	// number of records) with the random source in rngState. It discards batches
	// prefetched from elsewhere.
	Seek(consumed uint64, rngState []byte) error
}

// base carries what every layer has: its parameters, the net's context and its blobs.
// Layers embed it.
type base struct {
	param *caffepb.LayerParameter
	ctx   *Context
	blobs []*blob.Blob
	// noGrad[i] is set when the net needs no gradient of blobs[i] (see
	// ParamPropagator); a layer used alone computes every gradient.
	noGrad []bool
}

func newBase(p *caffepb.LayerParameter, ctx *Context) base {
	return base{param: p, ctx: ctx}
}

// Params implements Layer.
func (b *base) Params() []*blob.Blob { return b.blobs }

// setWeights creates the learnable blobs of a layer with a weight and an optional
// bias, in Caffe's order, which is also the order their fillers draw in: blobs[0] of
// weightShape filled by wf, then, with bias, blobs[1] of biasN values filled by bf.
// field is the layer's parameter message, for the errors ("embed_param").
func (b *base) setWeights(field string, weightShape []int, wf *caffepb.FillerParameter, bias bool, biasN int, bf *caffepb.FillerParameter) error {
	weight := blob.New(weightShape...)
	if err := filler.Fill(weight, wf, b.ctx.RNG); err != nil {
		return fmt.Errorf("%s.weight_filler: %w", field, err)
	}
	b.blobs = []*blob.Blob{weight}
	if !bias {
		return nil
	}
	bb := blob.New(biasN)
	if err := filler.Fill(bb, bf, b.ctx.RNG); err != nil {
		return fmt.Errorf("%s.bias_filler: %w", field, err)
	}
	b.blobs = append(b.blobs, bb)
	return nil
}

// SetParamPropagateDown implements ParamPropagator.
func (b *base) SetParamPropagateDown(i int, down bool) {
	for len(b.noGrad) <= i {
		b.noGrad = append(b.noGrad, false)
	}
	b.noGrad[i] = !down
}

// paramDown reports whether Backward computes the gradient of the i-th parameter
// (Caffe's param_propagate_down).
func (b *base) paramDown(i int) bool { return i >= len(b.noGrad) || !b.noGrad[i] }

// phase is the phase the layer is built for.
func (b *base) phase() caffepb.Phase { return b.param.GetPhase() }

// lossBase is embedded by loss layers: a scalar top, labels never get a gradient,
// and loss_weight 1 by default.
type lossBase struct{ base }

func (lossBase) IsLoss()                         {}
func (lossBase) AllowForceBackward(i int) bool   { return i != 1 }
func (lossBase) AutoTopBlobs() bool              { return true }
func (lossBase) BlobCounts() BlobCounts          { return BlobCounts{2, 2, 1, 1, false} }
func (l *lossBase) reshapeLoss(top []*blob.Blob) { top[0].Reshape() }
