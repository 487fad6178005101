package layers_test

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/glog"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/db"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// firstRecord returns the value of a fixture database's first record.
func firstRecord(f *testing.F, rel string) []byte {
	r, err := db.OpenReader(testutil.CopyDir(f, rel), db.LMDB)
	if err != nil {
		f.Fatal(err)
	}
	defer r.Close()
	return append([]byte(nil), r.Value()...)
}

// FuzzDatumToBlob feeds two records of any bytes through the whole path a
// Datum takes into a net: an LMDB, a Data layer's Setup (which shapes the tops from
// the first record) and its prefetching goroutine (which reads both), the
// transformer (crop, mirror, mean values, scale, colour forcing) and two forward
// passes. The Datum parser alone missed defect 5: a shape whose product wraps around
// to the data's length. Any bytes give batches or an error; a panic on the prefetch
// goroutine would end the process.
func FuzzDatumToBlob(f *testing.F) {
	glog.SetQuiet(true)
	mnist := firstRecord(f, "fixtures/nets/lenet_mnist/mnist_train_lmdb")
	f.Add(mnist, mnist, uint8(0), false, float32(0.00390625), float32(0), uint8(0), false, false, uint8(2), true)
	f.Add(mnist, mnist, uint8(20), true, float32(1), float32(33), uint8(1), false, false, uint8(3), false)
	im := datum.NewImg(6, 5, 3)
	for i := range im.Pix {
		im.Pix[i] = byte(i * 13)
	}
	for _, enc := range []string{"png", "jpg"} {
		b, err := datum.Encode(im, enc)
		if err != nil {
			f.Fatal(err)
		}
		v, _ := datum.Marshal(&caffepb.Datum{Data: b, Encoded: proto.Bool(true), Label: proto.Int32(3)})
		f.Add(v, v, uint8(4), true, float32(1), float32(100), uint8(3), enc == "jpg", enc == "png", uint8(1), true)
	}
	floats, _ := datum.Marshal(&caffepb.Datum{Channels: proto.Int32(2), Height: proto.Int32(1), Width: proto.Int32(2), FloatData: []float32{1, 2, 3, 4}})
	f.Add(floats, mnist, uint8(0), false, float32(2), float32(-1), uint8(2), false, false, uint8(2), true)
	crafted, _ := datum.Marshal(&caffepb.Datum{Channels: proto.Int32(26983373), Height: proto.Int32(3498256), Width: proto.Int32(1954213), Data: make([]byte, 784)})
	f.Add(mnist, crafted, uint8(0), false, float32(1), float32(0), uint8(0), false, false, uint8(1), true)

	blob.SetMemoryLimit(testutil.HeapNow() + 256<<20)
	f.Cleanup(func() { blob.SetMemoryLimit(0) })
	// On a RAM disk where there is one: the database is written for every input.
	base := f.TempDir()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "gocaffe-fuzz-"); err == nil {
			base = d
			f.Cleanup(func() { os.RemoveAll(d) })
		}
	}
	path := filepath.Join(base, "records_lmdb")
	f.Fuzz(func(t *testing.T, first, second []byte, crop uint8, mirror bool, scale, mean float32, nMean uint8,
		forceColor, forceGray bool, batch uint8, train bool) {
		os.RemoveAll(path)
		w, err := db.Create(path, db.LMDB, false)
		if err != nil {
			t.Fatal(err)
		}
		w.Put([]byte("00000000"), first)
		w.Put([]byte("00000001"), second)
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		tp := &caffepb.TransformationParameter{
			CropSize: proto.Uint32(uint32(crop % 32)), Mirror: proto.Bool(mirror), Scale: proto.Float32(scale),
			ForceColor: proto.Bool(forceColor), ForceGray: proto.Bool(forceGray),
		}
		for i := 0; i < int(nMean%4); i++ {
			tp.MeanValue = append(tp.MeanValue, mean+float32(i))
		}
		phase := caffepb.Phase_TEST
		if train {
			phase = caffepb.Phase_TRAIN
		}
		p := &caffepb.LayerParameter{
			Name: proto.String("data"), Type: proto.String("Data"), Top: []string{"data", "label"}, Phase: phase.Enum(),
			DataParam: &caffepb.DataParameter{Source: proto.String(path), Backend: caffepb.DataParameter_LMDB.Enum(),
				BatchSize: proto.Uint32(uint32(batch%4) + 1), Prefetch: proto.Uint32(2)},
			TransformParam: tp,
		}
		l, err := layers.New(p, &layers.Context{RNG: rng.New(1)})
		if err != nil {
			return
		}
		defer l.(layers.Closer).Close()
		top := []*blob.Blob{blob.New(), blob.New()}
		if err := blob.Recover(func() { err = layers.SetUp(l, nil, top) }); err != nil {
			return // the net would name the layer
		}
		if err != nil {
			return
		}
		for i := 0; i < 3; i++ {
			if err := l.Forward(nil, top); err != nil {
				return
			}
			if top[0].Count() != len(top[0].Data) || top[0].Num() != int(batch%4)+1 {
				t.Fatalf("batch %d: top %s holds %d values", i, top[0].ShapeString(), len(top[0].Data))
			}
		}
	})
}
