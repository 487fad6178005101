package layers_test

import (
	"fmt"
	"testing"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/gradcheck"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// The tests of Tile (test_tile_layer.cpp).

// tileBottom is Caffe's: (2, 3, 4, 5) standard normal draws.
func tileBottom() *blob.Blob { return gaussian(rng.New(1701), 0, 1, 2, 3, 4, 5) }

// Caffe's TestSetup, TestTrivialSetup, TestForwardNum, TestForwardChannels, on every
// axis: top[…, i_axis, …] = bottom[…, i_axis mod d_axis, …], and backward sums the
// copies.
func TestTileForward(t *testing.T) {
	for _, tiles := range []int{1, 3} {
		for axis := 0; axis < 4; axis++ {
			x := tileBottom()
			l := setUp(t, fmt.Sprintf(`type: "Tile" tile_param { axis: %d tiles: %d }`, axis, tiles), caffepb.Phase_TRAIN, []*blob.Blob{x}, 1)
			want := append([]int(nil), x.Shape()...)
			want[axis] *= tiles
			if !equalShape(l.Top[0].Shape(), want) {
				t.Fatalf("axis %d tiles %d: top shape %v, want %v", axis, tiles, l.Top[0].Shape(), want)
			}
			forward(t, l)
			dy := gaussian(rng.New(2), 0, 1, want...)
			backwardWith(l, dy.Data)
			wantDx := make([]float64, x.Count())
			idx := make([]int, 4)
			for i := range l.Top[0].Data {
				// The multi-index of top element i, then the bottom's.
				rem := i
				for a := 3; a >= 0; a-- {
					idx[a] = rem % want[a]
					rem /= want[a]
				}
				idx[axis] %= x.Dim(axis)
				j := x.Offset(idx...)
				if l.Top[0].Data[i] != x.Data[j] {
					t.Fatalf("axis %d tiles %d: top[%d] = %g, want bottom[%d] = %g", axis, tiles, i, l.Top[0].Data[i], j, x.Data[j])
				}
				wantDx[j] += float64(dy.Data[i])
			}
			visionCompare(t, "bottom gradient", x.Diff, wantDx, 1e-6)
		}
	}
}

// Caffe's TestTrivialGradient, TestGradientNum and TestGradientChannels: step 1e-2,
// threshold 1e-2, exhaustive.
func TestTileGradient(t *testing.T) {
	for _, param := range []string{`tiles: 1`, `axis: 0 tiles: 3`, `axis: 1 tiles: 3`, `axis: -1 tiles: 2`} {
		t.Run(param, func(t *testing.T) {
			l := setUp(t, `type: "Tile" tile_param { `+param+` }`, caffepb.Phase_TRAIN, []*blob.Blob{tileBottom()}, 1)
			checkGradient(t, l, gradcheck.New(1e-2, 1e-2), checkExhaustive, gradcheck.AllBottoms)
		})
	}
}

func TestTileErrors(t *testing.T) {
	x := []*blob.Blob{blob.New(2, 3)}
	wantError(t, setUpError(`type: "Tile"`, caffepb.Phase_TRAIN, x, 1), "tile_param.tiles")
	wantError(t, setUpError(`type: "Tile" tile_param { tiles: 0 }`, caffepb.Phase_TRAIN, x, 1), "tile_param.tiles")
	wantError(t, setUpError(`type: "Tile" tile_param { tiles: -2 }`, caffepb.Phase_TRAIN, x, 1), "tile_param.tiles")
	wantError(t, setUpError(`type: "Tile" tile_param { tiles: 2 axis: 2 }`, caffepb.Phase_TRAIN, x, 1), "tile_param.axis")
}

func TestTileCaffeFixtures(t *testing.T) { caffeFixtures(t, "Tile") }
