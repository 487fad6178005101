package layers_test

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/gocaffe/gocaffe/internal/blob"
	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/io/lmdb"
	"github.com/gocaffe/gocaffe/internal/io/protofile"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// rawDatum returns a Datum of shape c×h×w whose value at (ch, y, x) is
// base + 10·ch + 3·y + x (mod 256), so that every crop and flip shows.
func rawDatum(c, h, w, base int, label int32) *caffepb.Datum {
	d := &caffepb.Datum{Channels: proto.Int32(int32(c)), Height: proto.Int32(int32(h)), Width: proto.Int32(int32(w)), Label: proto.Int32(label)}
	for ch := 0; ch < c; ch++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				d.Data = append(d.Data, byte(base+10*ch+3*y+x))
			}
		}
	}
	return d
}

// writeLMDB writes the records under keys %08d into a new LMDB and returns its path.
func writeLMDB(t testing.TB, dir, name string, values ...[]byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	w, err := lmdb.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range values {
		if err := w.Put([]byte(fmt.Sprintf("%08d", i)), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return path
}

func marshal(t testing.TB, ds ...*caffepb.Datum) [][]byte {
	t.Helper()
	out := make([][]byte, len(ds))
	for i, d := range ds {
		b, err := datum.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

// dataLayer is a set-up data layer with its tops.
type dataLayer struct {
	layers.Layer
	top []*blob.Blob
}

// newDataLayer builds and sets up a layer from the text inside layer { ... } with a
// net random source seeded seed; nTop is 1 or 2.
func newDataLayer(t testing.TB, text string, phase caffepb.Phase, seed uint32, nTop int) *dataLayer {
	t.Helper()
	l, err := buildDataLayer(text, phase, seed, nTop)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Layer.(layers.Closer).Close() })
	return l
}

func buildDataLayer(text string, phase caffepb.Phase, seed uint32, nTop int) (*dataLayer, error) {
	return buildDataLayerRNG(text, phase, rng.New(seed), nTop)
}

// buildDataLayerRNG builds a data layer drawing from the net source r.
func buildDataLayerRNG(text string, phase caffepb.Phase, r *rng.Source, nTop int) (*dataLayer, error) {
	p := &caffepb.LayerParameter{}
	if err := prototext.Unmarshal([]byte(text), p); err != nil {
		return nil, err
	}
	p.Phase = phase.Enum()
	p.Name = proto.String("data")
	l, err := layers.New(p, &layers.Context{RNG: r})
	if err != nil {
		return nil, err
	}
	top := []*blob.Blob{blob.New(), blob.New()}[:nTop]
	if err := layers.SetUp(l, nil, top); err != nil {
		if c, ok := l.(layers.Closer); ok {
			c.Close()
		}
		return nil, err
	}
	return &dataLayer{l, top}, nil
}

func (l *dataLayer) forward(t testing.TB) {
	t.Helper()
	if err := l.Forward(nil, l.top); err != nil {
		t.Fatal(err)
	}
}

// TestDataLayerMNIST reads Caffe's MNIST test LMDB: every value is the Datum's byte
// times scale, labels follow, and after the 1,000 records the reading wraps around.
func TestDataLayerMNIST(t *testing.T) {
	src := testutil.CopyDir(t, "fixtures/nets/lenet_mnist/mnist_test_lmdb")
	l := newDataLayer(t, `type: "Data" transform_param { scale: 0.00390625 }
		data_param { source: "`+src+`" batch_size: 300 backend: LMDB }`, caffepb.Phase_TEST, 1701, 2)
	if got := l.top[0].ShapeString(); got != "300 1 28 28 (235200)" {
		t.Fatalf("top shape %s", got)
	}
	db, err := lmdb.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var want []*caffepb.Datum
	c := db.Cursor()
	for ok := c.First(); ok; ok = c.Next() {
		d := &caffepb.Datum{}
		if err := datum.Unmarshal(c.Value(), d); err != nil {
			t.Fatal(err)
		}
		want = append(want, d)
	}
	record := 0
	for b := 0; b < 5; b++ { // 1,500 records: the fourth batch wraps
		l.forward(t)
		for i := 0; i < 300; i++ {
			d := want[record%len(want)]
			if got := l.top[1].Data[i]; got != float32(d.GetLabel()) {
				t.Fatalf("batch %d item %d: label %g, want %d", b, i, got, d.GetLabel())
			}
			for j, v := range d.Data {
				if got, w := l.top[0].Data[i*784+j], float32(v)*0.00390625; got != w {
					t.Fatalf("batch %d item %d value %d: %g, want %g", b, i, j, got, w)
				}
			}
			record++
		}
	}
	if pos, _ := l.Layer.(layers.DataSource).Position(); pos != 1500 {
		t.Errorf("Position = %d, want 1500", pos)
	}
}

// item returns item i of a top of N×C×H×W values.
func item(b *blob.Blob, i int) []float32 {
	n := b.Count() / b.Num()
	return b.Data[i*n : (i+1)*n]
}

// TestDataTransform checks each transformation against values computed by hand from
// rawDatum's formula: x(ch, y, x) = base + 10·ch + 3·y + x.
func TestDataTransform(t *testing.T) {
	dir := t.TempDir()
	const c, h, w = 2, 4, 5
	src := writeLMDB(t, dir, "db", marshal(t, rawDatum(c, h, w, 0, 1), rawDatum(c, h, w, 100, 2))...)
	// A mean file whose value at (ch, y, x) is 0.5·(ch + y + x).
	meanBlob := blob.New(1, c, h, w)
	for ch := 0; ch < c; ch++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				meanBlob.Data[(ch*h+y)*w+x] = 0.5 * float32(ch+y+x)
			}
		}
	}
	meanPath := filepath.Join(dir, "mean.binaryproto")
	mp := meanBlob.ToProto(false)
	if err := protofile.WriteBinary(meanPath, mp); err != nil {
		t.Fatal(err)
	}
	value := func(base, ch, y, x int) float32 { return float32(byte(base + 10*ch + 3*y + x)) }
	meanAt := func(ch, y, x int) float32 { return 0.5 * float32(ch+y+x) }
	for _, tc := range []struct {
		name      string
		transform string
		oh, ow    int
		want      func(base, ch, y, x int) float32 // at output (ch, y, x)
	}{
		{"none", ``, h, w, func(b, ch, y, x int) float32 { return value(b, ch, y, x) }},
		{"scale", `scale: 0.25`, h, w, func(b, ch, y, x int) float32 { return value(b, ch, y, x) * 0.25 }},
		{"centre crop", `crop_size: 2`, 2, 2, func(b, ch, y, x int) float32 {
			return value(b, ch, y+1, x+1) // offsets (4−2)/2 = 1 and (5−2)/2 = 1
		}},
		{"centre crop 3", `crop_size: 3`, 3, 3, func(b, ch, y, x int) float32 {
			return value(b, ch, y+0, x+1) // offsets (4−3)/2 = 0 and (5−3)/2 = 1
		}},
		{"mean value", `mean_value: 7`, h, w, func(b, ch, y, x int) float32 { return value(b, ch, y, x) - 7 }},
		{"mean values", `mean_value: 7 mean_value: 9.5`, h, w, func(b, ch, y, x int) float32 {
			return value(b, ch, y, x) - []float32{7, 9.5}[ch]
		}},
		{"mean file", `mean_file: "` + meanPath + `"`, h, w, func(b, ch, y, x int) float32 {
			return value(b, ch, y, x) - meanAt(ch, y, x)
		}},
		{"mean file, crop, scale", `mean_file: "` + meanPath + `" crop_size: 3 scale: 0.125`, 3, 3, func(b, ch, y, x int) float32 {
			// The mean is taken at the uncropped position, before scaling.
			return (value(b, ch, y, x+1) - meanAt(ch, y, x+1)) * 0.125
		}},
		{"mean values, crop, scale", `mean_value: 1 mean_value: 2 crop_size: 2 scale: 3`, 2, 2, func(b, ch, y, x int) float32 {
			return (value(b, ch, y+1, x+1) - []float32{1, 2}[ch]) * 3
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newDataLayer(t, `type: "Data" transform_param { `+tc.transform+` }
				data_param { source: "`+src+`" batch_size: 2 backend: LMDB }`, caffepb.Phase_TEST, 1701, 2)
			l.forward(t)
			if got, want := l.top[0].Shape(), []int{2, c, tc.oh, tc.ow}; fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("top shape %v, want %v", got, want)
			}
			for i, base := range []int{0, 100} {
				got := item(l.top[0], i)
				for ch := 0; ch < c; ch++ {
					for y := 0; y < tc.oh; y++ {
						for x := 0; x < tc.ow; x++ {
							if g, w := got[(ch*tc.oh+y)*tc.ow+x], tc.want(base, ch, y, x); g != w {
								t.Fatalf("item %d (%d,%d,%d) = %g, want %g", i, ch, y, x, g, w)
							}
						}
					}
				}
			}
			if l.top[1].Data[0] != 1 || l.top[1].Data[1] != 2 {
				t.Errorf("labels %v", l.top[1].Data)
			}
		})
	}
}

