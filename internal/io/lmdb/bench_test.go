package lmdb

import (
	"fmt"
	"testing"
)

// BenchmarkSequentialRead measures a full cursor pass, the Data layer's access
// pattern, over MNIST-sized (794-byte) and CIFAR-sized (3,083-byte, overflow) records.
func BenchmarkSequentialRead(b *testing.B) {
	for _, bc := range []struct {
		name string
		n    int
		size int
	}{
		{"mnist", 60000, 794},
		{"cifar", 50000, 3083},
	} {
		b.Run(bc.name, func(b *testing.B) {
			path, _ := writeDB(b, seqRecords(bc.n, func(int) int { return bc.size }))
			db, err := Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			c := db.Cursor()
			b.SetBytes(int64(bc.n * bc.size))
			b.ResetTimer()
			var sum byte
			for b.Loop() {
				n := 0
				for ok := c.First(); ok; ok = c.Next() {
					sum += c.Value()[len(c.Value())/2] // touch the value, as a decoder would
					n++
				}
				if c.Err() != nil || n != bc.n {
					b.Fatal(c.Err(), n)
				}
			}
			b.ReportMetric(float64(bc.n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			_ = fmt.Sprint(sum)
		})
	}
}
