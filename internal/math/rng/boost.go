package rng

import (
	"math"

	"github.com/gocaffe/gocaffe/internal/math/cmath"
)

// Boost.Random 1.74's distributions, as Caffe instantiates them, on the engine's raw
// 32-bit outputs u (Boost's eng() − eng.min(), min being 0). Every float32 operation
// below is one C++ float operation of Boost's source, rounded on its own: the
// products that C++ adds to something are converted to float32 before the addition,
// which keeps a Go compiler from fusing them (Caffe's x86-64 build has no FMA).
// Conversions of u to float32 round to nearest, as C++'s static_cast does.

// engineRange is float32(eng.max() − eng.min()) (2³² − 1 rounds to 2³²), and also
// float32(eng.max() − eng.min()) + 1 (2³² + 1 rounds back to 2³²).
const engineRange = 1 << 32

// Uniform returns one element of Caffe's caffe_rng_uniform(n, a, b, r): a draw of
// boost::uniform_real<float>(a, nextafter(b)), which is uniform on [a, b] with b
// reachable. It draws one or more outputs of the engine.
func (s *Source) Uniform(a, b float32) float32 {
	// caffe_nextafter: boost::math::nextafter(b, FLT_MAX), the next float up (b
	// itself if b is FLT_MAX).
	return s.UniformReal(a, math.Nextafter32(b, math.MaxFloat32))
}

// UniformReal returns a draw of boost::uniform_real<float>(lo, hi) (equivalently
// uniform_real_distribution<float>): uniform on [lo, hi), for lo < hi.
func (s *Source) UniformReal(lo, hi float32) float32 {
	// generate_uniform_real: halve a range wider than the largest float.
	if hi/2-lo/2 > math.MaxFloat32/2 {
		return 2 * s.UniformReal(lo/2, hi/2)
	}
	for {
		numerator := float32(s.Uint32())
		// numerator / divisor * (max − min) + min, left to right, each rounded.
		result := float32(numerator/engineRange*(hi-lo)) + lo
		if result < hi {
			return result
		}
	}
}

// uniform01 is boost::uniform_01<float>: u·2⁻³², drawn again when that rounds to 1.
func (s *Source) uniform01() float32 {
	for {
		// factor = 1 / (float(2³² − 1) + 1) = 2⁻³²
		if r := float32(s.Uint32()) * (1.0 / engineRange); r < 1 {
			return r
		}
	}
}

// intFloatPair is Boost's generate_int_float_pair<float, 8> on a 32-bit engine: one
// output u gives the 8-bit bucket u & 255 and the 24-bit fraction (u >> 8)·2⁻²⁴.
func (s *Source) intFloatPair() (float32, int) {
	u := s.Uint32()
	return float32(u>>8) * (1.0 / (1 << 24)), int(u & 0xff)
}

// Gaussian returns one element of Caffe's caffe_rng_gaussian(n, mean, sigma, r): a
// draw of boost::normal_distribution<float>(mean, sigma), z·sigma + mean for a unit
// normal z.
func (s *Source) Gaussian(mean, sigma float32) float32 {
	return float32(s.unitNormal()*sigma) + mean
}

// unitNormal is Boost 1.74's detail::unit_normal_distribution<float>: a ziggurat of
// 128 layers on the half-normal, the bucket's lowest bit giving the sign. Most draws
// take one engine output; a draw in a layer's wedge takes a uniform_01 draw more (and
// is tested against tangent and chord bounds, then expf), one in the base layer's tail
// comes from generate_tail.
func (s *Source) unitNormal() float32 {
	tx, ty := &normalX, &normalY
	for {
		r, i := s.intFloatPair()
		sign := float32((i&1)*2 - 1)
		i >>= 1
		x := r * float32(tx[i])
		if float64(x) < tx[i+1] { // float against double, as in Boost
			return x * sign
		}
		if i == 0 {
			return s.normalTail() * sign
		}
		y01 := s.uniform01()
		y := float32(ty[i]) + float32(y01*float32(ty[i+1]-ty[i]))
		// y minus the chord and minus the tangent at (x[i], y[i]); which is the upper
		// bound and which the lower depends on the curve's convexity there.
		chord := float32(float32(tx[i]-tx[i+1])*y01) - (float32(tx[i]) - x)
		tangent := y - (float32(ty[i]) + float32(float32((float32(tx[i])-x)*float32(ty[i]))*float32(tx[i])))
		aboveUpper, aboveLower := chord, tangent
		if tx[i] < 1 {
			aboveUpper, aboveLower = tangent, chord
		}
		if aboveUpper < 0 && (aboveLower < 0 || y < normalDensity(x)) {
			return x * sign
		}
	}
}

// normalDensity is Boost's f(x) = exp(−(x·x/2)) in float: glibc's expf.
func normalDensity(x float32) float32 { return cmath.Expf(-(float32(x*x) / 2)) }