// TestDataRandomCropMirror checks random crops and mirrors against Caffe's recipe: the
// transformer's source is seeded with a raw draw of the net's — the second one, as
// Caffe's InitRand runs in BaseDataLayer::LayerSetUp and again before the prefetch
// thread starts — and for every item draws mirror = r%2 (only when mirror is set),
// then the row and column offsets r % (H−crop+1) and r % (W−crop+1) (only when
// cropping in TRAIN). The net's source gives a third draw, the prefetch thread's
// seed.
func TestDataRandomCropMirror(t *testing.T) {
	dir := t.TempDir()
	const c, h, w, n = 3, 6, 7, 5
	var ds []*caffepb.Datum
	for i := 0; i < n; i++ {
		ds = append(ds, rawDatum(c, h, w, 20*i, int32(i)))
	}
	src := writeLMDB(t, dir, "db", marshal(t, ds...)...)
	for _, tc := range []struct {
		name      string
		transform string
		phase     caffepb.Phase
		crop      int
		mirror    bool
		random    bool // crop offsets random
	}{
		{"train crop", `crop_size: 4`, caffepb.Phase_TRAIN, 4, false, true},
		{"train crop mirror", `crop_size: 3 mirror: true`, caffepb.Phase_TRAIN, 3, true, true},
		{"train mirror", `mirror: true`, caffepb.Phase_TRAIN, 0, true, false},
		{"test crop mirror", `crop_size: 3 mirror: true`, caffepb.Phase_TEST, 3, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, seed := range []uint32{1701, 42} {
				netRNG := rng.New(seed)
				l, err := buildDataLayerRNG(`type: "Data" transform_param { `+tc.transform+` }
					data_param { source: "`+src+`" batch_size: 5 backend: LMDB }`, tc.phase, netRNG, 1)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Layer.(layers.Closer).Close() })
				l.forward(t)
				caffe := rng.New(seed)
				caffe.Uint32() // the first InitRand's seed, replaced by:
				r := rng.New(caffe.Uint32())
				caffe.Uint32() // the prefetch thread's seed
				if got, want := netRNG.Uint32(), caffe.Uint32(); got != want {
					t.Fatalf("the net's source is not where Caffe's is after the layer's setup (next draw %d, Caffe's %d)", got, want)
				}
				oh, ow := h, w
				if tc.crop > 0 {
					oh, ow = tc.crop, tc.crop
				}
				flips := 0
				for i := 0; i < n; i++ {
					mirror := tc.mirror && r.Uint32()%2 == 1
					hOff, wOff := (h-oh)/2, (w-ow)/2
					if tc.random {
						hOff, wOff = int(r.Uint32()%uint32(h-oh+1)), int(r.Uint32()%uint32(w-ow+1))
					}
					if mirror {
						flips++
					}
					got := item(l.top[0], i)
					for ch := 0; ch < c; ch++ {
						for y := 0; y < oh; y++ {
							for x := 0; x < ow; x++ {
								sx := wOff + x
								if mirror {
									sx = wOff + ow - 1 - x
								}
								want := float32(byte(20*i + 10*ch + 3*(hOff+y) + sx))
								if g := got[(ch*oh+y)*ow+x]; g != want {
									t.Fatalf("seed %d item %d (%d,%d,%d) = %g, want %g (mirror %v, offsets %d,%d)",
										seed, i, ch, y, x, g, want, mirror, hOff, wOff)
								}
							}
						}
					}
				}
				t.Logf("seed %d: %d of %d items mirrored", seed, flips, n)
			}
		})
	}
}

