// Package blastest is the conformance suite every blas.Gemmer passes, as gonum's
// testblas is for gonum's BLAS implementations: one function, Gemmer, that an
// implementation's test calls with the implementation. It checks the contract of
// blas.Gemmer, not an implementation's order of additions: every element of C must lie
// within the rounding error a float32 sum of k products can make, whatever the
// order, of a float64 reference computed here.
//
// Naive and Gonum (package blas), Fast and Ordered (the products of the fast and caffe
// numerics, on every kernel the machine has) and the real OpenBLAS (package
// internal/math/openblas, built with the openblas tag) all run it. Whether Ordered
// gives OpenBLAS's bits is another question, which those packages' own tests answer.
package blastest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/gocaffe/gocaffe/internal/math/blas"
)

// Shape is the m×n×k of a product: op(A) is m×k, op(B) k×n, C m×n.
type Shape struct{ M, N, K int }

// Shapes are the sizes the suite always tries: tiny ones, sizes that are multiples of
// no block, thin and long ones, an empty sum (k = 0) and empty matrices.
var Shapes = []Shape{
	{1, 1, 1}, {3, 5, 7}, {16, 16, 16}, {17, 33, 9}, {64, 1, 200}, {1, 100, 31}, {50, 20, 800},
	{129, 67, 45}, {5, 4, 0}, {0, 3, 4}, {3, 0, 4}, {7, 9, 11}, {20, 576, 25}, {50, 64, 500},
}

// threadShapes are big enough for a parallel implementation to cut into several
// tiles, in both directions; Gemmer runs them under several GOMAXPROCS values.
var threadShapes = []Shape{{96, 301, 363}, {500, 80, 64}, {64, 500, 80}, {200, 200, 50}, {31, 1000, 40}, {1000, 7, 70}}

// scalars are the (alpha, beta) pairs tried on every shape: beta 0 (C is not read:
// the suite fills it with NaN), 1 (accumulate) and others, and a negative alpha.
var scalars = [][2]float32{{1, 0}, {0.5, 1}, {-2, 0.25}, {1.5, 0}, {0.75, -1}}

// edgeScalars are those tried on an implementation's own shapes, which are bigger.
var edgeScalars = [][2]float32{{1.5, 0}, {-1, 0.5}, {0.75, 1}}

// Options are what an implementation adds to the suite.
type Options struct {
	// Shapes are the implementation's own edge sizes (around its blocks), tried
	// besides Shapes with fewer scalars.
	Shapes []Shape
	// AlphaZeroSkipsAB says that with alpha = 0 the implementation does not read A and
	// B, as BLAS promises ("A and B are not referenced"): the suite then checks it
	// with A and B full of NaN. Without it, alpha = 0 is checked on finite operands.
	AlphaZeroSkipsAB bool
}

