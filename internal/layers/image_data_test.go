package layers_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/gocaffe/gocaffe/internal/io/datum"
	"github.com/gocaffe/gocaffe/internal/layers"
	"github.com/gocaffe/gocaffe/internal/math/rng"
	"github.com/gocaffe/gocaffe/internal/testutil"
	"github.com/gocaffe/gocaffe/proto/caffepb"
)

// writeImages writes n PNG images of h×w BGR pixels, image i filled with
// value(i, y, x, c) = 40·i + 5·y + x + 60·c (mod 256), and a list "img<i>.png <label>"
// with label 10+i. It returns the folder (with a trailing slash) and the list path.
func writeImages(t testing.TB, n, h, w int) (root, list string) {
	t.Helper()
	dir := t.TempDir()
	var lines []string
	for i := 0; i < n; i++ {
		im := datum.NewImg(h, w, 3)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for c := 0; c < 3; c++ {
					im.Pix[(y*w+x)*3+c] = byte(40*i + 5*y + x + 60*c)
				}
			}
		}
		b, err := datum.Encode(im, "png")
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("img%d.png", i)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%s %d", name, 10+i))
	}
	list = filepath.Join(dir, "list.txt")
	if err := os.WriteFile(list, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir + string(filepath.Separator), list
}

// TestImageData reads PNG files exactly: BGR planes, labels, list order, wrapping.
func TestImageData(t *testing.T) {
	const n, h, w = 3, 4, 5
	root, list := writeImages(t, n, h, w)
	l := newDataLayer(t, `type: "ImageData" image_data_param { source: "`+list+`" root_folder: "`+root+`" batch_size: 2 }`,
		caffepb.Phase_TEST, 1, 2)
	if got := l.top[0].ShapeString(); got != "2 3 4 5 (120)" {
		t.Fatalf("top shape %s", got)
	}
	record := 0
	for b := 0; b < 3; b++ {
		l.forward(t)
		for i := 0; i < 2; i++ {
			k := record % n
			if got := l.top[1].Data[i]; got != float32(10+k) {
				t.Fatalf("batch %d item %d: label %g, want %d", b, i, got, 10+k)
			}
			got := item(l.top[0], i)
			for c := 0; c < 3; c++ {
				for y := 0; y < h; y++ {
					for x := 0; x < w; x++ {
						if g, want := got[(c*h+y)*w+x], float32(byte(40*k+5*y+x+60*c)); g != want {
							t.Fatalf("batch %d item %d (%d,%d,%d) = %g, want %g", b, i, c, y, x, g, want)
						}
					}
				}
			}
			record++
		}
	}

	// Grey and resized: one channel, the new size.
	l = newDataLayer(t, `type: "ImageData" transform_param { crop_size: 5 }
		image_data_param { source: "`+list+`" root_folder: "`+root+`" batch_size: 1 is_color: false new_height: 8 new_width: 6 }`,
		caffepb.Phase_TEST, 1, 2)
	if got := l.top[0].ShapeString(); got != "1 1 5 5 (25)" {
		t.Errorf("grey, resized, cropped: top shape %s", got)
	}
	l.forward(t)
}

// TestImageDataShuffle: with shuffle every pass holds every image once, passes differ,
// and a layer restored with Seek continues with the same order, crops and mirrors.
func TestImageDataShuffle(t *testing.T) {
	const n = 7
	root, list := writeImages(t, n, 6, 6)
	text := `type: "ImageData" transform_param { crop_size: 4 mirror: true }
		image_data_param { source: "` + list + `" root_folder: "` + root + `" batch_size: 3 shuffle: true rand_skip: 4 }`
	straight := newDataLayer(t, text, caffepb.Phase_TRAIN, 1701, 2)
	var labels []int
	for b := 0; b < 7; b++ { // 21 records: three passes
		straight.forward(t)
		for _, v := range straight.top[1].Data {
			labels = append(labels, int(v))
		}
	}
	// The stream started after rand_skip records; passes start at stream positions
	// 7 and 14.
	pos, _ := straight.Layer.(layers.DataSource).Position()
	skip := int(pos) - len(labels)
	var passes [][]int
	for start := n - skip; start+n <= len(labels); start += n {
		pass := append([]int(nil), labels[start:start+n]...)
		passes = append(passes, pass)
		sorted := append([]int(nil), pass...)
		sort.Ints(sorted)
		for i, v := range sorted {
			if v != 10+i {
				t.Fatalf("pass %v is not a permutation of the list", pass)
			}
		}
	}
	if len(passes) < 2 || fmt.Sprint(passes[0]) == fmt.Sprint(passes[1]) {
		t.Errorf("passes %v: want two different orders", passes)
	}

	a := newDataLayer(t, text, caffepb.Phase_TRAIN, 1701, 2)
	b := newDataLayer(t, text, caffepb.Phase_TRAIN, 1701, 2)
	for i := 0; i < 2; i++ { // stop in the middle of the second pass
		a.forward(t)
		b.forward(t)
	}
	p, s := b.Layer.(layers.DataSource).Position()
	resumed := newDataLayer(t, text, caffepb.Phase_TRAIN, 5, 2)
	if err := resumed.Layer.(layers.DataSource).Seek(p, s); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		a.forward(t)
		resumed.forward(t)
		if err := testutil.CompareSlices(resumed.top[0].Data, a.top[0].Data, 0, 0); err != nil {
			t.Fatalf("batch %d after the resume: %v", i, err)
		}
		if err := testutil.CompareSlices(resumed.top[1].Data, a.top[1].Data, 0, 0); err != nil {
			t.Fatalf("labels of batch %d after the resume: %v", i, err)
		}
	}
}

