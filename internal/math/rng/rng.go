// Package rng is gocaffe's random source: a 32-bit Mersenne Twister (MT19937, the
// generator Caffe draws from) with the distributions the fillers, dropout, data
// transforms and shuffles need.
//
// Its whole state can be saved and restored (MarshalBinary / UnmarshalBinary), which
// is what lets a resumed training run draw exactly the numbers the uninterrupted run
// would have drawn. Caffe's boost distributions are not reproduced bit for bit; runs
// are repeatable within gocaffe, not against Caffe's random draws.
package rng

import (
	"encoding/binary"
	"errors"
	"math"
)

const (
	n         = 624
	m         = 397
	matrixA   = 0x9908b0df
	upperMask = 0x80000000
	lowerMask = 0x7fffffff
)

// Source is a seeded MT19937 generator. It is not safe for concurrent use: layers draw
// their random numbers on one goroutine, in a fixed order, so runs repeat exactly.
type Source struct {
	mt       [n]uint32
	index    int
	hasSpare bool    // Gaussian draws come in pairs; the second waits here
	spare    float64 // the waiting Gaussian draw
}

// New returns a source seeded with seed, as boost::mt19937(seed) is.
func New(seed uint32) *Source {
	s := &Source{}
	s.Seed(seed)
	return s
}

// Seed restarts the source from seed.
func (s *Source) Seed(seed uint32) {
	s.mt[0] = seed
	for i := 1; i < n; i++ {
		s.mt[i] = 1812433253*(s.mt[i-1]^(s.mt[i-1]>>30)) + uint32(i)
	}
	s.index = n
	s.hasSpare = false
	s.spare = 0
}

// Uint32 returns the next raw 32-bit output.
func (s *Source) Uint32() uint32 {
	if s.index >= n {
		s.twist()
	}
	y := s.mt[s.index]
	s.index++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

func (s *Source) twist() {
	for i := 0; i < n; i++ {
		y := (s.mt[i] & upperMask) | (s.mt[(i+1)%n] & lowerMask)
		v := s.mt[(i+m)%n] ^ (y >> 1)
		if y&1 != 0 {
			v ^= matrixA
		}
		s.mt[i] = v
	}
	s.index = 0
}

// Float64 returns a uniform draw in [0, 1) with 53 random bits.
func (s *Source) Float64() float64 {
	a, b := s.Uint32()>>5, s.Uint32()>>6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// Uniform returns a uniform float32 draw in [lo, hi].
func (s *Source) Uniform(lo, hi float32) float32 {
	return lo + (hi-lo)*float32(s.Float64())
}

// Gaussian returns a normal draw with the given mean and standard deviation
// (Marsaglia's polar method).
func (s *Source) Gaussian(mean, std float32) float32 {
	if s.hasSpare {
		s.hasSpare = false
		return mean + std*float32(s.spare)
	}
	for {
		u := 2*s.Float64() - 1
		v := 2*s.Float64() - 1
		r := u*u + v*v
		if r > 0 && r < 1 {
			f := math.Sqrt(-2 * math.Log(r) / r)
			s.spare, s.hasSpare = v*f, true
			return mean + std*float32(u*f)
		}
	}
}

// Bernoulli returns true with probability p.
func (s *Source) Bernoulli(p float64) bool { return s.Float64() < p }

// Intn returns a uniform draw in [0, k). It panics if k <= 0.
func (s *Source) Intn(k int) int {
	if k <= 0 {
		panic("rng: Intn of a non-positive bound")
	}
	if k <= 1<<32 {
		bound := uint64(k)
		// Reject the top of the range so every value is equally likely.
		limit := (uint64(1) << 32) / bound * bound
		for {
			v := uint64(s.Uint32())
			if v < limit {
				return int(v % bound)
			}
		}
	}
	return int(s.Float64() * float64(k))
}

// Shuffle permutes n items by Fisher–Yates, calling swap(i, j).
func (s *Source) Shuffle(count int, swap func(i, j int)) {
	for i := count - 1; i > 0; i-- {
		swap(i, s.Intn(i+1))
	}
}

// stateSize is the length of a marshalled state: the 624 words, the index, the spare
// flag and the spare value.
const stateSize = 4*n + 4 + 1 + 8

// MarshalBinary returns the whole state of the source.
func (s *Source) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, stateSize)
	for _, v := range s.mt {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(s.index))
	if s.hasSpare {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(s.spare)), nil
}

// UnmarshalBinary restores a state made by MarshalBinary.
func (s *Source) UnmarshalBinary(b []byte) error {
	if len(b) != stateSize {
		return errors.New("rng: saved state has the wrong length")
	}
	var t Source
	for i := range t.mt {
		t.mt[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	t.index = int(binary.LittleEndian.Uint32(b[4*n:]))
	if t.index > n || b[4*n+4] > 1 {
		return errors.New("rng: saved state is corrupt")
	}
	t.hasSpare = b[4*n+4] == 1
	t.spare = math.Float64frombits(binary.LittleEndian.Uint64(b[4*n+5:]))
	*s = t
	return nil
}
