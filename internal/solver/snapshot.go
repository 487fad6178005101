package solver

import (
	"errors"
	"fmt"
	"iter"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/io/staging"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/numerics"
	"github.com/gocaffe/gocaffe/internal/network"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// SnapshotFilename returns the name of the snapshot file with the given extension
// for the current iteration: <snapshot_prefix>_iter_<iter><ext>.
func (s *Solver) SnapshotFilename(ext string) string {
	return s.param.GetSnapshotPrefix() + "_iter_" + strconv.Itoa(s.iter) + ext
}

// checkSnapshotWritable makes sure, before training starts, that the snapshots
// training will write can be written, as Caffe's CheckSnapshotWritePermissions does
// (Caffe checks only when snapshot is set; the snapshot after training needs the
// same place, so gocaffe checks for it too).
func (s *Solver) checkSnapshotWritable() error {
	prefix := s.param.GetSnapshotPrefix()
	if s.param.SnapshotPrefix != nil && prefix != "" {
		// The staging files of snapshots a killed run was writing: nobody else's.
		staging.CleanGlob(staging.Folder(prefix+"_iter_0"), globQuote(filepath.Base(prefix+"_iter_"))+"*")
	}
	if s.param.GetSnapshot() == 0 && !s.param.GetSnapshotAfterTrain() {
		return nil
	}
	if s.param.SnapshotPrefix == nil || prefix == "" {
		return errors.New("snapshot_prefix is not set: the solver writes snapshots but has no place to write them")
	}
	f, err := staging.CreateFile(prefix + "_iter_0.tempfile")
	if err != nil {
		return fmt.Errorf("cannot write to snapshot prefix '%s'. Make sure that the directory exists and is writeable: %w", prefix, err)
	}
	f.Abort()
	return nil
}

// globQuote escapes the characters filepath.Match gives a meaning to.
func globQuote(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune(`*?[]\\`, c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Snapshot writes the train net's weights to <prefix>_iter_<N>.caffemodel and the
// solver's state to <prefix>_iter_<N>.solverstate, each through a temporary file
// renamed into place (.caffemodel.h5 and .solverstate.h5 with snapshot_format: HDF5).
func (s *Solver) Snapshot() error {
	if done, err := s.gatherRankStates(); done {
		return err
	}
	if s.param.GetSnapshotFormat() == caffepb.SolverParameter_HDF5 {
		return s.snapshotHDF5()
	}
	model := s.SnapshotFilename(".caffemodel")
	glog.Infof("Snapshotting to binary proto file %s", model)
	if err := protofile.WriteBinary(model, s.net.ToProto(s.param.GetSnapshotDiff())); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	state, err := s.State(model)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	path := s.SnapshotFilename(".solverstate")
	glog.Infof("Snapshotting solver state to binary proto file %s", path)
	if err := protofile.WriteBinary(path, state); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return nil
}

// State returns the solver's state as a .solverstate holds it: the iteration, the
// name of the weights file, the multistep position and the history blobs (Caffe's
// fields), and where the data layers and random sources stand (gocaffe's).
func (s *Solver) State(learnedNet string) (*caffepb.SolverState, error) {
	st := &caffepb.SolverState{
		Iter:        proto.Int32(int32(s.iter)),
		LearnedNet:  proto.String(learnedNet),
		CurrentStep: proto.Int32(int32(s.currentStep)),
	}
	for _, h := range s.history {
		st.History = append(st.History, h.ToProto(false))
	}
	resume := &caffepb.GocaffeResumeState{Numerics: proto.String(numerics.Get().String())}
	var err error
	if resume.RngState, err = s.rng.MarshalBinary(); err != nil {
		return nil, err
	}
	for name, n := range s.nets() {
		for i := 0; i < n.NumLayers(); i++ {
			ds, ok := n.Layer(i).(layers.DataSource)
			if !ok {
				continue
			}
			consumed, rngState := ds.Position()
			resume.DataPosition = append(resume.DataPosition, &caffepb.GocaffeResumeState_DataLayerPosition{
				Net:      proto.String(name),
				Layer:    proto.String(n.LayerName(i)),
				Consumed: proto.Uint64(consumed),
				RngState: rngState,
			})
		}
	}
	s.ranks.addRankStates(resume)
	st.GocaffeResume = resume
	return st, nil
}

// nets yields the train net as "train" and the test nets as "test#k", the names
// the resume state files them under.
func (s *Solver) nets() iter.Seq2[string, *network.Net] {
	return func(yield func(string, *network.Net) bool) {
		if !yield("train", s.net) {
			return
		}
		for k, tn := range s.testNets {
			if !yield("test#"+strconv.Itoa(k), tn) {
				return
			}
		}
	}
}

// Restore continues from a .solverstate (Caffe's -snapshot): the iteration, the
// weights of the file its learned_net names (relative to the working directory, as
// in Caffe), the multistep position, the history and, when the file holds
// gocaffe's resume state, the data layers' positions and the random sources.
func (s *Solver) Restore(path string) error {
	if s.ranks.waitsForRoot() {
		return nil // rank 0 reads the files and hands this rank its state (syncRanks)
	}
	if strings.HasSuffix(path, ".h5") {
		return s.restoreHDF5(path)
	}
	state, err := protofile.ReadSolverState(path)
	if err != nil {
		return fmt.Errorf("restoring: %w", err)
	}
	if err := s.RestoreState(state); err != nil {
		return fmt.Errorf("restoring from %s: %w", path, err)
	}
	return nil
}

// RestoreState continues from a solver state read elsewhere (see Restore).
func (s *Solver) RestoreState(state *caffepb.SolverState) error {
	if len(state.History) != len(s.history) {
		return fmt.Errorf("incorrect length of history blobs: the state has %d, the %s solver of this net keeps %d",
			len(state.History), s.kind, len(s.history))
	}
	for i, h := range state.History {
		if !s.history[i].ShapeEquals(h) {
			return fmt.Errorf("history blob %d (of %s) has shape %v, the net's parameter has %s",
				i, s.net.ParamDisplayName(i%len(s.params)), protoShape(h), s.history[i].ShapeString())
		}
	}
	if state.LearnedNet != nil {
		if err := s.net.CopyTrainedLayersFromFile(state.GetLearnedNet()); err != nil {
			return fmt.Errorf("learned_net: %w", err)
		}
	}
	s.iter = int(state.GetIter())
	s.currentStep = int(state.GetCurrentStep())
	glog.Infof("SGDSolver: restoring history")
	for i, h := range state.History {
		if err := s.history[i].FromProto(h, false); err != nil {
			return fmt.Errorf("history blob %d: %w", i, err)
		}
	}
	if r := state.GetGocaffeResume(); r != nil {
		return s.restorePositions(r)
	}
	glog.Infof("The solver state holds no data positions (Caffe writes none): data layers start again at their first record, as in Caffe")
	return nil
}

// restorePositions puts every data layer and the random source back where the
// snapshot found them.
func (s *Solver) restorePositions(r *caffepb.GocaffeResumeState) error {
	if err := s.checkRanks(r); err != nil {
		return err
	}
	if r.RngState != nil {
		if err := s.rng.UnmarshalBinary(r.RngState); err != nil {
			return fmt.Errorf("random source: %w", err)
		}
	}
	saved := map[[2]string]*caffepb.GocaffeResumeState_DataLayerPosition{}
	for _, p := range r.DataPosition {
		saved[[2]string{p.GetNet(), p.GetLayer()}] = p
	}
	for name, n := range s.nets() {
		for i := 0; i < n.NumLayers(); i++ {
			ds, ok := n.Layer(i).(layers.DataSource)
			if !ok {
				continue
			}
			key := [2]string{name, n.LayerName(i)}
			p, ok := saved[key]
			if !ok {
				glog.Warningf("No saved position for data layer %s of the %s net: it starts again at its first record", key[1], key[0])
				continue
			}
			delete(saved, key)
			if err := ds.Seek(p.GetConsumed(), p.GetRngState()); err != nil {
				return fmt.Errorf("data layer %s of the %s net: %w", key[1], key[0], err)
			}
			glog.Infof("Data layer %s of the %s net resumes after %d records", key[1], key[0], p.GetConsumed())
		}
	}
	for key := range saved {
		glog.Warningf("The solver state has a position for data layer %s of the %s net, which this solver does not have", key[1], key[0])
	}
	return nil
}

func protoShape(p *caffepb.BlobProto) []int64 {
	if p.Shape != nil {
		return p.Shape.Dim
	}
	return []int64{int64(p.GetNum()), int64(p.GetChannels()), int64(p.GetHeight()), int64(p.GetWidth())}
}

// SnapshotNumerics returns the numerics ("fast" or "caffe") a gocaffe .solverstate
// was made in, or "" when the file does not say (Caffe's do not) or cannot be read
// (Restore reports why).
func SnapshotNumerics(path string) string {
	state, err := protofile.ReadSolverState(path)
	if err != nil {
		return ""
	}
	return state.GetGocaffeResume().GetNumerics()
}
