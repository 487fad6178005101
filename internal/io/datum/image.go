package datum

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registers GIF with image.Decode
	"image/jpeg"
	"image/png"
	"os"
	"strings"

	"golang.org/x/image/bmp"
	"golang.org/x/image/draw"
	"golang.org/x/image/tiff"
	_ "golang.org/x/image/webp" // registers WebP with image.Decode

	"github.com/gocaffe/gocaffe/internal/blob"
)

// Img is a decoded image laid out as an OpenCV cv::Mat of 8-bit pixels: Height rows
// of Width pixels of Channels interleaved bytes, in BGR order for three channels and
// BGRA for four (one channel is grey).
type Img struct {
	Height, Width, Channels int
	Pix                     []uint8 // Height·Width·Channels bytes, row by row
}

// NewImg returns a black image of the given size.
func NewImg(height, width, channels int) *Img {
	return &Img{height, width, channels, make([]uint8, height*width*channels)}
}

// At returns the value of channel c of the pixel in row y, column x.
func (im *Img) At(y, x, c int) uint8 { return im.Pix[(y*im.Width+x)*im.Channels+c] }

// CHW appends the image's pixels to dst in channel, row, column order (Caffe's blob
// and Datum order) and returns the extended slice.
func (im *Img) CHW(dst []byte) []byte {
	n := len(dst)
	dst = append(dst, make([]byte, len(im.Pix))...)
	out := dst[n:]
	hw := im.Height * im.Width
	for i := 0; i < hw; i++ {
		for c := 0; c < im.Channels; c++ {
			out[c*hw+i] = im.Pix[i*im.Channels+c]
		}
	}
	return dst
}

// ColorMode says how many channels a decoded image gets.
type ColorMode int

const (
	// Native keeps the image's own channels: 1 for grey, 3 (BGR) for colour, 4 (BGRA)
	// for images with an alpha channel — cv::imdecode with IMREAD_UNCHANGED, which
	// Caffe uses for encoded Datums unless force_color or force_gray is set. 16-bit
	// images are reduced to 8 bits.
	Native ColorMode = iota
	// Color gives three BGR channels whatever the image holds (IMREAD_COLOR): grey is
	// replicated, alpha is dropped.
	Color
	// Gray gives one channel (IMREAD_GRAYSCALE).
	Gray
)

// String names the mode as the flags spell it.
func (m ColorMode) String() string {
	if names := [...]string{Native: "native", Color: "color", Gray: "gray"}; m >= 0 && int(m) < len(names) {
		return names[m]
	}
	return fmt.Sprintf("ColorMode(%d)", int(m))
}

// ErrUnknownFormat is returned (wrapped) for data that is not an image in a format
// gocaffe decodes: PNG, JPEG, BMP, TIFF, WebP or GIF.
var ErrUnknownFormat = errors.New("not an image in a known format (PNG, JPEG, BMP, TIFF, WebP, GIF)")

// Decode decodes an encoded image (PNG, JPEG, BMP, TIFF, WebP, GIF) into an Img with
// the channels mode asks for.
func Decode(data []byte, mode ColorMode) (*Img, error) {
	// The header first: a few bytes can announce an image of gigapixels, which the
	// decoders would allocate before finding the data missing.
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, ErrUnknownFormat
		}
		return nil, err
	}
	if err := checkImageSize(cfg.Height, cfg.Width); err != nil {
		return nil, err
	}
	src, format, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		if errors.Is(err, image.ErrFormat) {
			return nil, ErrUnknownFormat
		}
		return nil, err
	}
	return convert(src, format, mode), nil
}

// Limits on the images gocaffe decodes: OpenCV's (CV_IO_MAX_IMAGE_WIDTH and
// CV_IO_MAX_IMAGE_PIXELS), which Caffe decodes with.
const (
	MaxImageSide   = 1 << 20
	MaxImagePixels = 1 << 30
)

