package solver

import (
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Group is the set of processes of a data-parallel run (gocaffe-mpi under mpirun;
// internal/mpi's Group). A solver given one (Options.Group) trains as one of its
// ranks, with the semantics of Caffe 1.0's multi-GPU training (tools/caffe.cpp,
// parallel.cpp's NCCL, solver.cpp):
//
//   - every rank builds the whole net, seeding its random source with random_seed +
//     rank; before the first iteration rank 0's weights (initialised, loaded with
//     --weights or restored with --snapshot) and solver state go to every rank;
//   - the train net's Data layers read the rank's share of the records
//     (layers.Share): N ranks with batch b read per iteration the records one
//     process with batch N·b reads;
//   - after backward the gradients are summed over the ranks and scaled by 1/N,
//     and every rank applies the same update to the same weights;
//   - rank 0 alone tests and writes snapshots (with every rank's data position);
//     the loss and outputs it logs are the means over the ranks (Caffe logs rank
//     0's own), so that the log reads as that of one process with batch N·b;
//   - a stop or snapshot requested on any rank (Options.Action) is carried to all
//     with the gradients, and all act on it after the same iteration.
//
// Solve, Step, Snapshot and Restore are then collective: every rank calls them, in
// the same order. A Group's methods are too: every rank calls them in the same order
// with buffers of the same length; an error means the run cannot go on.
type Group interface {
	// Rank is this process's rank; rank 0 logs, tests and snapshots.
	Rank() int
	// Size is the number of ranks.
	Size() int
	// AllreduceSum replaces buf on every rank by the element-wise sum of every rank's
	// buf, summed in an order that depends on Size alone, the same bits on every rank.
	AllreduceSum(buf []float32) error
	// Broadcast copies rank 0's buf into every rank's.
	Broadcast(buf []float32) error
	// BroadcastBytes returns rank 0's b on every rank.
	BroadcastBytes(b []byte) ([]byte, error)
	// GatherBytes returns every rank's b, in rank order, on rank 0 (nil elsewhere).
	GatherBytes(b []byte) ([][]byte, error)
}

// Requests carried with the gradients, as counts of the ranks that made them.
const (
	requestStop = 1 << iota
	requestSnapshot
)

// ranks is what a solver keeps of the data-parallel run it is a rank of.
type ranks struct {
	g          Group
	rank, size int
	buf        []float32 // gradients, train net outputs, loss, requests

	pending int    // requests made on this rank, not yet sent to the others
	agreed  Action // what every rank does after this iteration's update

	synced   bool
	restored *caffepb.GocaffeResumeState             // rank 0: the state Restore read
	gathered []*caffepb.GocaffeResumeState_RankState // rank 0, while it snapshots
}

func newRanks(g Group) *ranks {
	if g == nil {
		return nil
	}
	return &ranks{g: g, rank: g.Rank(), size: g.Size()}
}

// groupRank is the rank a solver with options opts is (0 alone).
func groupRank(opts Options) int {
	if opts.Group == nil {
		return 0
	}
	return opts.Group.Rank()
}

// share is the part of the training records this rank reads.
func (p *ranks) share() layers.Share {
	if p == nil {
		return layers.Share{}
	}
	return layers.Share{Rank: p.rank, Ranks: p.size}
}

// isRoot reports whether this solver tests, logs and snapshots: alone, or rank 0.
func (p *ranks) isRoot() bool { return p == nil || p.rank == 0 }

// waitsForRoot reports whether this rank takes its state from rank 0 rather than
// from files (Restore).
func (p *ranks) waitsForRoot() bool { return p != nil && p.rank != 0 }

// stopPending reports whether a stop has been requested on this rank and not yet
// carried to the others: a test under way on rank 0 ends early, and the run stops
// after the next iteration's update.
func (p *ranks) stopPending() bool { return p != nil && p.pending&requestStop != 0 }

// poll moves the requests made on this rank (signals) into pending.
func (p *ranks) poll(action func() Action) {
	if action == nil {
		return
	}
	for a := action(); a != None; a = action() {
		switch a {
		case Stop:
			p.pending |= requestStop
		case Snapshot:
			p.pending |= requestSnapshot
		}
	}
}

// takeAgreed returns, once, what every rank was asked to do after this iteration,
// and records any new request of this rank for the next.
func (p *ranks) takeAgreed(action func() Action) Action {
	p.poll(action)
	a := p.agreed
	p.agreed = None
	return a
}

// warnUnshared warns of the train net's data layers that read every record on
// every rank: only Data layers split the records among the ranks.
func (p *ranks) warnUnshared(n *network.Net) {
	if p == nil || p.size == 1 {
		return
	}
	for i := 0; i < n.NumLayers(); i++ {
		switch t := n.LayerParam(i).GetType(); t {
		case "ImageData", "HDF5Data", "WindowData":
			glog.Warningf("Layer %s (%s) reads the same records on every one of the %d ranks: only Data layers share them out", n.LayerName(i), t, p.size)
		}
	}
}

// reduceGradients sums the gradients, the train net's outputs, the loss and the
// requests of every rank (Caffe's NCCL::on_gradients_ready: an allreduce, then
// caffe_scal by 1/solver_count) and returns the loss averaged over the ranks. The
// train net's output blobs get the averaged outputs, for the display lines.
func (s *Solver) reduceGradients(loss float32) (float32, error) {
	p := s.ranks
	if p == nil {
		return loss, nil
	}
	p.poll(s.opts.Action)
	n := 0
	for _, b := range s.params {
		n += b.Count()
	}
	for _, o := range s.outputs {
		n += o.blob.Count()
	}
	if cap(p.buf) < n+3 {
		p.buf = make([]float32, n+3)
	}
	buf := p.buf[:n+3]
	off := 0
	for _, b := range s.params {
		off += copy(buf[off:], b.Diff)
	}
	for _, o := range s.outputs {
		off += copy(buf[off:], o.blob.Data)
	}
	buf[off] = loss
	buf[off+1], buf[off+2] = 0, 0
	if p.pending&requestStop != 0 {
		buf[off+1] = 1
	}
	if p.pending&requestSnapshot != 0 {
		buf[off+2] = 1
	}
	p.pending = 0
	if err := p.g.AllreduceSum(buf); err != nil {
		return 0, fmt.Errorf("iteration %d: summing the gradients of the %d ranks: %w", s.iter, p.size, err)
	}
	blas.Scal(1/float32(p.size), buf[:off+1])
	off = 0
	for _, b := range s.params {
		off += copy(b.Diff, buf[off:])
	}
	for _, o := range s.outputs {
		off += copy(o.blob.Data, buf[off:])
	}
	switch {
	case buf[off+1] > 0:
		p.agreed = Stop
	case buf[off+2] > 0:
		p.agreed = Snapshot
	default:
		p.agreed = None
	}
	return buf[off], nil
}

// reduceLoss returns the mean over the ranks of loss (the last display line).
func (s *Solver) reduceLoss(loss float32) (float32, error) {
	p := s.ranks
	if p == nil {
		return loss, nil
	}
	v := []float32{loss}
	if err := p.g.AllreduceSum(v); err != nil {
		return 0, fmt.Errorf("iteration %d: summing the loss of the %d ranks: %w", s.iter, p.size, err)
	}
	blas.Scal(1/float32(p.size), v)
	return v[0], nil
}

// syncRanks, before the first iteration, gives every rank rank 0's weights, solver
// history, iteration and learning-rate step, and, after a resume, its own data
// positions and random source from the snapshot. The ranks must train nets with the
// same learnable blobs: a difference is an error.
func (s *Solver) syncRanks() error {
	p := s.ranks
	if p == nil || p.synced {
		return nil
	}
	p.synced = true
	n := 0
	for _, b := range s.params {
		n += b.Count()
	}
	for _, h := range s.history {
		n += h.Count()
	}
	var hdr []byte
	if p.rank == 0 {
		st, err := proto.Marshal(&caffepb.SolverState{
			Iter:          proto.Int32(int32(s.iter)),
			CurrentStep:   proto.Int32(int32(s.currentStep)),
			GocaffeResume: p.restored,
		})
		if err != nil {
			return err
		}
		hdr = binary.LittleEndian.AppendUint64(nil, uint64(n))
		hdr = append(hdr, st...)
	}
	hdr, err := p.g.BroadcastBytes(hdr)
	if err != nil {
		return fmt.Errorf("starting the %d ranks: %w", p.size, err)
	}
	if len(hdr) < 8 {
		return fmt.Errorf("starting the %d ranks: rank 0 sent %d bytes of state", p.size, len(hdr))
	}
	if root := int(binary.LittleEndian.Uint64(hdr)); root != n {
		return fmt.Errorf("starting the %d ranks: rank %d's net has %d learnable values and history values, rank 0's %d: every rank must train the same net with the same solver type",
			p.size, p.rank, n, root)
	}
	values := make([]float32, n)
	off := 0
	if p.rank == 0 {
		for _, b := range s.params {
			off += copy(values[off:], b.Data)
		}
		for _, h := range s.history {
			off += copy(values[off:], h.Data)
		}
	}
	if err := p.g.Broadcast(values); err != nil {
		return fmt.Errorf("starting the %d ranks: rank 0's weights: %w", p.size, err)
	}
	if p.rank == 0 {
		glog.Infof("Rank 0's weights and solver state went to the other %d ranks", p.size-1)
		return nil
	}
	for _, b := range s.params {
		off += copy(b.Data, values[off:])
	}
	for _, h := range s.history {
		off += copy(h.Data, values[off:])
	}
	st := &caffepb.SolverState{}
	if err := proto.Unmarshal(hdr[8:], st); err != nil {
		return fmt.Errorf("starting the %d ranks: rank 0's state: %w", p.size, err)
	}
	s.iter, s.currentStep = int(st.GetIter()), int(st.GetCurrentStep())
	if r := st.GetGocaffeResume(); r != nil {
		for _, rs := range r.RankState {
			if int(rs.GetRank()) == p.rank {
				return s.restoreRankState(rs)
			}
		}
		return fmt.Errorf("the snapshot holds no state for rank %d", p.rank)
	}
	return nil
}

// restoreRankState puts this rank's train net data layers and random source where
// the snapshot found them.
func (s *Solver) restoreRankState(rs *caffepb.GocaffeResumeState_RankState) error {
	if err := s.rng.UnmarshalBinary(rs.GetRngState()); err != nil {
		return fmt.Errorf("rank %d's random source: %w", s.ranks.rank, err)
	}
	saved := map[string]*caffepb.GocaffeResumeState_DataLayerPosition{}
	for _, dp := range rs.DataPosition {
		saved[dp.GetLayer()] = dp
	}
	for i := 0; i < s.net.NumLayers(); i++ {
		ds, ok := s.net.Layer(i).(layers.DataSource)
		if !ok {
			continue
		}
		dp, ok := saved[s.net.LayerName(i)]
		if !ok {
			return fmt.Errorf("the snapshot holds no position of rank %d's data layer %s", s.ranks.rank, s.net.LayerName(i))
		}
		if err := ds.Seek(dp.GetConsumed(), dp.GetRngState()); err != nil {
			return fmt.Errorf("rank %d's data layer %s: %w", s.ranks.rank, s.net.LayerName(i), err)
		}
	}
	return nil
}

// checkRanks refuses to resume a run of another number of ranks than it was saved
// with: each rank's position is one in its own share of the records. Rank 0 keeps
// the state, to hand the other ranks theirs.
func (s *Solver) checkRanks(r *caffepb.GocaffeResumeState) error {
	saved, size := max(int(r.GetRanks()), 1), 1
	if s.ranks != nil {
		size = s.ranks.size
	}
	if saved != size {
		return fmt.Errorf("the snapshot was made by a run of %d rank(s) and this run has %d: the data positions it holds are those of %d shares of the records, so it resumes only with as many (mpirun -np %d); "+
			"to go on with %d, start afresh from its .caffemodel with --weights (the solver's history is lost)", saved, size, saved, saved, size)
	}
	if len(r.RankState) != saved-1 {
		return fmt.Errorf("the snapshot of a run of %d ranks holds the states of %d ranks besides rank 0", saved, len(r.RankState))
	}
	if s.ranks != nil {
		s.ranks.restored = r
	}
	return nil
}

// gatherRankStates starts a snapshot of a data-parallel run: every rank sends rank
// 0 its train net's data positions and random source. It returns done on the ranks
// that have nothing more to do (all but rank 0) and on error.
func (s *Solver) gatherRankStates() (done bool, err error) {
	p := s.ranks
	if p == nil {
		return false, nil
	}
	own := &caffepb.GocaffeResumeState_RankState{Rank: proto.Int32(int32(p.rank))}
	if own.RngState, err = s.rng.MarshalBinary(); err != nil {
		return true, err
	}
	for i := 0; i < s.net.NumLayers(); i++ {
		if ds, ok := s.net.Layer(i).(layers.DataSource); ok {
			consumed, rngState := ds.Position()
			own.DataPosition = append(own.DataPosition, &caffepb.GocaffeResumeState_DataLayerPosition{
				Net: proto.String("train"), Layer: proto.String(s.net.LayerName(i)),
				Consumed: proto.Uint64(consumed), RngState: rngState,
			})
		}
	}
	b, err := proto.Marshal(own)
	if err != nil {
		return true, err
	}
	all, err := p.g.GatherBytes(b)
	if err != nil {
		return true, fmt.Errorf("snapshot: gathering the ranks' data positions: %w", err)
	}
	if p.rank != 0 {
		return true, nil
	}
	p.gathered = p.gathered[:0]
	for r, b := range all[1:] {
		rs := &caffepb.GocaffeResumeState_RankState{}
		if err := proto.Unmarshal(b, rs); err != nil {
			return true, fmt.Errorf("snapshot: rank %d's data positions: %w", r+1, err)
		}
		p.gathered = append(p.gathered, rs)
	}
	return false, nil
}

// addRankStates adds the number of ranks and the other ranks' states to the resume
// state of a snapshot rank 0 writes.
func (p *ranks) addRankStates(r *caffepb.GocaffeResumeState) {
	if p == nil {
		return
	}
	r.Ranks = proto.Int32(int32(p.size))
	r.RankState = append([]*caffepb.GocaffeResumeState_RankState(nil), p.gathered...)
}
