package solver

import (
	"math"
	"testing"
)

// The expected strings are what `std::cout << v` prints for a float v (checked with
// g++ 12 / libstdc++); several are copied from Caffe's own logs.
func TestG(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{1, "1"},
		{0.5, "0.5"},
		{float64(float32(0.01)), "0.01"},
		{float64(float32(0.00999925)), "0.00999925"},
		{float64(float32(2.32814)), "2.32814"},
		{float64(float32(0.0970669)), "0.0970669"},
		{float64(math.Float32frombits(0x80000001)), "-1.4013e-45"},
		{10 / 1.04, "9.61538"},
		{0.0001, "0.0001"},
		{0.00001, "1e-05"},
		{100000, "100000"},
		{999999.4, "999999"},
		{999999.5, "1e+06"},
		{1e6, "1e+06"},
		{123456789, "1.23457e+08"},
		{-2.5e-7, "-2.5e-07"},
		{1e100, "1e+100"},
		{math.NaN(), "nan"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
	}
	for _, tt := range tests {
		if got := G(tt.v).String(); got != tt.want {
			t.Errorf("G(%v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}