func TestDataFloatAndEncoded(t *testing.T) {
	dir := t.TempDir()
	f := &caffepb.Datum{Channels: proto.Int32(1), Height: proto.Int32(1), Width: proto.Int32(3), FloatData: []float32{0.5, -2, 1e3}, Label: proto.Int32(4)}
	src := writeLMDB(t, dir, "float", marshal(t, f)...)
	l := newDataLayer(t, `type: "Data" transform_param { scale: 2 mean_value: 0.25 }
		data_param { source: "`+src+`" batch_size: 1 backend: LMDB }`, caffepb.Phase_TEST, 1, 2)
	l.forward(t)
	for i, want := range []float32{0.5, -4.5, 1999.5} {
		if got := l.top[0].Data[i]; got != want {
			t.Errorf("float_data value %d = %g, want %g", i, got, want)
		}
	}

	// An encoded PNG: a 2×3 colour image, decoded to BGR planes.
	im := &datum.Img{Height: 2, Width: 3, Channels: 3}
	for i := 0; i < 18; i++ {
		im.Pix = append(im.Pix, byte(11*i))
	}
	png, err := datum.Encode(im, "png")
	if err != nil {
		t.Fatal(err)
	}
	enc := &caffepb.Datum{Data: png, Encoded: proto.Bool(true), Label: proto.Int32(3)}
	src = writeLMDB(t, dir, "encoded", marshal(t, enc)...)
	for _, tc := range []struct {
		force string
		shape string
	}{{"", "1 3 2 3 (18)"}, {"force_color: true", "1 3 2 3 (18)"}, {"force_gray: true", "1 1 2 3 (6)"}} {
		l := newDataLayer(t, `type: "Data" transform_param { `+tc.force+` }
			data_param { source: "`+src+`" batch_size: 1 backend: LMDB }`, caffepb.Phase_TEST, 1, 2)
		l.forward(t)
		if got := l.top[0].ShapeString(); got != tc.shape {
			t.Errorf("%q: shape %s, want %s", tc.force, got, tc.shape)
			continue
		}
		if tc.force == "force_gray: true" {
			continue
		}
		want := im.CHW(nil)
		for i, v := range want {
			if l.top[0].Data[i] != float32(v) {
				t.Fatalf("%q: value %d = %g, want %d", tc.force, i, l.top[0].Data[i], v)
			}
		}
	}
}

