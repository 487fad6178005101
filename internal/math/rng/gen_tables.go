//go:build ignore

// gen_tables computes the ziggurat tables of the normal and exponential
// distributions (Boost.Random's layout: 128 layers for the half-normal, 256 for the
// exponential) in 320-bit arithmetic and writes them, rounded to float64, to
// ziggurat_tables.go:
//
//	go run gen_tables.go
//
// For f(x) = exp(−x²/2) (normal) or exp(−x) (exponential) and n layers, the layers'
// right ends x[1] > x[2] > … > x[n] = 0 enclose equal areas v: the base layer is the
// rectangle [0, x[1]]×[0, f(x[1])] plus the tail beyond x[1], and layer i is the
// rectangle [0, x[i]]×[f(x[i]), f(x[i+1])], so x[i+1] = f⁻¹(f(x[i]) + v/x[i]).
// x[1] = r is found by bisection so that x[n] lands on 0; x[0] = v/f(r) is the width of
// a rectangle of the base layer's area, y[i] = f(x[i]), y[0] = 0 and y[n] = 1.
//
// TestZigguratTables checks every entry against Boost 1.74's own tables
// (testdata/boost_1_74.txt).
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"math"
	"math/big"
	"os"
	"strconv"
)

const prec = 320

func newf(x float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(x) }

func add(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Add(a, b) }
func sub(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Sub(a, b) }
func mul(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Mul(a, b) }
func quo(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(prec).Quo(a, b) }
func sqrt(a *big.Float) *big.Float   { return new(big.Float).SetPrec(prec).Sqrt(a) }

// exp is e^x: the Taylor series of x/2^k, squared k times.
func exp(x *big.Float) *big.Float {
	const k = 16
	y := new(big.Float).SetPrec(prec+32).SetMantExp(x, -k)
	sum := new(big.Float).SetPrec(prec + 32).SetInt64(1)
	term := new(big.Float).SetPrec(prec + 32).SetInt64(1)
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -(prec + 40))
	for n := int64(1); ; n++ {
		term.Mul(term, y)
		term.Quo(term, new(big.Float).SetInt64(n))
		sum.Add(sum, term)
		if new(big.Float).Abs(term).Cmp(eps) < 0 {
			break
		}
	}
	for i := 0; i < k; i++ {
		sum.Mul(sum, sum)
	}
	return new(big.Float).SetPrec(prec).Set(sum)
}

// log is ln a for a > 0, by Halley's iteration on exp from float64's logarithm.
func log_(a *big.Float) *big.Float {
	f, _ := a.Float64()
	y := newf(math.Log(f))
	two := newf(2)
	for i := 0; i < 6; i++ {
		e := exp(y)
		y = add(y, quo(mul(two, sub(a, e)), add(a, e)))
	}
	return y
}

// atanInv is atan(1/n).
func atanInv(n int64) *big.Float {
	x := quo(newf(1), newf(float64(n)))
	x2 := mul(x, x)
	sum, term := x, x
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -(prec + 8))
	for k := int64(1); ; k++ {
		term = mul(term, x2)
		t := quo(term, newf(float64(2*k+1)))
		if k%2 == 1 {
			sum = sub(sum, t)
		} else {
			sum = add(sum, t)
		}
		if t.Cmp(eps) < 0 {
			return sum
		}
	}
}

// pi by Machin's formula.
var pi = sub(mul(newf(16), atanInv(5)), mul(newf(4), atanInv(239)))

// normalTail is ∫_r^∞ exp(−x²/2) dx = √(π/2)·erfc(r/√2), with
// erf(z) = 2/√π·e^(−z²)·Σ 2ⁿz^(2n+1)/(1·3·…·(2n+1)).
func normalTail(r *big.Float) *big.Float {
	z := quo(r, sqrt(newf(2)))
	z2 := mul(z, z)
	term, sum := z, z
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -(prec + 8))
	for n := int64(1); ; n++ {
		term = quo(mul(term, mul(newf(2), z2)), newf(float64(2*n+1)))
		sum = add(sum, term)
		if term.Cmp(eps) < 0 {
			break
		}
	}
	erf := mul(mul(quo(newf(2), sqrt(pi)), exp(new(big.Float).Neg(z2))), sum)
	return mul(sqrt(quo(pi, newf(2))), sub(newf(1), erf))
}

type dist struct {
	name   string
	layers int
	lo, hi float64                     // bracket of r
	f      func(*big.Float) *big.Float // the density, unnormalised
	finv   func(*big.Float) *big.Float
	tail   func(*big.Float) *big.Float // ∫_r^∞ f
}

// build returns the table for x[1] = r, and the value f(x[n−1]) + v/x[n−1] that is 1
// exactly when x[n] = 0 (0 if the layers reach the top too early).
func (d dist) build(r *big.Float) (x []*big.Float, top *big.Float) {
	v := add(mul(r, d.f(r)), d.tail(r))
	x = []*big.Float{quo(v, d.f(r)), r}
	one := newf(1)
	for i := 1; i < d.layers; i++ {
		a := add(d.f(x[i]), quo(v, x[i]))
		if i == d.layers-1 {
			return x, a
		}
		if a.Cmp(one) >= 0 {
			return nil, nil
		}
		x = append(x, d.finv(a))
	}
	panic("unreachable")
}

func (d dist) tables() (xs, ys []float64) {
	lo, hi := newf(d.lo), newf(d.hi)
	one := newf(1)
	for i := 0; i < prec-16; i++ {
		mid := quo(add(lo, hi), newf(2))
		x, top := d.build(mid)
		// Too much area per layer (the top is reached early or overshot): move r out.
		if x == nil || top.Cmp(one) > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	x, _ := d.build(lo)
	for i, v := range x {
		f, _ := v.Float64()
		xs = append(xs, f)
		if i == 0 {
			ys = append(ys, 0)
		} else {
			y, _ := d.f(v).Float64()
			ys = append(ys, y)
		}
	}
	return append(xs, 0), append(ys, 1)
}

func main() {
	half := newf(0.5)
	normal := dist{"normal", 128, 3.4, 3.5,
		func(x *big.Float) *big.Float { return exp(new(big.Float).Neg(mul(half, mul(x, x)))) },
		func(a *big.Float) *big.Float { return sqrt(mul(newf(-2), log_(a))) },
		normalTail}
	exponential := dist{"exponential", 256, 7, 8,
		func(x *big.Float) *big.Float { return exp(new(big.Float).Neg(x)) },
		func(a *big.Float) *big.Float { return new(big.Float).Neg(log_(a)) },
		func(r *big.Float) *big.Float { return exp(new(big.Float).Neg(r)) }}

	var b bytes.Buffer
	b.WriteString("// Code generated by gen_tables.go; DO NOT EDIT.\n\npackage rng\n")
	for _, d := range []dist{normal, exponential} {
		xs, ys := d.tables()
		for _, t := range []struct {
			suffix, what string
			v            []float64
		}{{"X", "layers' right ends x", xs}, {"Y", "densities y = f(x)", ys}} {
			fmt.Fprintf(&b, "\n// %s%s: the %s of the %s ziggurat.\nvar %s%s = [%d]float64{\n", d.name, t.suffix, t.what, d.name, d.name, t.suffix, len(t.v))
			for i, v := range t.v {
				fmt.Fprintf(&b, "%s,", strconv.FormatFloat(v, 'x', -1, 64))
				if i%4 == 3 {
					b.WriteString("\n")
				} else {
					b.WriteString(" ")
				}
			}
			b.WriteString("\n}\n")
		}
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile("ziggurat_tables.go", src, 0o644); err != nil {
		log.Fatal(err)
	}
}
