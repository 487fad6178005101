package rng

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// golden is one case of testdata/boost_1_74.txt (see testdata/boost_oracle.cpp): a
// distribution, its parameters, and either its first draws or the hash of all of
// them, then the engine's next raw output.
type golden struct {
	line   int
	kind   string
	hashed bool
	params map[string]string
	values []uint64 // when not hashed
	hash   uint64   // when hashed
	next   uint32
}

// readGolden reads the cases and the tables of the golden file.
func readGolden(t *testing.T) (cases []golden, tables map[string][][2]float64) {
	t.Helper()
	f, err := os.Open("testdata/boost_1_74.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tables = map[string][][2]float64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.HasPrefix(text, "#") || text == "" {
			continue
		}
		head, rest, ok := strings.Cut(text, " : ")
		if !ok {
			t.Fatalf("line %d: no ' : '", line)
		}
		fields := strings.Fields(head)
		if fields[0] == "table" {
			vals := strings.Fields(rest)
			var pair [2]float64
			for i := range pair {
				if pair[i], err = strconv.ParseFloat(vals[i], 64); err != nil {
					t.Fatalf("line %d: %v", line, err)
				}
			}
			tables[fields[1]] = append(tables[fields[1]], pair)
			continue
		}
		g := golden{line: line, kind: fields[0], params: map[string]string{}}
		g.kind, g.hashed = strings.CutSuffix(g.kind, "_hash")
		for _, kv := range fields[1:] {
			k, v, _ := strings.Cut(kv, "=")
			g.params[k] = v
		}
		vals, next, ok := strings.Cut(rest, " | next=")
		if !ok {
			t.Fatalf("line %d: no next", line)
		}
		nx, err := strconv.ParseUint(next, 16, 32)
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		g.next = uint32(nx)
		if g.hashed {
			if g.hash, err = strconv.ParseUint(strings.TrimPrefix(vals, "fnv="), 16, 64); err != nil {
				t.Fatalf("line %d: %v", line, err)
			}
		} else {
			for _, v := range strings.Fields(vals) {
				u, err := strconv.ParseUint(v, 16, 64)
				if err != nil {
					t.Fatalf("line %d: %v", line, err)
				}
				g.values = append(g.values, u)
			}
		}
		cases = append(cases, g)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cases, tables
}

func (g golden) int(t *testing.T, k string) int64 {
	v, err := strconv.ParseInt(g.params[k], 10, 64)
	if err != nil {
		t.Fatalf("line %d: %s: %v", g.line, k, err)
	}
	return v
}

func (g golden) float(t *testing.T, k string) float64 {
	v, err := strconv.ParseFloat(g.params[k], 64)
	if err != nil {
		t.Fatalf("line %d: %s: %v", g.line, k, err)
	}
	return v
}

// fnv is the FNV-1a hash of the oracle.
type fnv uint64

func (h *fnv) add(v uint64, bytes int) {
	for i := 0; i < bytes; i++ {
		*h ^= fnv(v >> (8 * i) & 0xff)
		*h *= 1099511628211
	}
}