// checkImageSize refuses an image of height×width pixels beyond OpenCV's limits or
// beyond the memory gocaffe may use (decoding takes up to 8 bytes a pixel, and the
// result up to 4 more).
func checkImageSize(height, width int) error {
	if height <= 0 || width <= 0 || height > MaxImageSide || width > MaxImageSide || height*width > MaxImagePixels {
		return fmt.Errorf("image of %d×%d pixels: want sides of 1 to %d pixels and at most %d pixels in all", width, height, MaxImageSide, MaxImagePixels)
	}
	if err := blob.CheckAlloc(int64(height) * int64(width) * 12); err != nil {
		return fmt.Errorf("image of %d×%d pixels: %w", width, height, err)
	}
	return nil
}

// ReadImage reads an image file as Caffe's ReadImageToCVMat does: decoded in colour
// (BGR) when isColor is set and in grey otherwise, then resized to height×width
// (bilinear) when both are positive.
func ReadImage(path string, height, width int, isColor bool) (*Img, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	mode := Gray
	if isColor {
		mode = Color
	}
	im, err := Decode(data, mode)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if height > 0 && width > 0 {
		if err := checkImageSize(height, width); err != nil {
			return nil, fmt.Errorf("%s: resizing to %d×%d: %w", path, width, height, err)
		}
		im = im.Resize(height, width)
	}
	return im, nil
}

