package solver

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/mpi"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The data-parallel solver, its ranks as goroutines of the test (mpi.Local): the
// logic of gocaffe-mpi without mpirun. cmd/gocaffe's MPI tests run the same through
// Open MPI.

// withTrainBatch returns a copy of np whose TRAIN Data layer reads batches of b.
func withTrainBatch(np *caffepb.NetParameter, b uint32) *caffepb.NetParameter {
	np = proto.Clone(np).(*caffepb.NetParameter)
	for _, l := range np.Layer {
		if l.GetType() == "Data" && len(l.Include) > 0 && l.Include[0].GetPhase() == caffepb.Phase_TRAIN {
			l.DataParam.BatchSize = proto.Uint32(b)
		}
	}
	return np
}

// lenetParam is the fixture's LeNet solver with the given net, run length and
// snapshots, testing 2 batches every 10 iterations.
func lenetParam(np *caffepb.NetParameter, maxIter, snapshot int32, prefix string) *caffepb.SolverParameter {
	return &caffepb.SolverParameter{
		NetParam:       np,
		TestIter:       []int32{2},
		TestInterval:   proto.Int32(10),
		BaseLr:         proto.Float32(0.01),
		Momentum:       proto.Float32(0.9),
		WeightDecay:    proto.Float32(0.0005),
		LrPolicy:       proto.String("inv"),
		Gamma:          proto.Float32(0.0001),
		Power:          proto.Float32(0.75),
		Display:        proto.Int32(5),
		MaxIter:        proto.Int32(maxIter),
		Snapshot:       proto.Int32(snapshot),
		SnapshotPrefix: proto.String(prefix),
		RandomSeed:     proto.Int64(1701),
	}
}

// trainRanks trains param on size ranks (goroutines), resuming from snapshot if
// set, and returns rank 0's losses and every rank's error. A rank that fails makes
// the others' groups fail, as gocaffe-mpi's watch does.
func trainRanks(t *testing.T, param *caffepb.SolverParameter, size int, snapshot string) ([]float32, []error) {
	t.Helper()
	var groups []*mpi.Group
	for _, tr := range mpi.Local(size) {
		groups = append(groups, mpi.NewGroup(tr))
	}
	var losses []float32
	errs := make([]error, size)
	var wg sync.WaitGroup
	for r := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if errs[r] != nil {
					for _, g := range groups {
						g.Fail(&mpi.DownError{Rank: r, Reason: "failed: " + errs[r].Error()})
					}
				}
			}()
			opts := Options{Group: groups[r]}
			if r == 0 {
				opts.OnLoss = func(_ int, l float32) { losses = append(losses, l) }
			}
			s, err := New(param, opts)
			if err != nil {
				errs[r] = err
				return
			}
			defer s.Close()
			if snapshot != "" {
				if err := s.Restore(snapshot); err != nil {
					errs[r] = err
					return
				}
			}
			errs[r] = s.Solve()
		}()
	}
	wg.Wait()
	return losses, errs
}

func noErrors(t *testing.T, errs []error) {
	t.Helper()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
}

