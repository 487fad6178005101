package datum

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testRGB is a small colour image with every channel different from the others, so
// that a channel swap shows.
func testRGB(h, w int) *image.RGBA {
	im := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			im.SetRGBA(x, y, color.RGBA{uint8(10*x + y), uint8(200 - 7*y), uint8(3 * x * y % 256), 255})
		}
	}
	return im
}

func encodePNG(t *testing.T, im image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, im); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDecodePNGExact decodes lossless images in every colour mode and checks each
// byte: BGR order, grey by OpenCV's weights, alpha kept only natively.
func TestDecodePNGExact(t *testing.T) {
	const h, w = 5, 7
	rgb := testRGB(h, w)
	nrgba := image.NewNRGBA(rgb.Rect)
	gray := image.NewGray(rgb.Rect)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := rgb.RGBAAt(x, y)
			nrgba.SetNRGBA(x, y, color.NRGBA{c.R, c.G, c.B, uint8(20 * x)})
			gray.SetGray(x, y, color.Gray{uint8(30*y + x)})
		}
	}
	type pix func(x, y int) []uint8
	bgr := func(x, y int) []uint8 { c := rgb.RGBAAt(x, y); return []uint8{c.B, c.G, c.R} }
	luma := func(x, y int) []uint8 {
		c := rgb.RGBAAt(x, y)
		v := math.Floor(0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B) + 0.5)
		return []uint8{uint8(v)}
	}
	g := func(x, y int) []uint8 { return []uint8{gray.GrayAt(x, y).Y} }
	g3 := func(x, y int) []uint8 { v := gray.GrayAt(x, y).Y; return []uint8{v, v, v} }
	bgra := func(x, y int) []uint8 {
		c := nrgba.NRGBAAt(x, y)
		return []uint8{c.B, c.G, c.R, c.A}
	}
	for _, tc := range []struct {
		name string
		src  image.Image
		mode ColorMode
		want pix
		ch   int
	}{
		{"rgb native", rgb, Native, bgr, 3},
		{"rgb color", rgb, Color, bgr, 3},
		{"rgb gray", rgb, Gray, luma, 1},
		{"gray native", gray, Native, g, 1},
		{"gray color", gray, Color, g3, 3},
		{"gray gray", gray, Gray, g, 1},
		{"rgba native", nrgba, Native, bgra, 4},
		{"rgba color", nrgba, Color, bgr, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, err := Decode(encodePNG(t, tc.src), tc.mode)
			if err != nil {
				t.Fatal(err)
			}
			if im.Height != h || im.Width != w || im.Channels != tc.ch {
				t.Fatalf("decoded %d×%d×%d, want %d×%d×%d", im.Height, im.Width, im.Channels, h, w, tc.ch)
			}
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					for c, v := range tc.want(x, y) {
						if got := im.At(y, x, c); got != v {
							t.Fatalf("pixel (%d,%d) channel %d = %d, want %d", y, x, c, got, v)
						}
					}
				}
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	if _, err := Decode([]byte("not an image"), Color); err != ErrUnknownFormat {
		t.Errorf("Decode(garbage) error %v, want ErrUnknownFormat", err)
	}
	png := encodePNG(t, testRGB(4, 4))
	if _, err := Decode(png[:len(png)/2], Color); err == nil {
		t.Error("Decode(truncated PNG) gave no error")
	}
}

func meanAbsDiff(a, b []uint8) float64 {
	s := 0.0
	for i := range a {
		s += math.Abs(float64(a[i]) - float64(b[i]))
	}
	return s / float64(len(a))
}

// TestDecodeJPEG decodes a smooth JPEG written at top quality: within a grey level of
// the pixels it was made from, on average (libjpeg, which Caffe's OpenCV uses, is
// within the same bound).
func TestDecodeJPEG(t *testing.T) {
	const h, w = 32, 48
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			src.SetRGBA(x, y, color.RGBA{uint8(40 + 3*x), uint8(60 + 2*y), uint8(100 + x + y), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, src, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	im, err := Decode(b.Bytes(), Color)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]uint8, 0, h*w*3)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := src.RGBAAt(x, y)
			want = append(want, c.B, c.G, c.R)
		}
	}
	if d := meanAbsDiff(im.Pix, want); d > 1 {
		t.Errorf("mean absolute difference %.3f grey levels, want ≤ 1", d)
	}
	g, err := Decode(b.Bytes(), Gray)
	if err != nil {
		t.Fatal(err)
	}
	wantG := make([]uint8, 0, h*w)
	for i := 0; i < len(want); i += 3 {
		wantG = append(wantG, grayOf(want[i+2], want[i+1], want[i]))
	}
	if d := meanAbsDiff(g.Pix, wantG); d > 1 {
		t.Errorf("grey: mean absolute difference %.3f grey levels, want ≤ 1", d)
	}
}

// bilinearRef is OpenCV's INTER_LINEAR resize computed in float64: pixel-centre
// alignment, border pixels repeated.
func bilinearRef(im *Img, h, w int) []float64 {
	out := make([]float64, 0, h*w*im.Channels)
	coord := func(d, src, dst int) (int, int, float64) {
		s := (float64(d)+0.5)*float64(src)/float64(dst) - 0.5
		if s < 0 {
			return 0, 0, 0
		}
		i := int(math.Floor(s))
		if i >= src-1 {
			return src - 1, src - 1, 0
		}
		return i, i + 1, s - float64(i)
	}
	for y := 0; y < h; y++ {
		y0, y1, fy := coord(y, im.Height, h)
		for x := 0; x < w; x++ {
			x0, x1, fx := coord(x, im.Width, w)
			for c := 0; c < im.Channels; c++ {
				v := (1-fy)*((1-fx)*float64(im.At(y0, x0, c))+fx*float64(im.At(y0, x1, c))) +
					fy*((1-fx)*float64(im.At(y1, x0, c))+fx*float64(im.At(y1, x1, c)))
				out = append(out, v)
			}
		}
	}
	return out
}

