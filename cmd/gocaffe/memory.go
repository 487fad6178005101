package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gocaffe/gocaffe/internal/blob"
)

// applyMaxMemory sets the memory limit from maxMemory, the --max_memory flag: the
// most memory gocaffe's nets may take (the default when empty).
func applyMaxMemory(maxMemory string) error {
	if maxMemory == "" {
		blob.SetMemoryLimit(0)
		return nil
	}
	n, err := parseBytes(maxMemory)
	if err != nil {
		return fmt.Errorf("--max_memory=%s: %w", maxMemory, err)
	}
	blob.SetMemoryLimit(n)
	return nil
}

// parseBytes reads a size: a number of bytes, or a number with a unit (kB, MB, GB,
// TB, powers of 1024, or KiB, MiB, GiB, TiB).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
		{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"TB", 1 << 40},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
	}
	mult := 1.0
	upper := strings.ToUpper(t)
	for _, u := range units {
		if strings.HasSuffix(upper, u.suffix) {
			mult, t = u.mult, strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || v*mult >= 1<<62 {
		return 0, fmt.Errorf("want a positive size such as 8GB, 512MB or 1073741824")
	}
	return int64(v * mult), nil
}
