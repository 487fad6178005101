// Package filler initialises learnable blobs as Caffe's fillers do: constant,
// uniform, gaussian (optionally sparse), positive_unitball, xavier, msra and bilinear.
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
		for i := range data {
			data[i] = r.Uniform(p.GetMin(), p.GetMax())
		}
	case "gaussian":
		for i := range data {
			data[i] = r.Gaussian(p.GetMean(), p.GetStd())
		}
		if sparse := p.GetSparse(); sparse >= 0 {
			// Keep each weight with probability sparse/num_outputs, so that each output
			// sees about sparse non-zero inputs.
			if b.NumAxes() < 1 {
				return fmt.Errorf("filler gaussian: a sparse fill needs a blob with at least one axis")
			}
			keep := float64(sparse) / float64(b.Dim(0))
			for i := range data {
				if !r.Bernoulli(keep) {
					data[i] = 0
				}
			}
		}
	case "positive_unitball":
		// Each of the Dim(0) rows is a point of the positive unit simplex: its entries
		// are uniform draws divided by their sum.
		for i := range data {
			data[i] = r.Uniform(0, 1)
		}
		if b.Count() == 0 {
			return nil
		}
		rows := b.Dim(0)
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
		scale := float32(math.Sqrt(3 / fan(b, p)))
		for i := range data {
			data[i] = r.Uniform(-scale, scale)
		}
	case "msra":
		std := float32(math.Sqrt(2 / fan(b, p)))
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
		f := math.Ceil(float64(width) / 2)
		c := (2*f - 1 - math.Mod(f, 2)) / (2 * f)
		for i := range data {
			x := float64(i % width)
			y := float64((i / width) % height)
			data[i] = float32((1 - math.Abs(x/f-c)) * (1 - math.Abs(y/f-c)))
		}
	default:
		return fmt.Errorf("unknown filler type %q (known: constant, uniform, gaussian, positive_unitball, xavier, msra, bilinear)", p.GetType())
	}
	return nil
}

// fan is the n of xavier and msra: the blob's fan-in (count / Dim(0)), its fan-out
// (count / Dim(1)) or their mean, as variance_norm says.
func fan(b *blob.Blob, p *caffepb.FillerParameter) float64 {
	count := b.Count()
	if count == 0 {
		return 1
	}
	fanIn := float64(count / b.Dim(0))
	fanOut := float64(count)
	if b.NumAxes() > 1 {
		fanOut = float64(count / b.Dim(1))
	}
	switch p.GetVarianceNorm() {
	case caffepb.FillerParameter_FAN_OUT:
		return fanOut
	case caffepb.FillerParameter_AVERAGE:
		return (fanIn + fanOut) / 2
	default:
		return fanIn
	}
}