func TestResize(t *testing.T) {
	src, err := Decode(encodePNG(t, testRGB(9, 13)), Color)
	if err != nil {
		t.Fatal(err)
	}
	graySrc, _ := Decode(encodePNG(t, testRGB(9, 13)), Gray)
	for _, tc := range []struct {
		name string
		im   *Img
		h, w int
	}{
		{"up", src, 20, 31},
		{"down", src, 4, 5},
		{"mixed", src, 18, 6},
		{"gray", graySrc, 7, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.im.Resize(tc.h, tc.w)
			if got.Height != tc.h || got.Width != tc.w || got.Channels != tc.im.Channels {
				t.Fatalf("shape %d×%d×%d", got.Height, got.Width, got.Channels)
			}
			ref := bilinearRef(tc.im, tc.h, tc.w)
			for i, v := range ref {
				if math.Abs(float64(got.Pix[i])-v) > 1 {
					t.Fatalf("value %d: %d, want %.2f ± 1", i, got.Pix[i], v)
				}
			}
		})
	}
	same := src.Resize(src.Height, src.Width)
	if !bytes.Equal(same.Pix, src.Pix) {
		t.Error("resizing to the same size changed the pixels")
	}
}

// TestEncodeRoundTrip re-encodes BGR images losslessly and decodes them unchanged.
func TestEncodeRoundTrip(t *testing.T) {
	col, _ := Decode(encodePNG(t, testRGB(6, 6)), Color)
	gray, _ := Decode(encodePNG(t, testRGB(6, 6)), Gray)
	for _, im := range []*Img{col, gray} {
		for _, ext := range []string{"png", ".PNG", "bmp", "tiff"} {
			b, err := Encode(im, ext)
			if err != nil {
				t.Fatalf("%s: %v", ext, err)
			}
			back, err := Decode(b, Native)
			if err != nil {
				t.Fatalf("%s: %v", ext, err)
			}
			if back.Channels != im.Channels || !bytes.Equal(back.Pix, im.Pix) {
				t.Errorf("%s, %d channels: round trip changed the image", ext, im.Channels)
			}
		}
		b, err := Encode(im, "jpg")
		if err != nil {
			t.Fatal(err)
		}
		if back, err := Decode(b, Native); err != nil || back.Channels != im.Channels {
			t.Errorf("jpg: %v", err)
		}
	}
	if _, err := Encode(col, "xyz"); err == nil {
		t.Error("Encode(xyz) gave no error")
	}
}

func TestCHWAndDatum(t *testing.T) {
	im := &Img{Height: 1, Width: 2, Channels: 3, Pix: []uint8{1, 2, 3, 4, 5, 6}}
	d := FromImage(im, 9)
	if want := []byte{1, 4, 2, 5, 3, 6}; !bytes.Equal(d.Data, want) {
		t.Errorf("Datum data % x, want % x", d.Data, want)
	}
	if d.GetChannels() != 3 || d.GetHeight() != 1 || d.GetWidth() != 2 || d.GetLabel() != 9 || d.Encoded == nil || d.GetEncoded() {
		t.Errorf("Datum %v", d)
	}
	// An encoded Datum decodes to the raw one.
	b, _ := Encode(im, "png")
	enc := FromImage(im, 9)
	enc.Data, enc.Encoded, enc.Channels, enc.Height, enc.Width = b, boolPtr(true), nil, nil, nil
	raw, err := Decoded(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw.Data, d.Data) || raw.GetLabel() != 9 || raw.GetChannels() != 3 {
		t.Errorf("Decoded = %v", raw)
	}
}

func boolPtr(b bool) *bool { return &b }

func TestReadImage(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.png")
	if err := os.WriteFile(p, encodePNG(t, testRGB(10, 12)), 0o644); err != nil {
		t.Fatal(err)
	}
	im, err := ReadImage(p, 5, 6, false)
	if err != nil {
		t.Fatal(err)
	}
	if im.Height != 5 || im.Width != 6 || im.Channels != 1 {
		t.Errorf("shape %d×%d×%d", im.Height, im.Width, im.Channels)
	}
	if im, _ := ReadImage(p, 5, 0, true); im.Height != 10 || im.Width != 12 {
		t.Error("resized with only a height given")
	}
	if _, err := ReadImage(filepath.Join(dir, "missing.png"), 0, 0, true); err == nil {
		t.Error("no error for a missing file")
	}
}

// TestDecodeHugeHeader: a few bytes of PNG header announcing a
// gigapixel image are refused before the decoder allocates it.
func TestDecodeHugeHeader(t *testing.T) {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	data := b.Bytes()
	// IHDR's width and height follow the 8-byte signature, the chunk length and "IHDR".
	for _, tc := range []struct {
		name string
		w, h uint32
	}{
		{"beyond OpenCV", 1 << 21, 1},
		{"gigapixels", 60000, 60000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := bytes.Clone(data)
			binary.BigEndian.PutUint32(bad[16:], tc.w)
			binary.BigEndian.PutUint32(bad[20:], tc.h)
			// IHDR's CRC must still match for the decoder to believe the header.
			crc := crc32.ChecksumIEEE(bad[12:29])
			binary.BigEndian.PutUint32(bad[29:], crc)
			_, err := Decode(bad, Native)
			if err == nil || !strings.Contains(err.Error(), "pixels") {
				t.Fatalf("error %v, want one about the image's size", err)
			}
		})
	}
}
