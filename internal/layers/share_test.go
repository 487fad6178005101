package layers_test

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// sharedDataLayer builds a Data layer of the given phase as rank share.Rank of
// share.Ranks.
func sharedDataLayer(t *testing.T, src string, batch int, phase caffepb.Phase, share layers.Share) *dataLayer {
	t.Helper()
	p := &caffepb.LayerParameter{}
	text := fmt.Sprintf(`type: "Data" data_param { source: %q batch_size: %d backend: LMDB }`, src, batch)
	if err := prototext.Unmarshal([]byte(text), p); err != nil {
		t.Fatal(err)
	}
	p.Phase, p.Name = phase.Enum(), proto.String("data")
	l, err := layers.New(p, &layers.Context{RNG: rng.New(1), Share: share})
	if err != nil {
		t.Fatal(err)
	}
	top := []*blob.Blob{blob.New(), blob.New()}
	if err := layers.SetUp(l, nil, top); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.(layers.Closer).Close() })
	return &dataLayer{l, top}
}

// TestDataLayerShare: rank r of N reads records r, r+N, r+2N, … of the database
// repeated, as Caffe's DataLayer::Skip has each solver do, so that the ranks
// together read per iteration what one process with N times the batch reads; the
// TEST phase reads everything on every rank; and a position saved in a share
// resumes in it.
func TestDataLayerShare(t *testing.T) {
	const records = 7 // prime: batches and shares straddle the wrap
	var values [][]byte
	for i := 0; i < records; i++ {
		values = append(values, marshal(t, rawDatum(1, 2, 2, i, int32(i)))...)
	}
	src := writeLMDB(t, t.TempDir(), "share_lmdb", values...)
	tests := []struct {
		ranks, batch int
		phase        caffepb.Phase
	}{
		{1, 4, caffepb.Phase_TRAIN},
		{2, 3, caffepb.Phase_TRAIN},
		{3, 2, caffepb.Phase_TRAIN},
		{4, 5, caffepb.Phase_TRAIN},
		{3, 2, caffepb.Phase_TEST},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%d_ranks_batch_%d_%s", tc.ranks, tc.batch, tc.phase), func(t *testing.T) {
			const batches = 4
			for r := 0; r < tc.ranks; r++ {
				l := sharedDataLayer(t, src, tc.batch, tc.phase, layers.Share{Rank: r, Ranks: tc.ranks})
				var resumeAt uint64
				var rngState []byte
				for b := 0; b < batches; b++ {
					if b == 2 {
						resumeAt, rngState = l.Layer.(layers.DataSource).Position()
					}
					l.forward(t)
					for i, label := range l.top[1].Data {
						k := b*tc.batch + i // the k-th record this rank reads
						want := (r + k*tc.ranks) % records
						if tc.phase == caffepb.Phase_TEST {
							want = k % records
						}
						if int(label) != want {
							t.Fatalf("rank %d, batch %d, item %d: record %v, want %d", r, b, i, label, want)
						}
					}
				}
				// A new layer seeking to the position before batch 2 reads batches 2 and 3 again.
				again := sharedDataLayer(t, src, tc.batch, tc.phase, layers.Share{Rank: r, Ranks: tc.ranks})
				if err := again.Layer.(layers.DataSource).Seek(resumeAt, rngState); err != nil {
					t.Fatal(err)
				}
				again.forward(t)
				again.forward(t)
				for i := range l.top[1].Data {
					if again.top[1].Data[i] != l.top[1].Data[i] {
						t.Fatalf("rank %d: resumed at %d, batch 3 reads %v, want %v", r, resumeAt, again.top[1].Data, l.top[1].Data)
					}
				}
			}
		})
	}
}
