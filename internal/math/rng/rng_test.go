package rng

import (
	"math"
	"testing"
)

// The first outputs of MT19937 seeded with 5489, the reference implementation's
// default seed (also std::mt19937's and boost::mt19937's); the 10000th is the value
// the C++ standard requires of a default-constructed std::mt19937.
func TestReferenceSequence(t *testing.T) {
	s := New(5489)
	want := []uint32{3499211612, 581869302, 3890346734, 3586334585, 545404204}
	for i, w := range want {
		if got := s.Uint32(); got != w {
			t.Fatalf("output %d = %d, want %d", i, got, w)
		}
	}
	s.Seed(5489)
	var v uint32
	for i := 0; i < 10000; i++ {
		v = s.Uint32()
	}
	if v != 4123659995 {
		t.Fatalf("10000th output = %d, want 4123659995", v)
	}
}

func TestStateRoundTrip(t *testing.T) {
	s := New(1701)
	for i := 0; i < 1001; i++ {
		s.Gaussian(0, 1)
	}
	state, err := s.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r := New(1)
	if err := r.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2000; i++ {
		if a, b := s.Gaussian(0, 1), r.Gaussian(0, 1); a != b {
			t.Fatalf("draw %d after restore: %g vs %g", i, a, b)
		}
	}
	if err := r.UnmarshalBinary(state[:10]); err == nil {
		t.Fatal("short state accepted")
	}
	bad := append([]byte(nil), state...)
	bad[4*n], bad[4*n+1] = 0xff, 0xff // index beyond the state
	if err := r.UnmarshalBinary(bad); err == nil {
		t.Fatal("corrupt index accepted")
	}
}

// TestOldState reads a state of the layout of gocaffe builds from before Caffe's
// distributions, with a polar-method Gaussian waiting: the engine goes on from its
// words and index, the waiting draw is dropped.
func TestOldState(t *testing.T) {
	s := New(1701)
	for i := 0; i < 700; i++ {
		s.Uint32()
	}
	state, _ := s.MarshalBinary()
	old := append([]byte(nil), state...)
	old[4*n+4] = 1 // a spare waiting...
	for i, b := range []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f} {
		old[4*n+5+i] = b // ...of 1.0
	}
	r := New(1)
	if err := r.UnmarshalBinary(old); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 1000; i++ {
		if a, b := s.Uint32(), r.Uint32(); a != b {
			t.Fatalf("output %d after restore: %d vs %d", i, a, b)
		}
	}
	old[4*n+4] = 2
	if err := r.UnmarshalBinary(old); err == nil {
		t.Fatal("a spare flag of 2 accepted")
	}
}

func TestDistributions(t *testing.T) {
	s := New(42)
	const draws = 200000
	var sum, sumSq float64
	for i := 0; i < draws; i++ {
		g := float64(s.Gaussian(1, 2))
		sum += g
		sumSq += g * g
	}
	mean := sum / draws
	std := math.Sqrt(sumSq/draws - mean*mean)
	if math.Abs(mean-1) > 0.02 || math.Abs(std-2) > 0.02 {
		t.Errorf("gaussian mean %g std %g, want 1 and 2", mean, std)
	}
	sum = 0
	for i := 0; i < draws; i++ {
		u := s.Uniform(-1, 3)
		if u < -1 || u > 3 {
			t.Fatalf("uniform draw %g out of [-1, 3]", u)
		}
		sum += float64(u)
	}
	if m := sum / draws; math.Abs(m-1) > 0.02 {
		t.Errorf("uniform mean %g, want 1", m)
	}
	counts := make([]int, 7)
	for i := 0; i < draws; i++ {
		counts[s.Intn(7)]++
	}
	for v, c := range counts {
		if math.Abs(float64(c)/draws-1.0/7) > 0.01 {
			t.Errorf("Intn(7) gave %d %d times", v, c)
		}
	}
	hits := 0
	for i := 0; i < draws; i++ {
		if s.Bernoulli(0.3) {
			hits++
		}
	}
	if math.Abs(float64(hits)/draws-0.3) > 0.01 {
		t.Errorf("Bernoulli(0.3) rate %g", float64(hits)/draws)
	}
}

// TestHandValues checks a few draws worked out by hand from Boost's algorithms on the
// first output of mt19937(1701), u = 0x16e518ae = 384112814.
func TestHandValues(t *testing.T) {
	const u = 0x16e518ae
	// uniform_real<float>(0, nextafter(1)): float(u) = 384112800 (u rounded to 24
	// significant bits, a multiple of 32), / 2^32 = 0.08943...; times the width
	// nextafter(1) − 0 = 1 + 2^-23, rounded; plus 0.
	num := float32(384112800)
	if float32(u) != num {
		t.Fatalf("float32(u) = %v", float32(u))
	}
	want := float32(num/(1<<32)*(1+0x1p-23)) + 0
	if got := New(1701).Uniform(0, 1); got != want || math.Float32bits(got) != 0x3db728c6 {
		t.Errorf("Uniform(0, 1) = %x, want %x (Boost: 3db728c6)", math.Float32bits(got), math.Float32bits(want))
	}
	// Bernoulli<double>(0.5): u <= 0.5·(2^32 − 1) = 2147483647.5, true.
	if !New(1701).Bernoulli(0.5) {
		t.Error("Bernoulli(0.5) of a small u is false")
	}
	// Normal: bucket u & 255 = 0xae = 174: sign bit 0 (negative), layer 87;
	// x = (u >> 8)·2^-24 · x[87] = 0x16e518 · 2^-24 · 1.1795873846544607 = 0.10926...,
	// below x[88] = 1.1653..., so the draw is −x.
	x := float32(0x16e518) * 0x1p-24 * float32(normalX[87])
	if got := New(1701).Gaussian(0, 1); got != -x || math.Float32bits(got) != 0xbddfc6d0 {
		t.Errorf("Gaussian(0, 1) = %x, want %x (Boost: bddfc6d0)", math.Float32bits(got), math.Float32bits(-x))
	}
	// uniform_int<long>(0, 6): bucket (2^32 − 1) / 7 = 613566756 (remainder 3, not 6);
	// u / bucket = 0.
	if got := New(1701).UniformInt(0, 6); got != 0 {
		t.Errorf("UniformInt(0, 6) = %d, want 0", got)
	}
}
