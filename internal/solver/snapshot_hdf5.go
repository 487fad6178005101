package solver

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/hdf5"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// resumeDataset holds, in a .solverstate.h5, gocaffe's resume state (where the data
// layers stand, the random sources) as the bytes of a GocaffeResumeState: Caffe
// ignores it, and a resumed gocaffe run continues exactly.
const resumeDataset = "gocaffe_resume"

// snapshotHDF5 writes <prefix>_iter_<N>.caffemodel.h5 and .solverstate.h5 as Caffe's
// snapshot_format: HDF5 does: the weights in Net::ToHDF5's layout; the iteration, the
// weights file's name, the multistep position and the history blobs.
func (s *Solver) snapshotHDF5() error {
	model := s.SnapshotFilename(".caffemodel.h5")
	glog.Infof("Snapshotting to HDF5 file %s", model)
	w, err := s.net.ToHDF5(s.param.GetSnapshotDiff())
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := w.WriteFile(model); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	state, err := s.State(model)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	path := s.SnapshotFilename(".solverstate.h5")
	glog.Infof("Snapshotting solver state to HDF5 file %s", path)
	b := hdf5.NewBuilder()
	r := b.Root()
	r.Int32("iter", []int{1}, []int32{int32(s.iter)})
	r.String("learned_net", model)
	r.Int32("current_step", []int{1}, []int32{int32(s.currentStep)})
	h := r.Group("history")
	for i, hb := range s.history {
		if err := h.Float32(strconv.Itoa(i), hb.Shape(), hb.Data); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
	}
	resume, err := proto.Marshal(state.GetGocaffeResume())
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := r.Uint8(resumeDataset, []int{len(resume)}, resume); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := b.WriteFile(path); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return nil
}

// restoreHDF5 continues from a .solverstate.h5, Caffe's or gocaffe's.
func (s *Solver) restoreHDF5(path string) error {
	f, err := hdf5.Open(path)
	if err != nil {
		return fmt.Errorf("restoring: %w", err)
	}
	state := &caffepb.SolverState{}
	readInt := func(name string) (int32, error) {
		d, err := f.Dataset(name)
		if err != nil {
			return 0, err
		}
		v, err := d.Ints()
		if err != nil {
			return 0, err
		}
		if len(v) != 1 {
			return 0, fmt.Errorf("%s: dataset %s holds %d values, want 1", path, name, len(v))
		}
		return int32(v[0]), nil
	}
	iter, err := readInt("iter")
	if err != nil {
		return fmt.Errorf("restoring: %w", err)
	}
	state.Iter = proto.Int32(iter)
	if f.Root().Has("learned_net") {
		d, err := f.Dataset("learned_net")
		if err != nil {
			return fmt.Errorf("restoring: %w", err)
		}
		v, err := d.Strings()
		if err != nil || len(v) != 1 {
			return fmt.Errorf("restoring: %s: learned_net is not one string: %v", path, err)
		}
		state.LearnedNet = proto.String(v[0])
	}
	step, err := readInt("current_step")
	if err != nil {
		return fmt.Errorf("restoring: %w", err)
	}
	state.CurrentStep = proto.Int32(step)
	h, err := f.Root().Group("history")
	if err != nil {
		return fmt.Errorf("restoring: %w", err)
	}
	if got := len(h.Names()); got != len(s.history) {
		return fmt.Errorf("restoring from %s: incorrect length of history blobs: the file has %d, the %s solver of this net keeps %d",
			path, got, s.kind, len(s.history))
	}
	for i := range s.history {
		d, err := h.Dataset(strconv.Itoa(i))
		if err != nil {
			return fmt.Errorf("restoring: %w", err)
		}
		v, err := d.Float32()
		if err != nil {
			return fmt.Errorf("restoring: %w", err)
		}
		dims := make([]int64, len(d.Shape))
		for k, x := range d.Shape {
			dims[k] = int64(x)
		}
		state.History = append(state.History, &caffepb.BlobProto{Shape: &caffepb.BlobShape{Dim: dims}, Data: v})
	}
	if f.Root().Has(resumeDataset) {
		d, err := f.Dataset(resumeDataset)
		if err != nil {
			return fmt.Errorf("restoring: %w", err)
		}
		raw, err := d.Ints()
		if err != nil {
			return fmt.Errorf("restoring: %w", err)
		}
		b := make([]byte, len(raw))
		for i, x := range raw {
			b[i] = byte(x)
		}
		state.GocaffeResume = &caffepb.GocaffeResumeState{}
		if err := proto.Unmarshal(b, state.GocaffeResume); err != nil {
			return fmt.Errorf("restoring: %s: %s: %w", path, resumeDataset, err)
		}
	}
	if err := s.RestoreState(state); err != nil {
		return fmt.Errorf("restoring from %s: %w", path, err)
	}
	return nil
}
