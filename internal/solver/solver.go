// Package solver trains a net as Caffe's solvers do: SGD with momentum, Nesterov,
// AdaGrad, RMSProp, AdaDelta and Adam, Caffe's learning-rate policies, weight decay,
// gradient clipping, iter_size accumulation, test nets run on a schedule, snapshots
// (.caffemodel and .solverstate) and resuming from them. The log carries Caffe's
// messages in Caffe's number format, so Caffe's log tools read it.
//
// Beyond Caffe, a snapshot also records where every data layer stood and the state
// of the random sources (SolverState field 1000), so that a resumed run continues
// exactly as the uninterrupted run would have.
package solver

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
	"google.golang.org/protobuf/proto"
)

// Action is what the user asked the running solver to do (Caffe's SolverAction),
// through a signal.
type Action int

const (
	// None: go on.
	None Action = iota
	// Stop: stop training (the end-of-training snapshot is still written).
	Stop
	// Snapshot: write a snapshot now and go on.
	Snapshot
)

// ParseAction reads the value of -sigint_effect / -sighup_effect.
func ParseAction(s string) (Action, error) {
	switch s {
	case "stop":
		return Stop, nil
	case "snapshot":
		return Snapshot, nil
	case "none":
		return None, nil
	}
	return None, fmt.Errorf("invalid signal effect %q: want stop, snapshot or none", s)
}

// Options tune a solver beyond its SolverParameter.
type Options struct {
	// Action, if set, is polled after every iteration and between test batches for
	// a request to stop or snapshot.
	Action func() Action
	// OnLoss, if set, is called after every iteration's forward and backward passes
	// with the iteration number and its loss (averaged over iter_size).
	OnLoss func(iter int, loss float32)
	// OnIteration, if set, is called after every iteration's update with the
	// iteration's number (as the display line gives it) and whether its display lines
	// were logged: for progress reports.
	OnIteration func(iter int, displayed bool)
	// ContinueOnNaN trains on through a non-finite loss or parameter, as Caffe does.
	// By default training stops there with a *DivergenceError (--on_nan=stop).
	ContinueOnNaN bool
	// Group, if set, makes the solver one rank of a data-parallel run (see Group).
	Group Group
}

// DivergenceError stops a run whose loss or parameters have become NaN or infinite:
// every later number would be too, and a snapshot would save them.
type DivergenceError struct {
	Iter  int
	What  string             // "the loss is nan", "the parameters are not finite after the update"
	Where *network.NonFinite // the first layer and blob that went non-finite, if found
}

func (e *DivergenceError) Error() string {
	where := ""
	if e.Where != nil {
		where = "; the first non-finite values: " + e.Where.String()
	}
	return fmt.Sprintf("iteration %d: %s: training diverged%s. Stopped without writing a snapshot, so the last one written "+
		"stays the latest: lower base_lr, or set clip_gradients, or give --on_nan=continue to train on as Caffe does", e.Iter, e.What, where)
}

// Solver trains a net.
type Solver struct {
	param    *caffepb.SolverParameter
	kind     string
	opts     Options
	rng      *rng.Source
	net      *network.Net
	testNets []*network.Net

	iter        int
	currentStep int

	// The learnable blobs and their multipliers, and per blob the history the
	// solver type keeps and the scratch its update needs (Caffe's update_ and temp_).
	params    []*blob.Blob
	lrMult    []float32
	decayMult []float32
	history   []*blob.Blob
	update    [][]float32
	temp      [][]float32

	// The smoothed loss of the display lines: a ring of the last average_loss losses.
	losses       []float32
	smoothedLoss float32

	// The speed of the display lines.
	iterTimer      time.Time
	iterationsLast int

	outputs     []output   // the train net's outputs
	testOutputs [][]output // each test net's outputs
	testScore   [][]float32

	requestedEarlyExit bool

	ranks *ranks // the data-parallel run this solver is a rank of; nil alone
}

// output is a net output blob with its name and loss weight, for the log.
type output struct {
	name   string
	blob   *blob.Blob
	weight float32
}