// Resize returns the image resampled to height×width by bilinear interpolation on
// pixel centres, with the border pixels repeated — the sampling of OpenCV's
// cv::resize with INTER_LINEAR, which Caffe uses. (x/image/draw's ApproxBiLinear
// samples exactly so; its BiLinear widens the kernel when shrinking, as OpenCV does
// not.) Values can differ from OpenCV's fixed-point rounding by one grey level.
func (im *Img) Resize(height, width int) *Img {
	if height == im.Height && width == im.Width {
		out := *im
		out.Pix = append([]uint8(nil), im.Pix...)
		return &out
	}
	// Each channel is interpolated on its own; an RGBA image with the Src operator
	// is the fast path of x/image/draw and does no alpha arithmetic.
	src := image.NewRGBA(image.Rect(0, 0, im.Width, im.Height))
	for i := 0; i < im.Height*im.Width; i++ {
		p := src.Pix[4*i : 4*i+4]
		switch im.Channels {
		case 1:
			g := im.Pix[i]
			p[0], p[1], p[2], p[3] = g, g, g, 0xff
		case 3:
			p[0], p[1], p[2], p[3] = im.Pix[3*i], im.Pix[3*i+1], im.Pix[3*i+2], 0xff
		default:
			copy(p, im.Pix[4*i:4*i+4])
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	out := NewImg(height, width, im.Channels)
	for i := 0; i < height*width; i++ {
		copy(out.Pix[i*im.Channels:(i+1)*im.Channels], dst.Pix[4*i:4*i+im.Channels])
	}
	return out
}

// Encode compresses the image in the format named by ext ("png", "jpg"/"jpeg", "bmp",
// "tif"/"tiff", case-insensitive, with or without a leading dot), as cv::imencode
// does for convert_imageset --encode_type. JPEG is written at quality 95, OpenCV's
// default.
func Encode(im *Img, ext string) ([]byte, error) {
	var buf bytes.Buffer
	g := im.goImage()
	var err error
	switch strings.ToLower(strings.TrimPrefix(ext, ".")) {
	case "png":
		err = png.Encode(&buf, g)
	case "jpg", "jpeg", "jpe":
		err = jpeg.Encode(&buf, g, &jpeg.Options{Quality: 95})
	case "bmp":
		err = bmp.Encode(&buf, g)
	case "tif", "tiff":
		err = tiff.Encode(&buf, g, nil)
	default:
		return nil, fmt.Errorf("cannot encode images as %q: the encode types are png, jpg, bmp and tiff", ext)
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// goImage returns the image as a Go image with its channels in RGB order.
func (im *Img) goImage() image.Image {
	r := image.Rect(0, 0, im.Width, im.Height)
	n := im.Height * im.Width
	switch im.Channels {
	case 1:
		g := image.NewGray(r)
		copy(g.Pix, im.Pix)
		return g
	case 3:
		g := image.NewRGBA(r)
		for i := 0; i < n; i++ {
			g.Pix[4*i], g.Pix[4*i+1], g.Pix[4*i+2], g.Pix[4*i+3] = im.Pix[3*i+2], im.Pix[3*i+1], im.Pix[3*i], 0xff
		}
		return g
	default:
		g := image.NewNRGBA(r)
		for i := 0; i < n; i++ {
			g.Pix[4*i], g.Pix[4*i+1], g.Pix[4*i+2], g.Pix[4*i+3] = im.Pix[4*i+2], im.Pix[4*i+1], im.Pix[4*i], im.Pix[4*i+3]
		}
		return g
	}
}

// convert turns a decoded Go image into an Img with the channels mode asks for.
func convert(src image.Image, format string, mode ColorMode) *Img {
	channels := 3
	switch mode {
	case Gray:
		channels = 1
	case Native:
		channels = nativeChannels(src, format)
	}
	b := src.Bounds()
	out := NewImg(b.Dy(), b.Dx(), channels)
	if channels == 1 {
		if y, ok := lumaPlane(src); ok {
			// Grey images, and the luma of JPEG's YCbCr as libjpeg gives it when asked
			// for grey.
			for r := 0; r < out.Height; r++ {
				copy(out.Pix[r*out.Width:(r+1)*out.Width], y(r))
			}
			return out
		}
	}
	i := 0
	for yy := b.Min.Y; yy < b.Max.Y; yy++ {
		for xx := b.Min.X; xx < b.Max.X; xx++ {
			c := color.NRGBAModel.Convert(src.At(xx, yy)).(color.NRGBA)
			switch channels {
			case 1:
				out.Pix[i] = grayOf(c.R, c.G, c.B)
			case 3:
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = c.B, c.G, c.R
			default:
				out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = c.B, c.G, c.R, c.A
			}
			i += channels
		}
	}
	return out
}

// grayOf is OpenCV's BGR→grey conversion (cvtColor, 14-bit fixed point, rounded):
// Y = 0.299 R + 0.587 G + 0.114 B.
func grayOf(r, g, b uint8) uint8 {
	return uint8((uint32(r)*4899 + uint32(g)*9617 + uint32(b)*1868 + 1<<13) >> 14)
}

// lumaPlane returns a function giving row r of the image's 8-bit luma plane, for
// images that have one.
func lumaPlane(src image.Image) (func(r int) []uint8, bool) {
	switch s := src.(type) {
	case *image.Gray:
		return func(r int) []uint8 {
			o := s.PixOffset(s.Rect.Min.X, s.Rect.Min.Y+r)
			return s.Pix[o : o+s.Rect.Dx()]
		}, true
	case *image.YCbCr:
		return func(r int) []uint8 {
			o := s.YOffset(s.Rect.Min.X, s.Rect.Min.Y+r)
			return s.Y[o : o+s.Rect.Dx()]
		}, true
	}
	return nil, false
}

// nativeChannels is the number of channels cv::imdecode(IMREAD_UNCHANGED) gives an
// image: 1 for grey, 4 when the file has an alpha channel, 3 otherwise. OpenCV reads
// a BMP whose palette is all grey as grey, and every other palette as colour.
func nativeChannels(src image.Image, format string) int {
	switch s := src.(type) {
	case *image.Gray, *image.Gray16:
		return 1
	case *image.NRGBA, *image.NRGBA64, *image.NYCbCrA:
		return 4
	case *image.Paletted:
		grey := format == "bmp"
		for _, c := range s.Palette {
			r, g, b, a := c.RGBA()
			if a != 0xffff {
				return 4
			}
			grey = grey && r == g && g == b
		}
		if grey {
			return 1
		}
		return 3
	case *image.Alpha, *image.Alpha16:
		return 1
	}
	return 3
}

// FromGoImage converts a decoded Go image into an Img with the channels mode asks for,
// as Decode does for encoded data.
func FromGoImage(src image.Image, mode ColorMode) *Img { return convert(src, "", mode) }