// TestDataParallelMatchesOneProcess: 2 ranks with batch 32 train LeNet as one
// process with batch 64 — the same records per iteration, the gradients averaged —
// so the losses agree to 1e-3 and the weights to 1e-2 after 30 iterations; 3 ranks
// with batch 32 as one process with batch 96.
func TestDataParallelMatchesOneProcess(t *testing.T) {
	testutil.SkipShort(t, "30 LeNet iterations on 2 and 3 ranks against one process with their whole batch")
	quiet(t)
	t.Chdir(testutil.CopyDir(t, "fixtures/nets/lenet_mnist"))
	np, err := protofile.ReadNetText("lenet_train_test.prototxt")
	if err != nil {
		t.Fatal(err)
	}
	for _, ranks := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d_ranks", ranks), func(t *testing.T) {
			const iters = 30
			one := lenetParam(withTrainBatch(np, uint32(32*ranks)), iters, 0, "one")
			var want []float32
			s, err := New(one, Options{OnLoss: func(_ int, l float32) { want = append(want, l) }})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Solve(); err != nil {
				t.Fatal(err)
			}
			s.Close()
			got, errs := trainRanks(t, lenetParam(withTrainBatch(np, 32), iters, 0, "ranks"), ranks, "")
			noErrors(t, errs)
			if len(got) != iters || len(want) != iters {
				t.Fatalf("%d and %d losses, want %d", len(got), len(want), iters)
			}
			for i := range got {
				if d := math.Abs(float64(got[i]-want[i])) / math.Abs(float64(want[i])); d > 1e-3 {
					t.Errorf("iteration %d: loss %v on %d ranks, %v in one process (relative difference %.2g)", i, got[i], ranks, want[i], d)
				}
			}
			a, b := readModel(t, "one_iter_30.caffemodel"), readModel(t, "ranks_iter_30.caffemodel")
			for i, la := range a.Layer {
				for j, ba := range la.Blobs {
					if err := testutil.CompareSlices(b.Layer[i].Blobs[j].Data, ba.Data, 1e-2, 0); err != nil {
						t.Errorf("layer %s, blob %d: %v", la.GetName(), j, err)
					}
				}
			}
		})
	}
}

func readModel(t *testing.T, path string) *caffepb.NetParameter {
	t.Helper()
	np, err := protofile.ReadNetBinary(path)
	if err != nil {
		t.Fatal(err)
	}
	return np
}

// TestDataParallelExactResume stops a 2-rank LeNet run with crop, mirror and
// dropout (every rank its own draws) at iteration 15 and resumes it on 2 ranks: the
// final snapshot is the straight run's, bit for bit; a resume on 3 ranks, or in one
// process, is refused, saying why.
func TestDataParallelExactResume(t *testing.T) {
	quiet(t)
	t.Chdir(testutil.CopyDir(t, "fixtures/nets/lenet_mnist"))
	np := withTrainBatch(augmentedLeNet(t), 16)
	_, errs := trainRanks(t, lenetParam(np, 30, 15, "straight"), 2, "")
	noErrors(t, errs)
	st, err := protofile.ReadSolverState("straight_iter_15.solverstate")
	if err != nil {
		t.Fatal(err)
	}
	r := st.GetGocaffeResume()
	if r.GetRanks() != 2 || len(r.RankState) != 1 || r.RankState[0].GetRank() != 1 {
		t.Fatalf("the snapshot says %d ranks, with states of %d others", r.GetRanks(), len(r.RankState))
	}
	// 15 iterations of 16 records from a share of every other record: rank 0 is at
	// stream position 480, rank 1 at 481.
	if p := r.DataPosition[0]; p.GetLayer() != "mnist" || p.GetConsumed() != 480 {
		t.Errorf("rank 0's position %s@%d", p.GetLayer(), p.GetConsumed())
	}
	if p := r.RankState[0].DataPosition[0]; p.GetConsumed() != 481 {
		t.Errorf("rank 1's position %d", p.GetConsumed())
	}

	_, errs = trainRanks(t, lenetParam(np, 30, 15, "resumed"), 2, "straight_iter_15.solverstate")
	noErrors(t, errs)
	a, err := os.ReadFile("straight_iter_30.caffemodel")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("resumed_iter_30.caffemodel")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("the resumed run's weights differ from the straight run's")
	}
	sa, sb := readState(t, "straight_iter_30.solverstate"), readState(t, "resumed_iter_30.solverstate")
	sa.LearnedNet, sb.LearnedNet = nil, nil
	if !proto.Equal(sa, sb) {
		t.Error("the resumed run's solver state (history, positions, random sources) differs from the straight run's")
	}

	for _, ranks := range []int{1, 3} {
		_, errs = trainRanks(t, lenetParam(np, 30, 0, "other"), ranks, "straight_iter_15.solverstate")
		if errs[0] == nil || !strings.Contains(errs[0].Error(), fmt.Sprintf("made by a run of 2 rank(s) and this run has %d", ranks)) {
			t.Errorf("resuming a 2-rank snapshot on %d ranks: %v", ranks, errs[0])
		}
	}
}

func readState(t *testing.T, path string) *caffepb.SolverState {
	t.Helper()
	st, err := protofile.ReadSolverState(path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}