// New builds the solver param describes: its train net and test nets (with the
// weights of param.weights copied in), checked settings and zeroed history. Paths in
// param are relative to the working directory, as in Caffe; snapshot_prefix must
// already be filled in (protofile.ReadSolverText does it).
func New(param *caffepb.SolverParameter, opts Options) (*Solver, error) {
	param = proto.Clone(param).(*caffepb.SolverParameter)
	glog.Infof("Initializing solver from parameters: \n%s", strings.TrimRight(string(protofile.MarshalText(param)), "\n"))
	if err := check(param); err != nil {
		return nil, err
	}
	s := &Solver{param: param, kind: param.GetType(), opts: opts, ranks: newRanks(opts.Group)}
	if s.ranks.waitsForRoot() {
		param.Weights = nil // rank 0's weights come in syncRanks
	} else if err := s.checkSnapshotWritable(); err != nil {
		return nil, err
	}
	// Caffe's Solver::Init: set_random_seed(random_seed + solver_rank), an unsigned
	// int, before the nets are built (one process: rank 0). The train net and then the
	// test nets draw from this one source, as from Caffe's thread-local RNG: fillers
	// and the data layers' seeds while they are built, Dropout masks while training.
	if seed := param.GetRandomSeed(); seed >= 0 {
		s.rng = rng.New(uint32(seed) + uint32(groupRank(opts)))
	} else {
		s.rng = rng.New(uint32(time.Now().UnixNano()) ^ uint32(os.Getpid())*2654435761)
	}
	weights := &weightCache{}
	if err := s.initTrainNet(weights); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.initTestNets(weights); err != nil {
		s.Close()
		return nil, err
	}
	glog.Infof("Solver scaffolding done.")
	s.ranks.warnUnshared(s.net)

	s.params = s.net.Learnable()
	s.lrMult = s.net.LrMult()
	s.decayMult = s.net.DecayMult()
	// The history is as large as the parameters (twice for Adam and AdaDelta): it can
	// be what passes the memory limit.
	if err := blob.Recover(func() {
		s.history = newHistory(s.kind, s.params)
		s.update, s.temp = newScratch(s.kind, param.GetRegularizationType() == "L1", s.params)
	}); err != nil {
		s.Close()
		return nil, fmt.Errorf("the %s solver's history: %w", s.kind, err)
	}
	s.losses = make([]float32, 0, param.GetAverageLoss())
	s.outputs = netOutputs(s.net)
	for _, tn := range s.testNets {
		outs := netOutputs(tn)
		s.testOutputs = append(s.testOutputs, outs)
		n := 0
		for _, o := range outs {
			n += o.blob.Count()
		}
		s.testScore = append(s.testScore, make([]float32, 0, n))
	}
	return s, nil
}

// check refuses settings Caffe refuses, before any work is done.
func check(p *caffepb.SolverParameter) error {
	if p.GetAverageLoss() < 1 {
		return fmt.Errorf("average_loss should be at least 1, got %d", p.GetAverageLoss())
	}
	if p.GetIterSize() < 1 {
		return fmt.Errorf("iter_size should be at least 1, got %d", p.GetIterSize())
	}
	if p.GetDisplay() < 0 || p.GetTestInterval() < 0 || p.GetSnapshot() < 0 {
		return fmt.Errorf("display, test_interval and snapshot must not be negative (got %d, %d, %d)",
			p.GetDisplay(), p.GetTestInterval(), p.GetSnapshot())
	}
	if err := checkType(p); err != nil {
		return err
	}
	return checkPolicy(p)
}

// weightCache reads each weights file once for all the nets that copy it.
type weightCache map[string]*caffepb.NetParameter

