// boost_oracle prints draws of Boost.Random as Caffe 1.0 makes them: a boost::mt19937
// behind boost::variate_generator<boost::mt19937*, D> for D = uniform_real<float>
// (with Caffe's caffe_nextafter on the upper bound), normal_distribution<float>,
// bernoulli_distribution<float> and <double>, and uniform_int<long> as Caffe's
// shuffle uses it; also exponential_distribution<float>, which the normal
// distribution's tail draws from, and the ziggurat tables of both.
//
// Its output is boost_1_74.txt, the golden file of the rng package's tests. Made on
// Debian 12 (g++ 12.2, libboost-dev 1.74.0.3; the flags of Caffe's release build),
// from this folder:
//
//	g++ -O2 -DNDEBUG -std=c++11 -o /tmp/boost_oracle boost_oracle.cpp -lm
//	/tmp/boost_oracle > boost_1_74.txt
//
// Each line is one case: "<kind> <parameters> : <values> | next=<the engine's next raw
// output>", the last showing that the case consumed exactly as many engine outputs as
// the Go code does. Floats are printed as the hex of their bits and parameters as C's
// %a; "_hash" cases give the FNV-1a (64-bit) hash of the little-endian bytes of all
// their values instead of the values. Not part of the build: the tests read its output.
#include <boost/math/special_functions/next.hpp>
#include <boost/random.hpp>

#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

typedef boost::mt19937 rng_t;

static uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

struct Fnv {
  uint64_t h = 1469598103934665603ULL;
  void add(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ULL;
    }
  }
};

// One case: either the first n values or, when hash is set, the hash of n values.
struct Out {
  std::string head;
  bool hash;
  Fnv fnv;
  std::string vals;
  Out(const std::string& h, bool hashed) : head(h), hash(hashed) {}
  void add(uint64_t v, int nbytes) {
    if (hash) {
      fnv.add(v, nbytes);
      return;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, " %llx", (unsigned long long)v);
    vals += buf;
  }
  void done(rng_t* rng) {
    unsigned next = (*rng)();
    if (hash) {
      std::printf("%s : fnv=%016llx | next=%08x\n", head.c_str(), (unsigned long long)fnv.h, next);
    } else {
      std::printf("%s :%s | next=%08x\n", head.c_str(), vals.c_str(), next);
    }
  }
};

static std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
static std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

// As Caffe's caffe_rng_uniform: U[a, nextafter(b)).
static void uniform(unsigned seed, float a, float b, int n, bool hash) {
  rng_t rng(seed);
  Out o(fmt("uniform%s seed=%u a=%a b=%a n=%d", hash ? "_hash" : "", seed, a, b, n), hash);
  boost::uniform_real<float> dist(a, boost::math::nextafter<float>(b, std::numeric_limits<float>::max()));
  boost::variate_generator<rng_t*, boost::uniform_real<float> > gen(&rng, dist);
  for (int i = 0; i < n; ++i) o.add(bits(gen()), 4);
  o.done(&rng);
}

// As Caffe's caffe_rng_gaussian.
static void gaussian(unsigned seed, float mean, float sigma, int n, bool hash) {
  rng_t rng(seed);
  Out o(fmt("gaussian%s seed=%u mean=%a sigma=%a n=%d", hash ? "_hash" : "", seed, mean, sigma, n), hash);
  boost::normal_distribution<float> dist(mean, sigma);
  boost::variate_generator<rng_t*, boost::normal_distribution<float> > gen(&rng, dist);
  for (int i = 0; i < n; ++i) o.add(bits(gen()), 4);
  o.done(&rng);
}

static void exponential(unsigned seed, float lambda, int n, bool hash) {
  rng_t rng(seed);
  Out o(fmt("exponential%s seed=%u lambda=%a n=%d", hash ? "_hash" : "", seed, lambda, n), hash);
  boost::exponential_distribution<float> dist(lambda);
  boost::variate_generator<rng_t*, boost::exponential_distribution<float> > gen(&rng, dist);
  for (int i = 0; i < n; ++i) o.add(bits(gen()), 4);
  o.done(&rng);
}

// As Caffe's caffe_rng_bernoulli<Dtype>: the sparse gaussian filler calls it with a
// float p, Dropout with the double 1. - threshold_.
template <typename Real>
static void bernoulli(const char* kind, unsigned seed, Real p, int n, bool hash) {
  rng_t rng(seed);
  Out o(fmt("%s%s seed=%u p=%a n=%d", kind, hash ? "_hash" : "", seed, (double)p, n), hash);
  boost::bernoulli_distribution<Real> dist(p);
  boost::variate_generator<rng_t*, boost::bernoulli_distribution<Real> > gen(&rng, dist);
  for (int i = 0; i < n; ++i) o.add(gen() ? 1 : 0, 1);
  o.done(&rng);
}

static void uniform_int(unsigned seed, long lo, long hi, int n) {
  rng_t rng(seed);
  Out o(fmt("uniform_int seed=%u min=%ld max=%ld n=%d", seed, lo, hi, n), false);
  boost::uniform_int<long> dist(lo, hi);
  for (int i = 0; i < n; ++i) o.add((uint64_t)dist(rng), 8);
  o.done(&rng);
}

