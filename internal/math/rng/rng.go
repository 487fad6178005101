// Package rng is gocaffe's random source: Caffe's. A Source is a 32-bit Mersenne
// Twister (MT19937, Caffe's caffe::rng_t, boost::mt19937), and its distributions are
// Boost.Random 1.74's as Caffe 1.0 calls them, so that the same seed gives the same
// numbers bit for bit:
//
//	Uint32       caffe_rng_rand(): the engine's raw output
//	Uniform      one element of caffe_rng_uniform(n, a, b): boost::uniform_real<float>
//	             on [a, nextafter(b)) (Caffe widens the bound so b can be drawn)
//	Gaussian     one element of caffe_rng_gaussian: boost::normal_distribution<float>,
//	             Boost's ziggurat (its exp is glibc's expf, see cmath)
//	Bernoulli    boost::bernoulli_distribution<double> (Dropout's mask: Caffe passes
//	             the double 1. − dropout_ratio)
//	Bernoulli32  boost::bernoulli_distribution<float> (the sparse gaussian filler)
//	UniformInt   boost::uniform_int<long>; Intn(k) is UniformInt(0, k−1)
//	Shuffle      caffe::shuffle: Fisher–Yates from the back with UniformInt(0, i)
//
// Each function follows Boost's source step by step, with its float32 and float64
// roundings and comparisons, and is checked against the output of the real Boost 1.74
// (testdata/boost_1_74.txt, made by testdata/boost_oracle.cpp). The ziggurat tables
// are computed by gen_tables.go and equal Boost's to the bit.
//
// Caffe keeps one such source per thread. Which source each of Caffe's draws comes
// from, and in which order, is the callers' business (the solver seeds the one the
// nets share with random_seed; the data layers seed their own from it, as Caffe does).
//
// Its whole state can be saved and restored (MarshalBinary / UnmarshalBinary), which
// is what lets a resumed training run draw exactly the numbers the uninterrupted run
// would have drawn.
package rng

import (
	"encoding/binary"
	"errors"
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
// Its distributions keep no state of their own (as Boost 1.74's do not: its normal
// distribution is a ziggurat, with no second value waiting), so the engine's state
// is the whole state.
type Source struct {
	mt    [n]uint32
	index int
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
}

// Uint32 returns the next raw 32-bit output (Caffe's caffe_rng_rand()).
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

// stateSize is the length of a marshalled state: the 624 words, the index, and 9
// bytes that earlier gocaffe builds used for a waiting Gaussian draw (its polar
// method made them in pairs). They are written as zeros, so those builds read these
// states too.
const stateSize = 4*n + 4 + 1 + 8

// MarshalBinary returns the whole state of the source.
func (s *Source) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, stateSize)
	for _, v := range s.mt {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(s.index))
	return append(b, make([]byte, 9)...), nil
}

// UnmarshalBinary restores a state made by MarshalBinary. It also reads the states of
// gocaffe builds from before Caffe's distributions: their engine goes on where it
// stopped, and a Gaussian draw they kept waiting (of a method Caffe does not use) is
// dropped, so a run resumed from such a state continues deterministically but not as
// the old build would have.
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
	*s = t
	return nil
}