func TestImageDataErrors(t *testing.T) {
	root, list := writeImages(t, 2, 3, 3)
	bad := filepath.Join(root, "bad.txt")
	os.WriteFile(bad, []byte("img0.png 1\nmissing.png 2\n"), 0o644)
	l := newDataLayer(t, `type: "ImageData" image_data_param { source: "`+bad+`" root_folder: "`+root+`" batch_size: 2 }`,
		caffepb.Phase_TEST, 1, 2)
	err := l.Forward(nil, l.top)
	if err == nil || !strings.Contains(err.Error(), bad+", line 2 (missing.png)") {
		t.Errorf("missing image: error %v", err)
	}
	for _, tc := range []struct{ text, err string }{
		{`image_data_param { source: "` + list + `" new_height: 4 }`, "new_height (4) and new_width (0) must be set together"},
		{`image_data_param { source: "` + list + `" }`, "img0.png"}, // no root folder: the file is not found
		{`image_data_param { root_folder: "` + root + `" }`, "image_data_param.source is not set"},
	} {
		l, err := buildDataLayer(`type: "ImageData" `+tc.text, caffepb.Phase_TEST, 1, 2)
		if err == nil {
			l.Layer.(layers.Closer).Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want one containing %q", tc.text, err, tc.err)
		}
	}
}

// TestImageDataCaffeDraws follows Caffe's ImageDataLayer through its draws from the
// net's source: the transformer's first InitRand, the shuffle source's seed (then
// the first shuffle), rand_skip, the second InitRand (the transformer's seed), the
// prefetch thread's seed. Records then come in the shuffled order from the skip on,
// the order shuffled again (the previous pass's order, caffe::shuffle) at the end of
// the list, each with mirror, then crop row and column drawn from the transformer.
func TestImageDataCaffeDraws(t *testing.T) {
	const n, h, w, crop, batch, skip = 5, 6, 6, 4, 3, 4
	root, list := writeImages(t, n, h, w)
	netRNG := rng.New(1701)
	l, err := buildDataLayerRNG(`type: "ImageData" transform_param { crop_size: 4 mirror: true }
		image_data_param { source: "`+list+`" root_folder: "`+root+`" batch_size: 3 shuffle: true rand_skip: 4 }`,
		caffepb.Phase_TRAIN, netRNG, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Layer.(layers.Closer).Close() })

	caffe := rng.New(1701)
	caffe.Uint32() // InitRand in BaseDataLayer::LayerSetUp
	shuffle := rng.New(caffe.Uint32())
	lines := []int{0, 1, 2, 3, 4}
	shuffleLines := func() {
		for i := len(lines) - 1; i > 0; i-- {
			j := shuffle.UniformInt(0, int64(i))
			lines[i], lines[j] = lines[j], lines[i]
		}
	}
	shuffleLines()
	id := int(caffe.Uint32() % skip)
	transform := rng.New(caffe.Uint32()) // InitRand before the prefetch thread
	caffe.Uint32()                       // StartInternalThread
	if got, want := netRNG.Uint32(), caffe.Uint32(); got != want {
		t.Fatalf("the net's source is not where Caffe's is after the layer's setup (next draw %d, Caffe's %d)", got, want)
	}

	for b := 0; b < 6; b++ { // 18 records: three passes and more
		l.forward(t)
		for i := 0; i < batch; i++ {
			k := lines[id]
			mirror := transform.Uint32()%2 == 1
			hOff, wOff := int(transform.Uint32()%(h-crop+1)), int(transform.Uint32()%(w-crop+1))
			if got := l.top[1].Data[i]; got != float32(10+k) {
				t.Fatalf("batch %d item %d: label %g, want %d", b, i, got, 10+k)
			}
			got := item(l.top[0], i)
			for c := 0; c < 3; c++ {
				for y := 0; y < crop; y++ {
					for x := 0; x < crop; x++ {
						sx := wOff + x
						if mirror {
							sx = wOff + crop - 1 - x
						}
						if g, want := got[(c*crop+y)*crop+x], float32(byte(40*k+5*(hOff+y)+sx+60*c)); g != want {
							t.Fatalf("batch %d item %d (%d,%d,%d) = %g, want %g", b, i, c, y, x, g, want)
						}
					}
				}
			}
			if id++; id == n {
				id = 0
				shuffleLines()
			}
		}
	}
}