// TestBoostDistributions draws what the oracle drew, from sources seeded alike, and
// compares every value (or the hash of a million) and the engine's next output.
func TestBoostDistributions(t *testing.T) {
	cases, _ := readGolden(t)
	kinds := map[string]int{}
	for _, g := range cases {
		name := fmt.Sprintf("line%d_%s", g.line, g.kind)
		t.Run(name, func(t *testing.T) {
			kinds[g.kind]++
			s := New(uint32(g.int(t, "seed")))
			count := int(g.int(t, "n"))
			var got []uint64
			h := fnv(1469598103934665603)
			emit := func(v uint64, bytes int) {
				if g.hashed {
					h.add(v, bytes)
				} else {
					got = append(got, v)
				}
			}
			f32 := func(v float32) { emit(uint64(math.Float32bits(v)), 4) }
			bit := func(b bool) {
				if b {
					emit(1, 1)
				} else {
					emit(0, 1)
				}
			}
			switch g.kind {
			case "mt19937":
				for i := 0; i < count; i++ {
					emit(uint64(s.Uint32()), 4)
				}
			case "uniform":
				a, b := float32(g.float(t, "a")), float32(g.float(t, "b"))
				for i := 0; i < count; i++ {
					f32(s.Uniform(a, b))
				}
			case "gaussian":
				mean, sigma := float32(g.float(t, "mean")), float32(g.float(t, "sigma"))
				for i := 0; i < count; i++ {
					f32(s.Gaussian(mean, sigma))
				}
			case "exponential":
				lambda := float32(g.float(t, "lambda"))
				for i := 0; i < count; i++ {
					f32(s.exponential(lambda))
				}
			case "bernoulli_float":
				p := float32(g.float(t, "p"))
				for i := 0; i < count; i++ {
					bit(s.Bernoulli32(p))
				}
			case "bernoulli_double":
				p := g.float(t, "p")
				for i := 0; i < count; i++ {
					bit(s.Bernoulli(p))
				}
			case "uniform_int":
				lo, hi := g.int(t, "min"), g.int(t, "max")
				for i := 0; i < count; i++ {
					emit(uint64(s.UniformInt(lo, hi)), 8)
				}
			case "shuffle":
				v := make([]uint64, count)
				for i := range v {
					v[i] = uint64(i)
				}
				s.Shuffle(count, func(i, j int) { v[i], v[j] = v[j], v[i] })
				for _, x := range v {
					emit(x, 8)
				}
			default:
				t.Fatalf("unknown case %q", g.kind)
			}
			if g.hashed {
				if uint64(h) != g.hash {
					t.Errorf("hash of %d draws %016x, Boost's %016x", count, uint64(h), g.hash)
				}
			} else {
				for i := range g.values {
					if i >= len(got) || got[i] != g.values[i] {
						t.Fatalf("draw %d: got %x, Boost drew %x (all: got %x, want %x)", i, got[min(i, len(got)-1)], g.values[i], got, g.values)
					}
				}
			}
			if next := s.Uint32(); next != g.next {
				t.Errorf("engine's next output %08x, Boost's %08x: a different number of draws was taken", next, g.next)
			}
		})
	}
	for _, k := range []string{"mt19937", "uniform", "gaussian", "exponential", "bernoulli_float", "bernoulli_double", "uniform_int", "shuffle"} {
		if kinds[k] == 0 {
			t.Errorf("the golden file has no %s case", k)
		}
	}
}

// TestZigguratTables compares gen_tables.go's tables with Boost's.
func TestZigguratTables(t *testing.T) {
	_, tables := readGolden(t)
	for _, tt := range []struct {
		name string
		x, y []float64
	}{{"normal", normalX[:], normalY[:]}, {"exponential", exponentialX[:], exponentialY[:]}} {
		want := tables[tt.name]
		if len(want) != len(tt.x) {
			t.Fatalf("%s: Boost's table has %d rows, ours %d", tt.name, len(want), len(tt.x))
		}
		for i, w := range want {
			if tt.x[i] != w[0] || tt.y[i] != w[1] {
				t.Errorf("%s[%d] = (%x, %x), Boost's (%x, %x)", tt.name, i, tt.x[i], tt.y[i], w[0], w[1])
			}
		}
	}
}

// TestGaussianPaths checks that the hashed Gaussian draws of the golden file take
// every path of the ziggurat: the tail (|z| beyond x[1]) and the wedges (a
// uniform_01 draw more than one engine output per value).
func TestGaussianPaths(t *testing.T) {
	s := New(1701)
	tails, extra := 0, 0
	for i := 0; i < 1000000; i++ {
		before := s.index
		z := s.unitNormal()
		if math.Abs(float64(z)) > normalX[1] {
			tails++
		}
		used := s.index - before // fewer than n outputs per draw
		if used <= 0 {
			used += n
		}
		if used > 1 {
			extra++
		}
	}
	if tails < 100 || extra < 1000 {
		t.Errorf("%d tail draws and %d draws of more than one output in a million", tails, extra)
	}
}