func (c *weightCache) load(n *network.Net, list []string) error {
	if *c == nil {
		*c = weightCache{}
	}
	for _, entry := range list {
		paths, err := WeightsList(entry)
		if err != nil {
			return err
		}
		for _, path := range paths {
			glog.Infof("Finetuning from %s", path)
			if strings.HasSuffix(path, ".h5") {
				if err := n.CopyTrainedLayersFromHDF5(path); err != nil {
					return fmt.Errorf("copying weights from %s: %w", path, err)
				}
				continue
			}
			w, ok := (*c)[path]
			if !ok {
				var err error
				if w, err = readWeights(path); err != nil {
					return err
				}
				(*c)[path] = w
			}
			if err := n.CopyTrainedLayersFrom(w); err != nil {
				return fmt.Errorf("copying weights from %s: %w", path, err)
			}
		}
	}
	return nil
}

// WeightsList splits a comma-separated list of weights files (--weights, a solver's
// weights field); an empty entry — a comma too many — is an error, not a file named "".
func WeightsList(list string) ([]string, error) {
	paths := strings.Split(list, ",")
	for i, p := range paths {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("weights %q: the list has an empty entry (entry %d of %d): remove the extra comma", list, i+1, len(paths))
		}
	}
	return paths, nil
}

// readWeights reads a .caffemodel.
func readWeights(path string) (*caffepb.NetParameter, error) {
	w, err := protofile.ReadNetBinary(path)
	if err != nil {
		return nil, fmt.Errorf("reading weights: %w", err)
	}
	return w, nil
}

// initTrainNet builds the train net from whichever of net, net_param, train_net and
// train_net_param the solver gives (exactly one), in the state TRAIN merged with the
// net's own state and then train_state.
func (s *Solver) initTrainNet(weights *weightCache) error {
	p := s.param
	count := 0
	for _, set := range []bool{p.Net != nil, p.NetParam != nil, p.TrainNet != nil, p.TrainNetParam != nil} {
		if set {
			count++
		}
	}
	if count == 0 {
		return errors.New("the solver must specify a train net using one of these fields: net, net_param, train_net, train_net_param")
	}
	if count > 1 {
		return errors.New("the solver must not contain more than one of these fields specifying a train net: net, net_param, train_net, train_net_param")
	}
	var np *caffepb.NetParameter
	var err error
	switch {
	case p.TrainNetParam != nil:
		glog.Infof("Creating training net specified in train_net_param.")
		np, err = upgraded(p.TrainNetParam, "train_net_param")
	case p.TrainNet != nil:
		glog.Infof("Creating training net from train_net file: %s", p.GetTrainNet())
		np, err = protofile.ReadNetText(p.GetTrainNet())
	case p.NetParam != nil:
		glog.Infof("Creating training net specified in net_param.")
		np, err = upgraded(p.NetParam, "net_param")
	default:
		glog.Infof("Creating training net from net file: %s", p.GetNet())
		np, err = protofile.ReadNetText(p.GetNet())
	}
	if err != nil {
		return fmt.Errorf("train net: %w", err)
	}
	state := &caffepb.NetState{Phase: caffepb.Phase_TRAIN.Enum()}
	proto.Merge(state, np.GetState())
	proto.Merge(state, p.GetTrainState())
	np.State = state
	logNetParam(np)
	if s.net, err = network.New(np, network.Options{RNG: s.rng, Share: s.ranks.share()}); err != nil {
		return fmt.Errorf("train net: %w", err)
	}
	if s.net.NumLayers() == 0 {
		return fmt.Errorf("the train net %q has no layers in the TRAIN phase (with its state's level and stages): there is nothing to train", np.GetName())
	}
	if err := weights.load(s.net, p.GetWeights()); err != nil {
		return fmt.Errorf("train net: %w", err)
	}
	return nil
}

// upgraded returns a copy of a net given inside the solver, upgraded from old formats.
func upgraded(np *caffepb.NetParameter, field string) (*caffepb.NetParameter, error) {
	np = proto.Clone(np).(*caffepb.NetParameter)
	if _, err := protofile.UpgradeNet(np, field); err != nil {
		return nil, err
	}
	return np, nil
}

// logNetParam logs the net as Caffe's Net::Init does before building it: the
// layers its state admits.
func logNetParam(np *caffepb.NetParameter) {
	filtered, err := network.Filter(np, np.GetState(), nil)
	if err != nil {
		return // network.New reports it
	}
	glog.InfoDepthf(1, "Initializing net from parameters: \n%s", strings.TrimRight(string(protofile.MarshalText(filtered)), "\n"))
}