// TestDataBatchShapes: each batch takes the shape of its first record; a record of
// another shape inside a batch is an error naming the database and the key.
func TestDataBatchShapes(t *testing.T) {
	dir := t.TempDir()
	src := writeLMDB(t, dir, "db", marshal(t, rawDatum(1, 2, 2, 0, 0), rawDatum(1, 2, 2, 0, 0), rawDatum(2, 3, 3, 0, 0), rawDatum(2, 3, 3, 0, 0))...)
	l := newDataLayer(t, `type: "Data" data_param { source: "`+src+`" batch_size: 2 backend: LMDB }`, caffepb.Phase_TEST, 1, 1)
	l.forward(t)
	if got := l.top[0].ShapeString(); got != "2 1 2 2 (8)" {
		t.Errorf("first batch %s", got)
	}
	l.forward(t)
	if got := l.top[0].ShapeString(); got != "2 2 3 3 (36)" {
		t.Errorf("second batch %s", got)
	}

	src = writeLMDB(t, dir, "mixed", marshal(t, rawDatum(1, 2, 2, 0, 0), rawDatum(2, 3, 3, 0, 0))...)
	l = newDataLayer(t, `type: "Data" data_param { source: "`+src+`" batch_size: 2 backend: LMDB }`, caffepb.Phase_TEST, 1, 1)
	err := l.Forward(nil, l.top)
	if err == nil || !strings.Contains(err.Error(), src) || !strings.Contains(err.Error(), `key "00000001"`) {
		t.Fatalf("mixed batch: error %v", err)
	}
	// The error sticks.
	if err2 := l.Forward(nil, l.top); err2 == nil || err2.Error() != err.Error() {
		t.Errorf("second Forward after an error: %v", err2)
	}
}