// normalTail is Boost's generate_tail: the tail beyond x[1] by rejection from an
// exponential shifted to x[1].
func (s *Source) normalTail() float32 {
	start := float32(normalX[1])
	for {
		x := s.exponential(start)
		y := s.exponential(1)
		if 2*y > float32(x*x) {
			return x + start
		}
	}
}

// exponential is boost::exponential_distribution<float>(lambda): a unit exponential
// divided by lambda.
func (s *Source) exponential(lambda float32) float32 {
	return s.unitExponential() / lambda
}

// unitExponential is Boost 1.74's detail::unit_exponential_distribution<float>: a
// ziggurat of 256 layers; the tail, an exponential itself, repeats the draw shifted by
// x[1].
func (s *Source) unitExponential() float32 {
	tx, ty := &exponentialX, &exponentialY
	shift := float32(0)
	for {
		r, i := s.intFloatPair()
		x := r * float32(tx[i])
		if x < float32(tx[i+1]) { // float against float, unlike the normal's test
			return shift + x
		}
		if i == 0 {
			shift += float32(tx[1])
			continue
		}
		y01 := s.uniform01()
		y := float32(ty[i]) + float32(y01*float32(ty[i+1]-ty[i]))
		aboveUpper := float32(float32(tx[i]-tx[i+1])*y01) - (float32(tx[i]) - x)
		aboveLower := y - (float32(ty[i+1]) + float32((float32(tx[i+1])-x)*float32(ty[i+1])))
		if aboveUpper < 0 && (aboveLower < 0 || y < cmath.Expf(-x)) {
			return x + shift
		}
	}
}

// Bernoulli returns a draw of boost::bernoulli_distribution<double>(p): true when
// double(u) <= p·(2³² − 1). It draws nothing when p is 0. Caffe's Dropout calls it
// with p = 1. − dropout_ratio, a double.
func (s *Source) Bernoulli(p float64) bool {
	if p == 0 {
		return false
	}
	return float64(s.Uint32()) <= p*4294967295
}

// Bernoulli32 returns a draw of boost::bernoulli_distribution<float>(p): true when
// float(u) <= p·float(2³² − 1), in float. It draws nothing when p is 0. Caffe's sparse
// gaussian filler calls it with the float sparse / num_outputs.
func (s *Source) Bernoulli32(p float32) bool {
	if p == 0 {
		return false
	}
	return float32(s.Uint32()) <= p*engineRange
}

// brange is the engine's range, eng.max() − eng.min().
const brange = math.MaxUint32

// UniformInt returns a draw of boost::uniform_int<long>(lo, hi): uniform on the
// integers of [lo, hi], lo <= hi. A range narrower than the engine's takes the first
// output u whose u / bucket is in range; a wider one is built from several outputs.
func (s *Source) UniformInt(lo, hi int64) int64 {
	rng := uint64(hi) - uint64(lo)
	if rng == math.MaxUint64 {
		// Boost returns this range's draws without adding lo (see uniformRange).
		return int64(s.uniformRange(rng))
	}
	return lo + int64(s.uniformRange(rng))
}

// uniformRange is Boost's generate_uniform_int on [0, rng] in unsigned arithmetic.
func (s *Source) uniformRange(rng uint64) uint64 {
	switch {
	case rng == 0:
		return 0
	case rng == brange:
		return uint64(s.Uint32())
	case rng < brange:
		bucket := uint64(brange) / (rng + 1)
		if uint64(brange)%(rng+1) == rng {
			bucket++
		}
		for {
			if r := uint64(s.Uint32()) / bucket; r <= rng {
				return r
			}
		}
	}
	// Wider than the engine: digits in base 2³², then a top digit drawn recursively,
	// rejecting overflows and results above the range.
	var limit uint64
	if rng == math.MaxUint64 {
		limit = rng / (brange + 1)
		if rng%(brange+1) == brange {
			limit++
		}
	} else {
		limit = (rng + 1) / (brange + 1)
	}
	for {
		result, mult := uint64(0), uint64(1)
		for mult <= limit {
			result += uint64(s.Uint32()) * mult
			if mult*brange == rng-mult+1 {
				// The range is a power of 2³²: every result is in it.
				return result
			}
			mult *= brange + 1
		}
		inc := s.uniformRange(rng / mult)
		if math.MaxUint64/mult < inc {
			continue
		}
		inc *= mult
		result += inc
		if result < inc || result > rng {
			continue
		}
		return result
	}
}

// Intn returns a draw of boost::uniform_int<long>(0, k − 1). It panics if k <= 0.
func (s *Source) Intn(k int) int {
	if k <= 0 {
		panic("rng: Intn of a non-positive bound")
	}
	return int(s.UniformInt(0, int64(k)-1))
}

// Shuffle permutes count items as Caffe's caffe::shuffle does: for i from count − 1
// down to 1, swap(i, j) with j a draw of boost::uniform_int<long>(0, i).
func (s *Source) Shuffle(count int, swap func(i, j int)) {
	for i := count - 1; i > 0; i-- {
		swap(i, int(s.UniformInt(0, int64(i))))
	}
}