// initTestNets builds the test nets: one per test_net_param, one per test_net file,
// then, for the remaining test_iter entries, copies of net or net_param; each in the
// state TEST merged with its own state and its test_state.
func (s *Solver) initTestNets(weights *weightCache) error {
	p := s.param
	generic := 0
	if p.NetParam != nil {
		generic++
	}
	if p.Net != nil {
		generic++
	}
	if generic > 1 {
		return errors.New("the solver may not specify both net_param and net")
	}
	specific := len(p.TestNetParam) + len(p.TestNet)
	if generic > 0 && len(p.TestIter) < specific {
		return fmt.Errorf("test_iter must be specified for each test network: %d test nets, %d test_iter", specific, len(p.TestIter))
	}
	if generic == 0 && len(p.TestIter) != specific {
		return fmt.Errorf("test_iter must be specified for each test network: %d test nets, %d test_iter", specific, len(p.TestIter))
	}
	instances := len(p.TestIter)
	if len(p.TestState) > 0 && len(p.TestState) != instances {
		return fmt.Errorf("test_state must be unspecified or specified once per test net: %d test nets, %d test_state", instances, len(p.TestState))
	}
	if instances > 0 && p.GetTestInterval() <= 0 {
		return fmt.Errorf("test_interval must be positive when there are test nets (%d test_iter given)", instances)
	}
	type source struct {
		what string
		np   *caffepb.NetParameter
		err  error
	}
	var sources []source
	for _, tp := range p.TestNetParam {
		np, err := upgraded(tp, "test_net_param")
		sources = append(sources, source{"test_net_param", np, err})
	}
	for _, f := range p.TestNet {
		np, err := protofile.ReadNetText(f)
		sources = append(sources, source{"test_net file: " + f, np, err})
	}
	for len(sources) < instances {
		if p.NetParam != nil {
			np, err := upgraded(p.NetParam, "net_param")
			sources = append(sources, source{"net_param", np, err})
		} else {
			np, err := protofile.ReadNetText(p.GetNet())
			sources = append(sources, source{"net file: " + p.GetNet(), np, err})
		}
	}
	for i, src := range sources {
		if src.err != nil {
			return fmt.Errorf("test net #%d: %w", i, src.err)
		}
		np := src.np
		state := &caffepb.NetState{Phase: caffepb.Phase_TEST.Enum()}
		proto.Merge(state, np.GetState())
		if len(p.TestState) > 0 {
			proto.Merge(state, p.TestState[i])
		}
		np.State = state
		np.DebugInfo = proto.Bool(p.GetDebugInfo())
		glog.Infof("Creating test net (#%d) specified by %s", i, src.what)
		logNetParam(np)
		tn, err := network.New(np, network.Options{RNG: s.rng})
		if err != nil {
			return fmt.Errorf("test net #%d: %w", i, err)
		}
		s.testNets = append(s.testNets, tn)
		if err := weights.load(tn, p.GetWeights()); err != nil {
			return fmt.Errorf("test net #%d: %w", i, err)
		}
	}
	return nil
}

func netOutputs(n *network.Net) []output {
	var outs []output
	for _, name := range n.Outputs() {
		outs = append(outs, output{name: name, blob: n.Blob(name), weight: n.OutputLossWeight(name)})
	}
	return outs
}

// Net returns the train net.
func (s *Solver) Net() *network.Net { return s.net }

// TestNets returns the test nets.
func (s *Solver) TestNets() []*network.Net { return s.testNets }

// Iter returns the number of updates applied so far.
func (s *Solver) Iter() int { return s.iter }

// Param returns the solver's settings.
func (s *Solver) Param() *caffepb.SolverParameter { return s.param }

// Close releases the nets' resources (databases, prefetchers).
func (s *Solver) Close() error {
	var first error
	if s.net != nil {
		first = s.net.Close()
	}
	for _, tn := range s.testNets {
		if err := tn.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