// Caffe's shuffle (include/caffe/util/rng.hpp): Fisher-Yates from the back with
// boost::uniform_int<difference_type>(0, i).
static void shuffle(unsigned seed, long n, bool hash) {
  rng_t rng(seed);
  Out o(fmt("shuffle%s seed=%u n=%ld", hash ? "_hash" : "", seed, n), hash);
  std::vector<long> v(n);
  for (long i = 0; i < n; ++i) v[i] = i;
  for (long i = n - 1; i > 0; --i) {
    boost::uniform_int<long> dist(0, i);
    std::iter_swap(v.begin() + i, v.begin() + dist(rng));
  }
  for (long i = 0; i < n; ++i) o.add((uint64_t)v[i], 8);
  o.done(&rng);
}

static void mt(unsigned seed) {
  rng_t rng(seed);
  Out o(fmt("mt19937 seed=%u n=8", seed), false);
  for (int i = 0; i < 8; ++i) o.add(rng(), 4);
  o.done(&rng);
}

int main() {
  std::printf("# Boost %d.%d.%d, g++ %d.%d; see boost_oracle.cpp\n", BOOST_VERSION / 100000,
              BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100, __GNUC__, __GNUC_MINOR__);
  const double* nx = boost::random::detail::normal_table<double>::table_x;
  const double* ny = boost::random::detail::normal_table<double>::table_y;
  const double* ex = boost::random::detail::exponential_table<double>::table_x;
  const double* ey = boost::random::detail::exponential_table<double>::table_y;
  for (int i = 0; i < 129; ++i) std::printf("table normal %d : %a %a\n", i, nx[i], ny[i]);
  for (int i = 0; i < 257; ++i) std::printf("table exponential %d : %a %a\n", i, ex[i], ey[i]);

  for (unsigned seed : {0u, 1u, 1701u, 5489u, 4294967295u}) mt(seed);

  // Xavier's bound for a fan-in of 25, as Caffe computes it (float).
  const float xavier = std::sqrt(3.0f / 25.0f);
  uniform(1701, 0, 1, 64, false);
  uniform(1701, -1, 1, 64, false);
  uniform(1701, -xavier, xavier, 64, false);
  uniform(7, 2, 2, 16, false);
  uniform(7, -1e-30f, 1e-30f, 16, false);
  uniform(7, -std::numeric_limits<float>::max(), std::numeric_limits<float>::max(), 32, false);
  uniform(1701, -xavier, xavier, 1000000, true);
  uniform(42, 0, 1, 1000000, true);
  uniform(42, 100, 1000, 1000000, true);

  gaussian(1701, 0, 1, 64, false);
  gaussian(1701, 0, 0.0001f, 64, false);
  gaussian(1, 0.5f, 2, 64, false);
  gaussian(1701, 0, 1, 1000000, true);
  gaussian(42, 0, 0.01f, 1000000, true);
  gaussian(3, -1, 0.1f, 1000000, true);

  exponential(1701, 1, 64, false);
  exponential(1701, (float)boost::random::detail::normal_table<double>::table_x[1], 64, false);
  exponential(1701, 1, 1000000, true);
  exponential(5, 0.25f, 1000000, true);

  bernoulli<float>("bernoulli_float", 1701, 0.3f, 64, false);
  bernoulli<float>("bernoulli_float", 1701, 0.0f, 16, false);
  bernoulli<float>("bernoulli_float", 1701, 1.0f, 16, false);
  bernoulli<float>("bernoulli_float", 1701, float(15) / float(64), 1000000, true);
  bernoulli<double>("bernoulli_double", 1701, 1. - 0.5f, 64, false);
  bernoulli<double>("bernoulli_double", 1701, 1. - 0.3f, 1000000, true);
  bernoulli<double>("bernoulli_double", 9, 1. - 0.9f, 1000000, true);
  bernoulli<double>("bernoulli_double", 9, 1.0, 16, false);

  uniform_int(1701, 0, 0, 4);
  uniform_int(1701, 0, 1, 32);
  uniform_int(1701, 0, 6, 32);
  uniform_int(1701, -5, 5, 32);
  uniform_int(1701, 0, 999, 32);
  uniform_int(1701, 0, 2147483647L, 16);
  uniform_int(1701, 0, 2147483648L, 16);
  uniform_int(1701, 0, 4294967294L, 16);
  uniform_int(1701, 0, 4294967295L, 16);
  uniform_int(1701, 0, 4294967296L, 16);
  uniform_int(1701, 0, 1099511627775L, 16);
  uniform_int(1701, 0, 18446744073709551615UL / 2, 16);
  uniform_int(1701, 10, 18446744073709551615UL / 2, 16);

  shuffle(1701, 1, false);
  shuffle(1701, 2, false);
  shuffle(1701, 10, false);
  shuffle(1701, 64, false);
  shuffle(1701, 100000, true);
  return 0;
}
