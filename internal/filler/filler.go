// Package filler initialises learnable blobs as Caffe's fillers do: constant,
// uniform, gaussian (optionally sparse), positive_unitball, xavier, msra and bilinear.
//
// The random fillers make Caffe's draws in Caffe's order from the source they are
// given (see rng): uniform, xavier and positive_unitball one caffe_rng_uniform per
// element, gaussian and msra one caffe_rng_gaussian, the sparse gaussian's mask one
// float Bernoulli per element after all the values. Their parameters (xavier's
// bound, msra's deviation, the sparse probability) are computed in float as Caffe's
// filler.hpp computes them, so a seeded net starts from Caffe's weights bit for bit.
// The bilinear filler is the one of Caffe's master (the fix of BVLC/caffe#5713, in
// float), which differs from Caffe 1.0's release for odd kernel sizes.
package filler

import (
	"fmt"
	"math"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// Fill sets b's values as p describes, drawing from r. A nil p is Caffe's default
// filler: constant 0.
func Fill(b *blob.Blob, p *caffepb.FillerParameter, r *rng.Source) error {
	if p.GetSparse() != -1 && p.GetType() != "gaussian" {
		return fmt.Errorf("filler %q: sparse is only supported by the gaussian filler", p.GetType())
	}
	data := b.Data
	switch p.GetType() {
	case "constant":
		v := p.GetValue()
		for i := range data {
			data[i] = v
		}
	case "uniform":
		lo, hi := p.GetMin(), p.GetMax()
		if !(lo <= hi) || math.IsInf(float64(lo), 0) || math.IsInf(float64(hi), 0) {
			return fmt.Errorf("filler uniform: min (%g) and max (%g) must be finite with min <= max", lo, hi)
		}
		for i := range data {
			data[i] = r.Uniform(lo, hi)
		}
	case "gaussian":
		mean, std := p.GetMean(), p.GetStd()
		for i := range data {
			data[i] = r.Gaussian(mean, std)
		}
		if sparse := p.GetSparse(); sparse >= 0 {
			// Keep each weight with probability sparse/num_outputs, so that each output
			// sees about sparse non-zero inputs.
			if b.NumAxes() < 1 {
				return fmt.Errorf("filler gaussian: a sparse fill needs a blob with at least one axis")
			}
			keep := float32(sparse) / float32(b.Dim(0))
			if keep > 1 {
				return fmt.Errorf("filler gaussian: sparse (%d) is more than the %d outputs of the blob", sparse, b.Dim(0))
			}
			for i := range data {
				if !r.Bernoulli32(keep) {
					// Caffe multiplies by the mask: a dropped negative weight is −0.
					data[i] *= 0
				}
			}
		} else if sparse < -1 {
			return fmt.Errorf("filler gaussian: sparse must be -1 (off) or at least 0, got %d", sparse)
		}
	case "positive_unitball":
		// Each of the num rows is a point of the positive unit simplex: its entries
		// are uniform draws divided by their sum.
		for i := range data {
			data[i] = r.Uniform(0, 1)
		}
		if b.Count() == 0 {
			return nil
		}
		rows := legacyDim(b, 0)
		dim := b.Count() / rows
		for i := 0; i < rows; i++ {
			row := data[i*dim : (i+1)*dim]
			var sum float32
			for _, v := range row {
				sum += v
			}
			for j := range row {
				row[j] /= sum
			}
		}
	case "xavier":
		scale := float32(math.Sqrt(float64(3 / fan(b, p))))
		for i := range data {
			data[i] = r.Uniform(-scale, scale)
		}
	case "msra":
		std := float32(math.Sqrt(float64(2 / fan(b, p))))
		for i := range data {
			data[i] = r.Gaussian(0, std)
		}
	case "bilinear":
		// The weights of bilinear upsampling, for a Deconvolution layer of kernel
		// 2f - f%2 and stride f.
		if b.NumAxes() != 4 || b.Dim(2) != b.Dim(3) {
			return fmt.Errorf("filler bilinear: needs a 4-axis blob with square kernels, got %s", b.ShapeString())
		}
		width, height := b.Dim(3), b.Dim(2)
		f := int(math.Ceil(float64(width) / 2))
		c := float32(float64(width-1) / (2 * float64(f)))
		ff := float32(f)
		for i := range data {
			x := float32(i % width)
			y := float32((i / width) % height)
			data[i] = (1 - abs32(x/ff-c)) * (1 - abs32(y/ff-c))
		}
	default:
		return fmt.Errorf("unknown filler type %q (known: constant, uniform, gaussian, positive_unitball, xavier, msra, bilinear)", p.GetType())
	}
	return nil
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// legacyDim is Caffe's Blob::LegacyShape(i) for i of 0 or 1: the size of axis i, 1
// when the blob has fewer axes (num() and channels()).
func legacyDim(b *blob.Blob, i int) int {
	if i >= b.NumAxes() {
		return 1
	}
	return b.Dim(i)
}

// fan is the n of xavier and msra, in float as Caffe computes it: the blob's fan-in
// (count / num), its fan-out (count / channels) or their mean, as variance_norm says.
func fan(b *blob.Blob, p *caffepb.FillerParameter) float32 {
	count := b.Count()
	if count == 0 {
		return 1
	}
	fanIn := count / legacyDim(b, 0)
	fanOut := count / legacyDim(b, 1)
	switch p.GetVarianceNorm() {
	case caffepb.FillerParameter_FAN_OUT:
		return float32(fanOut)
	case caffepb.FillerParameter_AVERAGE:
		return float32(fanIn+fanOut) / 2
	default:
		return float32(fanIn)
	}
}