// Gemmer runs the conformance suite on g: every shape of Shapes and of opts.Shapes, in
// every transposition, with tight and padded leading dimensions, for several alpha
// and beta; then alpha = 0, repeatability, products under several GOMAXPROCS values
// and from several goroutines at once. Under go test -short the big shapes, the
// thread sweep and the concurrent rounds are cut down.
func Gemmer(t *testing.T, g blas.Gemmer, opts Options) {
	t.Run("shapes", func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, s := range Shapes {
			for i, c := range cases(s, scalars) {
				// Under -short, the big shapes get one case per transposition, a
				// different scalar pair and padding for each.
				if big := s.M*s.N*s.K > 100000; big && testing.Short() && i%10 != i/10*3 {
					continue
				}
				if err := check(g, c, r); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(opts.Shapes) > 0 && testing.Short() {
			t.Log("-short: one product on each of the implementation's shapes, the transposition and padding rotating; the full suite tries every transposition, three scalar pairs and two paddings on each")
		}
		for si, s := range opts.Shapes {
			for i, c := range cases(s, edgeScalars) {
				// cases go by transposition, then scalars, then padding.
				if testing.Short() && i != si%4*2*len(edgeScalars)+2+si%2 {
					continue
				}
				if err := check(g, c, r); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	t.Run("alpha0", func(t *testing.T) { alphaZero(t, g, opts.AlphaZeroSkipsAB) })
	t.Run("repeatable", func(t *testing.T) { repeatable(t, g) })
	t.Run("threads", func(t *testing.T) { threads(t, g) })
	t.Run("concurrent", func(t *testing.T) { concurrent(t, g) })
}

// Case is one product: its shape, transpositions, scalars and the padding added to
// every leading dimension.
type Case struct {
	Shape
	TransA, TransB bool
	Alpha, Beta    float32
	Pad            int
}

func (c Case) String() string {
	return fmt.Sprintf("%dx%dx%d_tA%v_tB%v_a%g_b%g_pad%d", c.M, c.N, c.K, c.TransA, c.TransB, c.Alpha, c.Beta, c.Pad)
}

// cases are the products tried on one shape.
func cases(s Shape, scalars [][2]float32) []Case {
	var cs []Case
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for _, ab := range scalars {
				for _, pad := range []int{0, 3} {
					cs = append(cs, Case{s, tA, tB, ab[0], ab[1], pad})
				}
			}
		}
	}
	return cs
}

// operands are a case's A, B and C, each exactly as long as its leading dimension
// and rows require (so that a read past the end panics), filled with standard normal
// draws; C holds NaN where beta is 0, and in its padding.
type operands struct {
	a, b, c       []float32
	lda, ldb, ldc int
}

func newOperands(c Case, r *rand.Rand) operands {
	rowsA, colsA := c.M, c.K
	if c.TransA {
		rowsA, colsA = c.K, c.M
	}
	rowsB, colsB := c.K, c.N
	if c.TransB {
		rowsB, colsB = c.N, c.K
	}
	o := operands{lda: colsA + c.Pad, ldb: colsB + c.Pad, ldc: c.N + c.Pad}
	o.a = normal(r, span(rowsA, colsA, o.lda))
	o.b = normal(r, span(rowsB, colsB, o.ldb))
	o.c = normal(r, span(c.M, c.N, o.ldc))
	for i := range o.c {
		if c.Beta == 0 || i%o.ldc >= c.N {
			o.c[i] = float32(math.NaN())
		}
	}
	// The leading dimensions must be at least 1, as in BLAS.
	o.lda, o.ldb, o.ldc = max(o.lda, 1), max(o.ldb, 1), max(o.ldc, 1)
	return o
}

// span is the length of a rows×cols matrix with leading dimension ld.
func span(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}

func normal(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// run computes the case with g on fresh operands and returns them with the C g made.
func run(g blas.Gemmer, c Case, r *rand.Rand) (o operands, got []float32) {
	o = newOperands(c, r)
	got = append([]float32(nil), o.c...)
	g.Sgemm(c.TransA, c.TransB, c.M, c.N, c.K, c.Alpha, o.a, o.lda, o.b, o.ldb, c.Beta, got, o.ldc)
	return o, got
}

// check runs one case through g and compares every element of C with the float64
// reference: within (k + 2)·2⁻²³·(|alpha|·Σ|a·b| + |beta·c|), the bound of any
// order of float32 additions (with or without fused multiply-adds), and the padding
// of C left as it was.
func check(g blas.Gemmer, c Case, r *rand.Rand) error {
	o, got := run(g, c, r)
	return compare(c, o, got)
}

func compare(c Case, o operands, got []float32) error {
	// op(A) by rows and op(B) by columns, in float64, so that each element of C is one
	// contiguous dot product.
	opA, opBT := make([]float64, c.M*c.K), make([]float64, c.N*c.K)
	for i := 0; i < c.M; i++ {
		for p := 0; p < c.K; p++ {
			if c.TransA {
				opA[i*c.K+p] = float64(o.a[p*o.lda+i])
			} else {
				opA[i*c.K+p] = float64(o.a[i*o.lda+p])
			}
		}
	}
	for j := 0; j < c.N; j++ {
		for p := 0; p < c.K; p++ {
			if c.TransB {
				opBT[j*c.K+p] = float64(o.b[j*o.ldb+p])
			} else {
				opBT[j*c.K+p] = float64(o.b[p*o.ldb+j])
			}
		}
	}
	eps := math.Ldexp(1, -23) * float64(c.K+2)
	for i := 0; i < c.M; i++ {
		rowA := opA[i*c.K : (i+1)*c.K]
		for j := 0; j < o.ldc && i*o.ldc+j < len(got); j++ {
			idx := i*o.ldc + j
			if j >= c.N {
				if math.Float32bits(got[idx]) != math.Float32bits(o.c[idx]) {
					return fmt.Errorf("%v: wrote C's padding at [%d,%d]: %v", c, i, j, got[idx])
				}
				continue
			}
			colB := opBT[j*c.K : (j+1)*c.K]
			var sum, abs float64
			for p, a := range rowA {
				ab := a * colB[p]
				sum += ab
				abs += math.Abs(ab)
			}
			want := float64(c.Alpha) * sum
			tol := eps * math.Abs(float64(c.Alpha)) * abs
			if c.Beta != 0 {
				bc := float64(c.Beta) * float64(o.c[idx])
				want += bc
				tol += eps * math.Abs(bc)
			}
			tol += 1e-30
			if v := float64(got[idx]); math.IsNaN(v) || math.Abs(v-want) > tol {
				return fmt.Errorf("%v: C[%d,%d] = %v, want %v ± %.3g", c, i, j, got[idx], want, tol)
			}
		}
	}
	return nil
}

// alphaZero checks that with alpha = 0 C becomes beta·C, also for beta 0; with
// skipsAB, A and B hold NaN, which must not reach C.
func alphaZero(t *testing.T, g blas.Gemmer, skipsAB bool) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, s := range []Shape{{2, 2, 2}, {7, 9, 11}, {33, 65, 17}} {
		a, b := normal(r, s.M*s.K), normal(r, s.K*s.N)
		if skipsAB {
			for i := range a {
				a[i] = float32(math.NaN())
			}
			for i := range b {
				b[i] = float32(math.NaN())
			}
		}
		for _, beta := range []float32{0.5, 0} {
			c := make([]float32, s.M*s.N)
			for i := range c {
				c[i] = float32(i + 1)
			}
			g.Sgemm(false, false, s.M, s.N, s.K, 0, a, s.K, b, s.N, beta, c, s.N)
			for i, v := range c {
				if want := beta * float32(i+1); v != want {
					t.Fatalf("%v, alpha = 0, beta = %v (A and B NaN: %v): C[%d] = %v, want beta·C = %v", s, beta, skipsAB, i, v, want)
				}
			}
		}
	}
}

// repeatable checks that the same call on the same operands gives the same bits.
func repeatable(t *testing.T, g blas.Gemmer) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, c := range []Case{
		{Shape{129, 67, 45}, false, false, 1, 0, 0},
		{Shape{96, 301, 363}, false, true, 1, 1, 1},
		{Shape{50, 64, 500}, true, false, -0.5, 0.25, 0},
	} {
		o, first := run(g, c, r)
		again := append([]float32(nil), o.c...)
		g.Sgemm(c.TransA, c.TransB, c.M, c.N, c.K, c.Alpha, o.a, o.lda, o.b, o.ldb, c.Beta, again, o.ldc)
		for i := range first {
			if math.Float32bits(first[i]) != math.Float32bits(again[i]) {
				t.Fatalf("%v: C[%d] = %v, then %v on the same call", c, i, first[i], again[i])
			}
		}
	}
}

// threads runs products big enough to be cut into tiles under several GOMAXPROCS
// values, whatever the number of cores.
func threads(t *testing.T, g blas.Gemmer) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	procs, shapes := []int{1, 2, 3, 4, 7}, threadShapes
	if testing.Short() {
		procs, shapes = []int{3}, threadShapes[:3]
		t.Log("-short: GOMAXPROCS 3 on three shapes; the full suite runs 1, 2, 3, 4 and 7 on six")
	}
	r := rand.New(rand.NewPCG(9, 10))
	for _, p := range procs {
		runtime.GOMAXPROCS(p)
		for _, s := range shapes {
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					if err := check(g, Case{s, tA, tB, 1, 0, 1}, r); err != nil {
						t.Fatalf("GOMAXPROCS %d: %v", p, err)
					}
				}
			}
			if err := check(g, Case{s, false, false, 0.5, 2, 0}, r); err != nil {
				t.Fatalf("GOMAXPROCS %d: %v", p, err)
			}
		}
	}
}

// concurrent calls g from several goroutines at once, as the layers' parallel
// workers do, each with its own product and its own answer to check.
func concurrent(t *testing.T, g blas.Gemmer) {
	cs := []Case{
		{Shape{50, 64, 500}, false, false, 1, 0, 0},
		{Shape{96, 300, 363}, false, true, 1, 0, 0},
		{Shape{363, 300, 96}, true, false, 1, 1, 0},
		{Shape{64, 500, 80}, false, true, 1, 0, 2},
		{Shape{20, 576, 25}, false, false, 1, 0, 0},
		{Shape{500, 80, 64}, true, false, 1, 0, 0},
		{Shape{7, 9, 11}, true, true, 1, 0, 0},
		{Shape{129, 67, 45}, false, false, -1, 0.5, 1},
	}
	rounds := 3
	if testing.Short() {
		rounds = 1
	}
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(11, uint64(i)))
			for range rounds {
				if err := check(g, c, r); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
