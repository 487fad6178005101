// Command synthcifar writes CIFAR-10's binary batches (data_batch_1.bin …
// data_batch_5.bin and test_batch.bin, 10,000 records of a label byte and 3×32×32
// pixel bytes each) filled with pseudo-random pixels: data of CIFAR-10's size and
// format, for timing a training run where the real archives cannot be fetched. Its
// accuracy means nothing.
//
//	go run ./scripts/synthcifar DIR
package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

const (
	records = 10000
	pixels  = 3 * 32 * 32
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: synthcifar DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
	}
	names := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"}
	r := rand.New(rand.NewPCG(1701, 10))
	for _, name := range names {
		if err := write(filepath.Join(dir, name), r); err != nil {
			fail(err)
		}
	}
}

// write writes one batch file of records.
func write(path string, r *rand.Rand) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	var rec [1 + pixels]byte
	for i := range records {
		rec[0] = byte(i % 10)
		for j := 1; j < len(rec); j += 8 {
			v := r.Uint64()
			for b := 0; b < 8 && j+b < len(rec); b++ {
				rec[j+b] = byte(v >> (8 * b))
			}
		}
		if _, err := w.Write(rec[:]); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "synthcifar:", err)
	os.Exit(1)
}