func TestDataBadRecords(t *testing.T) {
	dir := t.TempDir()
	good := marshal(t, rawDatum(1, 2, 2, 0, 0))[0]
	short := rawDatum(1, 2, 2, 0, 0)
	short.Data = short.Data[:3]
	for _, tc := range []struct {
		name  string
		value []byte
		text  string
		err   string
	}{
		{"wrong size", marshal(t, short)[0], ``, "holds 3 bytes of data, want 4"},
		{"not a datum", []byte{0xff, 0xff, 0xff}, ``, "not a Datum"},
		{"bad image", marshal(t, &caffepb.Datum{Data: []byte("not a png"), Encoded: proto.Bool(true)})[0], ``, "decoding datum"},
		{"crop too big", good, `transform_param { crop_size: 3 }`, "crop_size 3 is larger than the 2×2 image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The bad record is the second: Setup peeks at the first.
			src := writeLMDB(t, dir, strings.ReplaceAll(tc.name, " ", "_"), good, tc.value)
			text := `type: "Data" ` + tc.text + ` data_param { source: "` + src + `" batch_size: 2 backend: LMDB }`
			l, err := buildDataLayer(text, caffepb.Phase_TEST, 1, 1)
			if err == nil {
				err = l.Forward(nil, l.top)
				l.Layer.(layers.Closer).Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), src) {
				t.Fatalf("error %v, want one naming %s and saying %q", err, src, tc.err)
			}
		})
	}
	for _, tc := range []struct {
		name, text, err string
	}{
		{"no source", `data_param { batch_size: 1 backend: LMDB }`, "data_param.source is not set"},
		{"no batch", `data_param { source: "x" backend: LMDB }`, "batch_size must be positive"},
		{"missing db", `data_param { source: "` + filepath.Join(dir, "nothing") + `" batch_size: 1 backend: LMDB }`, "nothing"},
		{"mean both", `transform_param { mean_file: "m" mean_value: 1 } data_param { source: "` + filepath.Join(dir, "wrong_size") + `" batch_size: 1 backend: LMDB }`,
			"cannot specify mean_file and mean_value at the same time"},
		{"force both", `transform_param { force_color: true force_gray: true } data_param { source: "` + filepath.Join(dir, "wrong_size") + `" batch_size: 1 backend: LMDB }`,
			"cannot set both force_color and force_gray"},
		{"mean values", `transform_param { mean_value: 1 mean_value: 2 } data_param { source: "` + filepath.Join(dir, "wrong_size") + `" batch_size: 1 backend: LMDB }`,
			"2 mean_value entries for 1 channels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := buildDataLayer(`type: "Data" `+tc.text, caffepb.Phase_TEST, 1, 1)
			if err == nil {
				err = l.Forward(nil, l.top)
				l.Layer.(layers.Closer).Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

// TestDataSeekResumes checks the exact-resume contract: a layer restored with Seek
// from another's Position reads the same records with the same crops and mirrors as
// the uninterrupted layer, across the end of the database; rand_skip included.
func TestDataSeekResumes(t *testing.T) {
	dir := t.TempDir()
	var ds []*caffepb.Datum
	for i := 0; i < 7; i++ {
		ds = append(ds, rawDatum(2, 5, 5, 17*i, int32(i)))
	}
	src := writeLMDB(t, dir, "db", marshal(t, ds...)...)
	for _, transform := range []string{
		`crop_size: 3 mirror: true`, // random: the state matters
		`scale: 2`,                  // nothing random
	} {
		text := `type: "Data" transform_param { ` + transform + ` }
			data_param { source: "` + src + `" batch_size: 3 backend: LMDB rand_skip: 5 prefetch: 2 }`
		straight := newDataLayer(t, text, caffepb.Phase_TRAIN, 1701, 2)
		interrupted := newDataLayer(t, text, caffepb.Phase_TRAIN, 1701, 2)
		for b := 0; b < 4; b++ {
			straight.forward(t)
			interrupted.forward(t)
		}
		pos, state := interrupted.Layer.(layers.DataSource).Position()
		// Another net, seeded otherwise, restored from the saved position.
		resumed := newDataLayer(t, text, caffepb.Phase_TRAIN, 99, 2)
		resumed.forward(t) // reads ahead from elsewhere first; Seek must drop it
		if err := resumed.Layer.(layers.DataSource).Seek(pos, state); err != nil {
			t.Fatal(err)
		}
		for b := 0; b < 6; b++ {
			straight.forward(t)
			resumed.forward(t)
			if err := testutil.CompareSlices(resumed.top[0].Data, straight.top[0].Data, 0, 0); err != nil {
				t.Fatalf("%s: batch %d after the resume: %v", transform, b, err)
			}
			if err := testutil.CompareSlices(resumed.top[1].Data, straight.top[1].Data, 0, 0); err != nil {
				t.Fatalf("%s: labels of batch %d after the resume: %v", transform, b, err)
			}
		}
		p1, s1 := straight.Layer.(layers.DataSource).Position()
		p2, s2 := resumed.Layer.(layers.DataSource).Position()
		if p1 != p2 || string(s1) != string(s2) {
			t.Errorf("%s: positions %d and %d after the same batches", transform, p1, p2)
		}
		if err := resumed.Layer.(layers.DataSource).Seek(pos, state[:len(state)/2]); err == nil && len(state) > 0 {
			t.Errorf("%s: Seek with a cut state gave no error", transform)
		}
	}
}

// TestDataCloseStopsPrefetching: Close ends the prefetching goroutine, whether it is
// waiting for a free batch or not, and Seek restarts exactly one.
func TestDataCloseStopsPrefetching(t *testing.T) {
	dir := t.TempDir()
	src := writeLMDB(t, dir, "db", marshal(t, rawDatum(1, 2, 2, 0, 0), rawDatum(1, 2, 2, 1, 0))...)
	before := layers.Prefetching()
	var open []*dataLayer
	for i := 0; i < 20; i++ {
		l, err := buildDataLayer(`type: "Data" data_param { source: "`+src+`" batch_size: 1 backend: LMDB prefetch: 3 }`, caffepb.Phase_TEST, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < i%4; j++ {
			l.forward(t)
		}
		if i%3 == 0 {
			if err := l.Layer.(layers.DataSource).Seek(uint64(i), nil); err != nil {
				t.Fatal(err)
			}
		}
		open = append(open, l)
	}
	// Close waits for each goroutine to end.
	if n := layers.Prefetching() - before; n != 20 {
		t.Errorf("%d prefetching goroutines for 20 data layers", n)
	}
	for _, l := range open {
		if err := l.Layer.(layers.Closer).Close(); err != nil {
			t.Fatal(err)
		}
	}
	if n := layers.Prefetching() - before; n != 0 {
		t.Errorf("%d prefetching goroutines left after closing every data layer", n)
	}
}

// TestDataCIFARMeanFile subtracts the mean file of Caffe's compute_image_mean as
// Caffe does: (x − mean)·scale in float32.
func TestDataCIFARMeanFile(t *testing.T) {
	src := testutil.CopyDir(t, "fixtures/nets/cifar10_synth/cifar10_test_lmdb")
	mean := testutil.Path("fixtures/nets/cifar10_synth/mean.binaryproto")
	l := newDataLayer(t, `type: "Data" transform_param { mean_file: "`+mean+`" scale: 0.1 }
		data_param { source: "`+src+`" batch_size: 2 backend: LMDB }`, caffepb.Phase_TEST, 1, 2)
	l.forward(t)
	mp, err := protofile.ReadBlobProto(mean)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := lmdb.Open(src)
	defer db.Close()
	v, _ := db.Get([]byte("00001"))
	d := &caffepb.Datum{}
	datum.Unmarshal(v, d)
	for i, x := range d.Data {
		want := (float32(x) - mp.Data[i]) * float32(0.1)
		if got := l.top[0].Data[3072+i]; got != want || math.IsNaN(float64(got)) {
			t.Fatalf("value %d = %g, want %g", i, got, want)
		}
	}
}
