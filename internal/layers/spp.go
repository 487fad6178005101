package layers

import (
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/blas"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func init() { Register("SPP", newSPP) }

// spp is spatial pyramid pooling: level l of pyramid_height pools every channel into
// a 2^l × 2^l grid, whatever the image's size, and the levels are flattened and
// concatenated. Caffe builds it from Split, Pooling, Flatten and Concat layers; here
// Pooling layers of Caffe's geometry do the pooling and the rest is done directly,
// with Caffe's numbers (the split's gradient is summed level by level, in order).
//
// Level l has b = 2^l bins: kernel k = ⌈H/b⌉, stride k, pad ⌊(k·b − H + 1)/2⌋ (the
// same for W); Pooling rounds its output size as it always does.
//
//	bottom   (N, C, H, W)
//	pooled l (N, C, b_l, b_l)
//	top      (N, Σ_l C·b_l²)       pyramid_height > 1
//	         (N, C, 1, 1)          pyramid_height 1: a single pooling, unflattened, as in Caffe
//	split    (N, C, H, W)          shares the bottom's values; its gradient is each
//	                               level's before they are summed into the bottom's
type spp struct {
	base
	height      int
	shape       []int // the bottom shape the pyramid was built for
	pools       []*pooling
	pooled      []*blob.Blob
	split       *blob.Blob
	num, width  int   // N and the top's row length
	offsets     []int // level l starts at offsets[l] within a top row
	down        []bool
	bottomSplit []*blob.Blob // {split}: what levels after the first pool from
}

func newSPP(p *caffepb.LayerParameter, ctx *Context) (Layer, error) {
	sp := p.GetSppParam()
	if sp.GetPyramidHeight() == 0 {
		return nil, fmt.Errorf("spp_param.pyramid_height must be given and positive")
	}
	switch sp.GetPool() {
	case caffepb.SPPParameter_MAX, caffepb.SPPParameter_AVE, caffepb.SPPParameter_STOCHASTIC:
	default:
		return nil, fmt.Errorf("spp_param.pool: unknown pooling method %v", sp.GetPool())
	}
	return &spp{base: newBase(p, ctx), height: int(sp.GetPyramidHeight()), split: &blob.Blob{}, down: []bool{true}}, nil
}

func (l *spp) BlobCounts() BlobCounts { return Exactly(1, 1) }

// poolingParam is the Pooling layer of pyramid level: Caffe's SPPLayer::GetPoolingParam.
// It is a fresh LayerParameter, so its phase is TRAIN whatever the net's (a
// STOCHASTIC pyramid samples in TEST too, as in Caffe).
func (l *spp) poolingParam(level, h, w int) *caffepb.LayerParameter {
	bins := 1 << level
	kh := int(math.Ceil(float64(h) / float64(bins)))
	kw := int(math.Ceil(float64(w) / float64(bins)))
	padH := (kh*bins - h + 1) / 2
	padW := (kw*bins - w + 1) / 2
	var method caffepb.PoolingParameter_PoolMethod
	switch l.param.GetSppParam().GetPool() {
	case caffepb.SPPParameter_MAX:
		method = caffepb.PoolingParameter_MAX
	case caffepb.SPPParameter_AVE:
		method = caffepb.PoolingParameter_AVE
	case caffepb.SPPParameter_STOCHASTIC:
		method = caffepb.PoolingParameter_STOCHASTIC
	}
	return &caffepb.LayerParameter{
		Name: proto.String(fmt.Sprintf("%s/level%d", l.param.GetName(), level)),
		Type: proto.String("Pooling"),
		PoolingParam: &caffepb.PoolingParameter{
			Pool:    method.Enum(),
			KernelH: proto.Uint32(uint32(kh)), KernelW: proto.Uint32(uint32(kw)),
			StrideH: proto.Uint32(uint32(kh)), StrideW: proto.Uint32(uint32(kw)),
			PadH: proto.Uint32(uint32(padH)), PadW: proto.Uint32(uint32(padW)),
		},
	}
}

func (l *spp) Reshape(bottom, top []*blob.Blob) error {
	if err := rejectInPlace(bottom, top); err != nil {
		return err
	}
	b := bottom[0]
	if b.NumAxes() != 4 {
		return fmt.Errorf("input must have 4 axes, corresponding to (num, channels, height, width), got %s", b.ShapeString())
	}
	if b.Dim(2) == 0 || b.Dim(3) == 0 {
		return fmt.Errorf("input dimensions cannot be zero: bottom %s", b.ShapeString())
	}
	if !slices.Equal(l.shape, b.Shape()) {
		// The pooling geometry depends on the image size: build the pyramid again.
		l.shape = append(l.shape[:0], b.Shape()...)
		l.pools, l.pooled = l.pools[:0], l.pooled[:0]
		for lev := 0; lev < l.height; lev++ {
			pl, err := newPooling(l.poolingParam(lev, b.Dim(2), b.Dim(3)), l.ctx)
			if err != nil {
				return fmt.Errorf("spp_param: pyramid level %d for bottom %s: %w", lev, b.ShapeString(), err)
			}
			l.pools = append(l.pools, pl.(*pooling))
			l.pooled = append(l.pooled, blob.New())
		}
	}
	if l.height == 1 {
		if err := l.pools[0].Reshape(bottom, top); err != nil {
			return fmt.Errorf("spp_param: pyramid level 0 for bottom %s: %w", b.ShapeString(), err)
		}
		return nil
	}
	l.split.ShareData(b)
	l.split.Reshape(b.Shape()...) // keeps the shared values, gives the gradient its own storage
	l.bottomSplit = append(l.bottomSplit[:0], l.split)
	l.num, l.width = b.Dim(0), 0
	l.offsets = l.offsets[:0]
	for lev, pl := range l.pools {
		if err := pl.Reshape(bottom, l.pooled[lev:lev+1]); err != nil {
			return fmt.Errorf("spp_param: pyramid level %d for bottom %s: %w", lev, b.ShapeString(), err)
		}
		l.offsets = append(l.offsets, l.width)
		l.width += l.pooled[lev].CountFrom(1)
	}
	top[0].Reshape(l.num, l.width)
	return nil
}

// Forward: top[n, off_l : off_l + C·b_l²] = pool_l(bottom)[n, …].
func (l *spp) Forward(bottom, top []*blob.Blob) error {
	if l.height == 1 {
		return l.pools[0].Forward(bottom, top)
	}
	y := top[0].Data
	for lev, pl := range l.pools {
		p := l.pooled[lev]
		if err := pl.Forward(bottom, l.pooled[lev:lev+1]); err != nil {
			return err
		}
		row := p.CountFrom(1)
		for n := 0; n < l.num; n++ {
			copy(y[n*l.width+l.offsets[lev]:][:row], p.Data[n*row:][:row])
		}
	}
	return nil
}

// Backward: each level's slice of dtop goes back through its pooling; the bottom's
// gradient is their sum, level 0 first.
func (l *spp) Backward(top []*blob.Blob, down []bool, bottom []*blob.Blob) {
	if !down[0] {
		return
	}
	if l.height == 1 {
		l.pools[0].Backward(top, down, bottom)
		return
	}
	dy := top[0].Diff
	l.split.ShareData(bottom[0])
	for lev, pl := range l.pools {
		p := l.pooled[lev]
		row := p.CountFrom(1)
		for n := 0; n < l.num; n++ {
			copy(p.Diff[n*row:][:row], dy[n*l.width+l.offsets[lev]:][:row])
		}
		if lev == 0 {
			pl.Backward(l.pooled[lev:lev+1], l.down, bottom)
			continue
		}
		pl.Backward(l.pooled[lev:lev+1], l.down, l.bottomSplit)
		blas.Axpy(1, l.split.Diff, bottom[0].Diff)
	}
}
