package filler

import (
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

func stats(x []float32) (mean, std, lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range x {
		mean += float64(v)
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(len(x))), lo, hi
}

// The checks mirror Caffe's test_filler.cpp: ranges for bounded fillers, moments for
// random ones, exact values for the deterministic ones.
func TestFillers(t *testing.T) {
	fp := func(s string) *caffepb.FillerParameter {
		p := &caffepb.FillerParameter{}
		p.Type = proto.String(s)
		return p
	}
	r := rng.New(1701)

	b := blob.New(2, 3, 4, 5)
	p := fp("constant")
	p.Value = proto.Float32(10)
	if err := Fill(b, p, r); err != nil {
		t.Fatal(err)
	}
	for _, v := range b.Data {
		if v != 10 {
			t.Fatalf("constant: %g", v)
		}
	}

	p = fp("uniform")
	p.Min, p.Max = proto.Float32(1), proto.Float32(2)
	b = blob.New(200, 50)
	Fill(b, p, r)
	if m, _, lo, hi := stats(b.Data); lo < 1 || hi > 2 || math.Abs(m-1.5) > 0.01 {
		t.Fatalf("uniform: mean %g range [%g, %g]", m, lo, hi)
	}

	p = fp("gaussian")
	p.Mean, p.Std = proto.Float32(10), proto.Float32(0.1)
	Fill(b, p, r)
	if m, s, _, _ := stats(b.Data); math.Abs(m-10) > 0.01 || math.Abs(s-0.1) > 0.005 {
		t.Fatalf("gaussian: mean %g std %g", m, s)
	}

	p.Sparse = proto.Int32(10) // 10 of 200 outputs: keep 5%
	Fill(b, p, r)
	nonzero := 0
	for _, v := range b.Data {
		if v != 0 {
			nonzero++
		}
	}
	if rate := float64(nonzero) / float64(b.Count()); math.Abs(rate-0.05) > 0.01 {
		t.Fatalf("sparse gaussian kept %g", rate)
	}

	b = blob.New(20, 30)
	Fill(b, fp("positive_unitball"), r)
	for i := 0; i < 20; i++ {
		var sum float64
		for _, v := range b.Data[i*30 : (i+1)*30] {
			if v < 0 || v > 1 {
				t.Fatalf("positive_unitball value %g", v)
			}
			sum += float64(v)
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Fatalf("positive_unitball row %d sums to %g", i, sum)
		}
	}

	// xavier and msra on a 1000×4×5×5 blob: fan_in = 100000/1000 = 100, fan_out = 100000/4 = 25000.
	b = blob.New(1000, 4, 5, 5)
	for _, tc := range []struct {
		norm caffepb.FillerParameter_VarianceNorm
		n    float64
	}{{caffepb.FillerParameter_FAN_IN, 100}, {caffepb.FillerParameter_FAN_OUT, 25000}, {caffepb.FillerParameter_AVERAGE, 12550}} {
		p = fp("xavier")
		p.VarianceNorm = tc.norm.Enum()
		Fill(b, p, r)
		scale := math.Sqrt(3 / tc.n)
		if m, s, lo, hi := stats(b.Data); lo < -scale || hi > scale || math.Abs(m) > 0.1*scale || math.Abs(s-scale/math.Sqrt(3)) > 0.05*scale {
			t.Fatalf("xavier %v: mean %g std %g range [%g,%g], scale %g", tc.norm, m, s, lo, hi, scale)
		}
		p.Type = proto.String("msra")
		Fill(b, p, r)
		std := math.Sqrt(2 / tc.n)
		if m, s, _, _ := stats(b.Data); math.Abs(m) > 0.1*std || math.Abs(s-std) > 0.05*std {
			t.Fatalf("msra %v: mean %g std %g, want std %g", tc.norm, m, s, std)
		}
	}

	// Bilinear kernel 4 (upsampling by 2): the separable weights 0.25 0.75 0.75 0.25.
	b = blob.New(1, 1, 4, 4)
	if err := Fill(b, fp("bilinear"), r); err != nil {
		t.Fatal(err)
	}
	w := []float64{0.25, 0.75, 0.75, 0.25}
	for y := 0; y < 4; y++ {
		for x := 0; x < 4; x++ {
			if got := float64(b.Data[y*4+x]); math.Abs(got-w[x]*w[y]) > 1e-6 {
				t.Fatalf("bilinear[%d,%d] = %g, want %g", y, x, got, w[x]*w[y])
			}
		}
	}
}

func TestFillerErrors(t *testing.T) {
	r := rng.New(1)
	bad := []*caffepb.FillerParameter{
		{Type: proto.String("gaussion")},
		{Type: proto.String("uniform"), Sparse: proto.Int32(3)},
		{Type: proto.String("bilinear")},
		{Type: proto.String("uniform"), Min: proto.Float32(2), Max: proto.Float32(1)},
	}
	for _, p := range bad {
		if err := Fill(blob.New(2, 3), p, r); err == nil {
			t.Errorf("%v accepted", p)
		}
	}
	// Caffe's default filler is constant 0.
	b := blob.New(3)
	b.Data[0] = 5
	if err := Fill(b, nil, r); err != nil || b.Data[0] != 0 {
		t.Fatalf("default filler: %v %v", err, b.Data)
	}
}

// TestCaffeDraws checks the random fillers against Boost 1.74's draws as Caffe makes
// them (the values are lines of ../math/rng/testdata/boost_1_74.txt): xavier on a
// fan-in of 25 draws U[−√(3/25), √(3/25)] with the bound computed in float, gaussian
// draws normal_distribution<float>.
func TestCaffeDraws(t *testing.T) {
	b := blob.New(20, 1, 5, 5)
	if err := Fill(b, &caffepb.FillerParameter{Type: proto.String("xavier")}, rng.New(1701)); err != nil {
		t.Fatal(err)
	}
	for i, w := range []uint32{0xbe91a34c, 0x3c54b600, 0xbe886f4d, 0x3e5992d4} {
		if got := math.Float32bits(b.Data[i]); got != w {
			t.Errorf("xavier[%d] = %08x, Boost's %08x", i, got, w)
		}
	}
	p := &caffepb.FillerParameter{Type: proto.String("gaussian"), Std: proto.Float32(0.0001)}
	if err := Fill(b, p, rng.New(1701)); err != nil {
		t.Fatal(err)
	}
	for i, w := range []uint32{0xb737515b, 0xb92f50cd, 0xb7abc75d, 0xb85d1a19} {
		if got := math.Float32bits(b.Data[i]); got != w {
			t.Errorf("gaussian[%d] = %08x, Boost's %08x", i, got, w)
		}
	}
}

// TestSparseMask: the mask comes after all the values, one float Bernoulli of
// sparse/num_outputs per weight, and multiplies: a dropped negative weight is −0.
func TestSparseMask(t *testing.T) {
	b := blob.New(64, 100)
	p := &caffepb.FillerParameter{Type: proto.String("gaussian"), Sparse: proto.Int32(15)}
	if err := Fill(b, p, rng.New(3)); err != nil {
		t.Fatal(err)
	}
	r := rng.New(3)
	want := make([]float32, b.Count())
	for i := range want {
		want[i] = r.Gaussian(0, 1)
	}
	negZero := 0
	for i := range want {
		if !r.Bernoulli32(float32(15) / float32(64)) {
			want[i] *= 0
		}
		if math.Float32bits(b.Data[i]) != math.Float32bits(want[i]) {
			t.Fatalf("weight %d = %g, want %g", i, b.Data[i], want[i])
		}
		if math.Float32bits(want[i]) == 0x80000000 {
			negZero++
		}
	}
	if negZero == 0 {
		t.Error("no dropped negative weight is -0")
	}
	p.Sparse = proto.Int32(65)
	if err := Fill(b, p, rng.New(3)); err == nil {
		t.Error("sparse above the number of outputs accepted")
	}
}

// TestBilinearOdd: kernel 3 (Caffe's master, after BVLC/caffe#5713): the separable
// weights 0.5 1 0.5.
func TestBilinearOdd(t *testing.T) {
	b := blob.New(1, 1, 3, 3)
	if err := Fill(b, &caffepb.FillerParameter{Type: proto.String("bilinear")}, rng.New(1)); err != nil {
		t.Fatal(err)
	}
	w := []float32{0.5, 1, 0.5}
	for y := 0; y < 3; y++ {
		for x := 0; x < 3; x++ {
			if got := b.Data[y*3+x]; got != w[x]*w[y] {
				t.Fatalf("bilinear[%d,%d] = %g, want %g", y, x, got, w[x]*w[y])
			}
		}
	}
}
